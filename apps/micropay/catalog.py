"""What the demo shop sells. Digital goods are paid at once (chargeAmount); physical goods are
held at checkout (reserveAmount) and charged when the operator ships them (chargeReservation)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "KRW"
QUANTITY_MAX = 20


@dataclass(frozen=True)
class Product:
    product_id: str
    title: str
    blurb: str
    price: Decimal
    two_step: bool = False  # shipped later: reserve at checkout, charge on shipment


PRODUCTS: tuple[Product, ...] = (
    Product("song", "A song (MP3)", "One track, yours to keep.", Decimal(1500)),
    Product("ebook", "E-book chapter", "Chapter one of a mystery.", Decimal(3000)),
    Product("game-coins", "100 game coins", "Spend them in any of our games.", Decimal(5000)),
    Product("news-pass", "News day pass", "Every article, for 24 hours.", Decimal(800)),
    Product("concert", "Concert ticket", "Standing, front section.", Decimal(60000)),
    Product(
        "mug", "Coffee mug (shipped)", "Charged when we ship it.", Decimal(12000), two_step=True
    ),
)

BY_ID = {p.product_id: p for p in PRODUCTS}


def product(product_id: str) -> Product | None:
    return BY_ID.get(product_id)
