"""Operator tariffs: how Volume Charging turns a volume (units of service) into an amount.

A tariff is named and priced per currency: ``default`` in KRW may cost 5 per unit and in USD
0.01 per 10 units. A volume request uses the tariff its ``parameters`` name (the Parlay X
``Property`` ``tariff``), else ``default``, in the end user's account currency. The price of a
volume is ``ceil(volume * price_minor / per_units)`` minor units: never a float, never rounded
down, so no volume is free that the tariff prices.

Operators manage tariffs with ``micropay tariff set|list|show|remove`` (gateway/cli/tariff.py);
they live in the ledger's database, in the table of the ``payment`` component's migrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from charging import validate
from charging.errors import InvalidAmount, InvalidInput
from charging.money import MINOR_MAX
from storage import Database, Migration, migrate

COMPONENT = "payment"
DEFAULT_TARIFF = "default"
TARIFF_NAME_LENGTH_MAX = 32
TARIFF_DESCRIPTION_LENGTH_MAX = 256
PER_UNITS_MAX = 1_000_000_000
VOLUME_MAX = 10**12  # a volume above this is refused before it is priced

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

_V1 = """
CREATE TABLE payment_tariffs (
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    price_minor BIGINT NOT NULL CHECK (price_minor > 0),
    per_units BIGINT NOT NULL CHECK (per_units > 0),
    description TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (name, currency)
)
"""

MIGRATIONS = [Migration(1, "operator tariffs for volume charging", _V1)]


@dataclass(frozen=True)
class Tariff:
    name: str
    currency: str
    price_minor: int  # the price of ``per_units`` units
    per_units: int
    description: str
    updated_at: datetime

    def price_of(self, volume: int) -> int:
        """Minor units for ``volume`` units, rounded up."""
        return -(-volume * self.price_minor // self.per_units)


def tariff_name(value: object, field: str = "tariff") -> str:
    if (
        not isinstance(value, str)
        or not _NAME.fullmatch(value)
        or len(value) > TARIFF_NAME_LENGTH_MAX
    ):
        raise InvalidInput(
            field=field,
            reason=f"a tariff name: letters, digits, '.', '_', '-' (at most "
            f"{TARIFF_NAME_LENGTH_MAX})",
        )
    return value


def volume(value: object, field: str = "volume") -> int:
    """A volume to price: a positive whole number of units, at most ``VOLUME_MAX``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= VOLUME_MAX:
        raise InvalidInput(field=field, reason=f"a whole number of units from 1 to {VOLUME_MAX}")
    return value


def _row(r: tuple) -> Tariff:
    return Tariff(r[0], r[1], int(r[2]), int(r[3]), r[4], datetime.fromisoformat(r[5]))


_COLUMNS = "name, currency, price_minor, per_units, description, updated_at"


class TariffStore:
    """The tariffs of one database (migrated on construction)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db, COMPONENT, MIGRATIONS)

    def set(
        self,
        name: str,
        currency: str,
        price_minor: int,
        per_units: int = 1,
        description: str = "",
    ) -> Tariff:
        """Create or replace the tariff ``name`` in ``currency``."""
        name = tariff_name(name, "name")
        currency = validate.currency(currency)
        price_minor = validate.amount_minor(price_minor, "price")
        if isinstance(per_units, bool) or not isinstance(per_units, int):
            raise InvalidInput(field="per_units", reason="a whole number of units")
        if not 1 <= per_units <= PER_UNITS_MAX:
            raise InvalidInput(field="per_units", reason=f"from 1 to {PER_UNITS_MAX}")
        description = validate.text(
            description, "description", TARIFF_DESCRIPTION_LENGTH_MAX, required=False
        )
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO payment_tariffs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name, currency) DO UPDATE SET price_minor = excluded.price_minor, "
                "per_units = excluded.per_units, description = excluded.description, "
                "updated_at = excluded.updated_at",
                (name, currency, price_minor, per_units, description, now),
            )
        found = self.get(name, currency)
        assert found is not None
        return found

    def get(self, name: str, currency: str) -> Tariff | None:
        with self.db.transaction(write=False) as tx:
            r = tx.one(
                f"SELECT {_COLUMNS} FROM payment_tariffs WHERE name = ? AND currency = ?",
                (name, currency),
            )
        return None if r is None else _row(r)

    def list(self, name: str | None = None) -> list[Tariff]:
        sql = f"SELECT {_COLUMNS} FROM payment_tariffs"
        params: tuple = ()
        if name is not None:
            sql += " WHERE name = ?"
            params = (name,)
        with self.db.transaction(write=False) as tx:
            return [_row(r) for r in tx.all(sql + " ORDER BY name, currency", params)]

    def remove(self, name: str, currency: str | None = None) -> int:
        """Remove a tariff (in one currency, or in all); returns how many rows went."""
        sql, params = "DELETE FROM payment_tariffs WHERE name = ?", [name]
        if currency is not None:
            sql += " AND currency = ?"
            params.append(currency)
        with self.db.transaction() as tx:
            return int(tx.execute(sql, params).rowcount)

    def price(self, name: str, currency: str, volume_units: int) -> tuple[Tariff, int]:
        """(the tariff, the amount in minor units) for ``volume_units`` of ``name`` in
        ``currency``; a tariff that does not exist in that currency is refused."""
        units = volume(volume_units)
        tariff = self.get(tariff_name(name), currency)
        if tariff is None:
            raise InvalidInput(
                field="parameters", reason=f"no tariff {name!r} in {currency}", tariff=name
            )
        amount = tariff.price_of(units)
        if amount > MINOR_MAX:
            raise InvalidAmount(amount=str(amount), reason="amount too large")
        return tariff, amount
