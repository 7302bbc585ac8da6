"""Faces that record every money movement they make, so the harness can undo it afterwards.

The purposes call these, never the raw transport faces: whatever a purpose charged, reserved or
credited -- on purpose, or because the IUT accepted what it should have refused -- is undone by
:meth:`apps.interop.effects.Effects.compensate` when the purpose ends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop.effects import Effects
from apps.interop.faces import Charge


class _Tracked:
    def __init__(self, face: Any, effects: Effects, who: str) -> None:
        self.face, self.effects, self.who = face, effects, who

    def __getattr__(self, name: str) -> Any:  # anything not tracked passes through
        return getattr(self.face, name)


class TrackedPayment(_Tracked):
    def _money(self, kind: str, ref: str, user: str, charge: Charge, sign: int) -> None:
        try:
            amount = Decimal(charge.amount)
        except ArithmeticError:  # accepted though not a decimal: nothing the harness can undo
            return
        if amount.is_finite() and self.effects.once(self.who, kind, ref):
            self.effects.money(self.who, user, charge.currency, sign * amount)

    def chargeAmount(self, user: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.face.chargeAmount(user, charge, ref)
        self._money("charge", ref, user, charge, -1)

    def refundAmount(self, user: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.face.refundAmount(user, charge, ref)
        self._money("refund", ref, user, charge, +1)

    def chargeSplitAmount(self, splits: list[tuple[str, int]], charge: Charge, ref: str) -> None:  # noqa: N802
        self.face.chargeSplitAmount(splits, charge, ref)
        if not self.effects.once(self.who, "split", ref):
            return
        total = Decimal(charge.amount)
        exponent = -total.as_tuple().exponent if total.as_tuple().exponent < 0 else 0  # type: ignore[operator]
        step = Decimal(1).scaleb(-exponent)
        shares = [(total * pct / 100).quantize(step, rounding="ROUND_DOWN") for _, pct in splits]
        shares[0] += total - sum(shares)  # the remainder goes to the first payer
        for (user, _), share in zip(splits, shares, strict=True):
            self.effects.money(self.who, user, charge.currency, -share)

    def chargeVolume(
        self, user: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.face.chargeVolume(user, volume, text, ref, params)
        if self.effects.once(self.who, "charge-volume", ref):
            self.effects.volume(self.who, user, text, params, -volume)

    def refundVolume(
        self, user: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.face.refundVolume(user, volume, text, ref, params)
        if self.effects.once(self.who, "refund-volume", ref):
            self.effects.volume(self.who, user, text, params, volume)

    def reserveAmount(self, user: str, charge: Charge) -> str:  # noqa: N802
        reservation = self.face.reserveAmount(user, charge)
        self.effects.reserved(self.who, reservation, user)
        return reservation

    def chargeReservation(self, reservation: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.face.chargeReservation(reservation, charge, ref)
        self._money(
            "charge-reservation", ref, self.effects.owner(self.who, reservation), charge, -1
        )

    def releaseReservation(self, reservation: str) -> None:  # noqa: N802
        self.face.releaseReservation(reservation)
        self.effects.reservations.pop((self.who, reservation), None)

    def reserveVolume(self, user: str, volume: int, text: str, params: dict[str, str]) -> str:  # noqa: N802
        reservation = self.face.reserveVolume(user, volume, text, params)
        self.effects.reserved(self.who, reservation, user, "volume")
        return reservation

    def chargeReservationVolume(  # noqa: N802
        self, reservation: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:
        self.face.chargeReservationVolume(reservation, volume, text, ref, params)
        if self.effects.once(self.who, "charge-reservation", ref):
            user = self.effects.owner(self.who, reservation)
            self.effects.volume(self.who, user, text, params, -volume)

    def rvReleaseReservation(self, reservation: str) -> None:  # noqa: N802
        self.face.rvReleaseReservation(reservation)
        self.effects.reservations.pop((self.who, reservation), None)


class TrackedAccount(_Tracked):
    def balanceUpdate(  # noqa: N802
        self, user: str, pin: str, ref: str, balance_type: str, amount: str, currency: str,
        period: int | None = None,
    ) -> None:  # fmt: skip
        self.face.balanceUpdate(user, pin, ref, balance_type, amount, currency, period)
        if self.effects.once(self.who, "recharge", ref):
            self.effects.money(self.who, user, currency, Decimal(amount))

    def voucherUpdate(  # noqa: N802
        self, user: str, pin: str, ref: str, voucher: str, voucher_pin: str, currency: str = ""
    ) -> Decimal:
        """Redeem; returns (and records) the credit measured on the balance, since a voucher's
        value is the IUT's to know."""
        before = self._balance(user)
        self.face.voucherUpdate(user, pin, ref, voucher, voucher_pin)
        credit = self._balance(user) - before
        if credit and self.effects.once(self.who, "voucher", ref):
            self.effects.money(self.who, user, currency, credit)
        return credit

    def _balance(self, user: str) -> Decimal:
        balances = self.face.getBalance(user, "")
        return balances[0][1] if balances else Decimal(0)


class TrackedSms(_Tracked):
    def __init__(self, face: Any, effects: Effects, who: str, billing_account: str) -> None:
        super().__init__(face, effects, who)
        self.billing_account = billing_account

    def sendSms(  # noqa: N802
        self, addresses: list[str], sender_name: str, charging: Charge | None, message: str,
        receipt_correlator: str | None = None,
    ) -> str:  # fmt: skip
        request = self.face.sendSms(addresses, sender_name, charging, message, receipt_correlator)
        if charging is not None and self.billing_account:
            total = Decimal(charging.amount) * len(addresses)
            self.effects.money(self.who, self.billing_account, charging.currency, -total)
        return request
