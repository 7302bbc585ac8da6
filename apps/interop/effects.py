"""What the purposes did to the test accounts, and how the harness undoes it.

Every successful money movement made through a tracked face is recorded here (keyed by
referenceCode, so an idempotent repeat is counted once); after each purpose the harness
compensates: it releases the reservations left open, refunds volumes it charged, and brings each
account's net amount back to zero (refundAmount what it charged, chargeAmount back what it
credited). Compensations use the raw faces, so they are not recorded themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.interop.faces import Charge
from apps.interop.refusals import Refusal


@dataclass
class Effects:
    net: dict[tuple[str, str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    volumes: dict[tuple[str, str, str, tuple[tuple[str, str], ...]], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    reservations: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # user, form
    seen: set[tuple[str, str, str]] = field(default_factory=set)  # (who, kind, referenceCode)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)  # reservation -> end user

    def once(self, who: str, kind: str, ref: str) -> bool:
        key = (who, kind, ref)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def money(self, who: str, user: str, currency: str, delta: Decimal) -> None:
        """delta < 0: the account was debited; > 0: credited."""
        self.net[(who, user, currency)] += delta

    def volume(self, who: str, user: str, text: str, params: dict[str, str], delta: int) -> None:
        self.volumes[(who, user, text, tuple(sorted(params.items())))] += delta

    def reserved(self, who: str, reservation: str, user: str, form: str = "amount") -> None:
        self.reservations[(who, reservation)] = (user, form)
        self.owners[(who, reservation)] = user

    def owner(self, who: str, reservation: str) -> str:
        return self.owners.get((who, reservation), "?")

    def empty(self) -> bool:
        return (
            not self.reservations and not any(self.net.values()) and not any(self.volumes.values())
        )

    def compensate(self, faces: Callable[[str, str], Any], ref: Callable[[str], str]) -> list[str]:
        """Undo what was recorded; returns one line per compensation (or why it failed)."""
        done: list[str] = []

        def attempt(what: str, fn: Callable[..., Any], *args: Any) -> None:
            try:
                fn(*args)
                done.append(what)
            except Refusal as refusal:
                done.append(f"FAILED {what}: {refusal.describe()}")
            except Exception as exc:
                done.append(f"FAILED {what}: {exc!r}")

        for (who, reservation), (user, form) in list(self.reservations.items()):
            pay = faces(who, "P_PAYMENT")
            release = pay.rvReleaseReservation if form == "volume" else pay.releaseReservation
            attempt(f"releaseReservation {reservation} ({user})", release, reservation)
        for (who, user, text, params), volume in list(self.volumes.items()):
            pay = faces(who, "P_PAYMENT")
            if volume > 0:  # credited more than charged
                what = f"chargeVolume {volume} back from {user}"
                attempt(what, pay.chargeVolume, user, volume, text, ref("undo"), dict(params))
            elif volume < 0:
                what = f"refundVolume {-volume} to {user}"
                attempt(what, pay.refundVolume, user, -volume, text, ref("undo"), dict(params))
        for (who, user, currency), delta in list(self.net.items()):
            pay = faces(who, "P_PAYMENT")
            charge = Charge("interop harness clean-up", currency, f"{abs(delta):f}")
            if delta < 0:
                what = f"refundAmount {abs(delta):f} {currency} to {user}"
                attempt(what, pay.refundAmount, user, charge, ref("undo"))
            elif delta > 0:
                what = f"chargeAmount {delta:f} {currency} back from {user}"
                attempt(what, pay.chargeAmount, user, charge, ref("undo"))
        self.net.clear()
        self.volumes.clear()
        self.reservations.clear()
        return done
