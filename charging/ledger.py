"""The ledger: the one entry point of the charging server.

``Ledger.open(url, timezone=..., reservation_ttl_s=..., ...)`` opens and migrates a SQLite
(``sqlite:///path``) or PostgreSQL (``postgresql://...``) ledger; ``close()`` finishes queued writes.
This module holds the payment side (Parlay X Payment and the crediting half of Account
Management); ``charging.account_ops`` the account side; ``charging.engine`` the machinery.

Money in and out is ``int`` minor units with the currency beside it; surfaces convert with
``charging.money``. Every write is atomic, durable when it returns, and -- where it carries a
referenceCode -- idempotent on (app_id, reference_code). Every expected refusal is a typed
``charging.errors.DomainError`` and writes nothing; a request whose outcome cannot be known (the
database unreachable, the writer too slow) raises ``storage.StorageUnavailable`` and may be retried
with the same referenceCode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from charging import payments, pins, reservations, validate, vouchers
from charging.account_ops import AccountOperations
from charging.checks import Operation
from charging.errors import InvalidInput
from charging.model import ReservationInfo, TransactionResult, Voucher
from charging.payments import MoneyRequest

__all__ = ["Ledger"]

SPLIT_SHARES_MAX = 10  # accounts one chargeSplitAmount may charge


class Ledger(AccountOperations):
    """Accounts, balances, limits, reservations, vouchers, PINs and charging events."""

    def _money(
        self,
        app_id: str,
        reference_code: str | None,
        account: str | None,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
    ) -> MoneyRequest:
        """A validated money request (``account`` None: taken from the reservation later)."""
        return MoneyRequest(
            app_id=validate.app_id(app_id),
            reference_code=None
            if reference_code is None
            else validate.reference_code(reference_code),
            account="" if account is None else validate.account_number(account),
            amount_minor=validate.amount_minor(amount_minor),
            currency=validate.currency(currency),
            description=validate.description(description),
            code=validate.charging_code(code),
        )

    # -- Payment: AmountCharging -----------------------------------------------------------------
    def charge(
        self,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        *,
        request_content: Mapping[str, Any] | None = None,
    ) -> TransactionResult:
        """chargeAmount: debit ``amount_minor`` now, within every limit.

        ``request_content``, when given, is what the idempotency hash covers instead of the amount
        and texts: a volume charge passes its volume and tariff, so that a retry after the tariff
        changed still returns the first outcome."""
        r = self._money(app_id, reference_code, account, amount_minor, currency, description, code)
        return self._idempotent(
            Operation.CHARGE,
            r.app_id,
            r.reference_code,
            _fields(r, request_content),
            lambda tx, m: payments.charge(tx, m, r),
        )

    def charge_split(
        self,
        app_id: str,
        reference_code: str,
        shares: Sequence[tuple[str, int]],
        currency: str,
        description: str,
        code: str | None = None,
    ) -> list[TransactionResult]:
        """chargeSplitAmount: charge each (account, amount_minor) share, all or nothing, in one
        transaction; idempotent on (app_id, reference_code) like a charge. Results are in the
        order of ``shares``."""
        if not isinstance(shares, Sequence) or not 1 <= len(shares) <= SPLIT_SHARES_MAX:
            raise InvalidInput(field="shares", reason=f"1 to {SPLIT_SHARES_MAX} shares")
        requests = [
            self._money(app_id, reference_code, account, amount, currency, description, code)
            for account, amount in shares
        ]
        if len({r.account for r in requests}) != len(requests):
            raise InvalidInput(field="shares", reason="one share per account")
        first = requests[0]
        content = {
            "split": [[r.account, r.amount_minor] for r in requests],
            "currency": first.currency,
            "description": first.description,
            "code": first.code,
        }
        return self._idempotent(
            Operation.CHARGE,
            first.app_id,
            first.reference_code,
            content,
            lambda tx, m: payments.charge_split(tx, m, requests),
        )

    def refund(
        self,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        *,
        request_content: Mapping[str, Any] | None = None,
    ) -> TransactionResult:
        """refundAmount: a free-standing credit of what this application charged; a refund
        restores this month's headroom, never below zero spend. ``request_content``: as in
        :meth:`charge`."""
        r = self._money(app_id, reference_code, account, amount_minor, currency, description, code)
        return self._idempotent(
            Operation.REFUND,
            r.app_id,
            r.reference_code,
            _fields(r, request_content),
            lambda tx, m: payments.refund(tx, m, r),
        )

    # -- Account Management: balanceUpdate and voucherUpdate --------------------------------------
    def recharge(
        self,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str = "recharge",
        extend_days: int | None = None,
    ) -> TransactionResult:
        """balanceUpdate: credit a prepaid account; ``extend_days`` (Parlay X ``period``) makes
        it valid for at least that many days from today -- never shorter than it was."""
        r = self._money(app_id, reference_code, account, amount_minor, currency, description)
        days = validate.extension_days(extend_days)
        return self._idempotent(
            Operation.RECHARGE,
            r.app_id,
            r.reference_code,
            {**_fields(r), "extend_days": days},
            lambda tx, m: payments.recharge(tx, m, r, days),
        )

    def issue_voucher(
        self, amount_minor: int, currency: str, valid_until: date | None = None
    ) -> tuple[str, str]:
        """Issue a voucher; returns (voucher_id, pin). Only the PIN's hash is kept."""
        amount = validate.amount_minor(amount_minor)
        cur = validate.currency(currency)
        until = validate.future_date(valid_until, "valid_until", self._moment().today)
        pin = pins.new_voucher_pin()
        pin_hash = pins.hash_pin(pin)
        voucher_id = self._write(
            lambda tx, m: (vouchers.issue(tx, m, amount, cur, until, pin_hash), [])
        )
        return voucher_id, pin

    def redeem_voucher(
        self, app_id: str, reference_code: str, account: str, voucher_id: str, voucher_pin: str
    ) -> TransactionResult:
        """voucherUpdate: credit a voucher's amount to a prepaid account, once."""
        r = MoneyRequest(
            app_id=validate.app_id(app_id),
            reference_code=validate.reference_code(reference_code),
            account=validate.account_number(account),
            amount_minor=0,  # the voucher's
            currency="",  # the voucher's
        )
        vid = validate.text(voucher_id, "voucher_id", validate.REFERENCE_CODE_MAX_LENGTH)
        pin = validate.pin(voucher_pin)
        known_hash = self._read(lambda tx: vouchers.pin_hash_of(tx, vid))
        matched = pins.matches(known_hash, pin)  # slow on purpose: not on the writer thread
        return self._idempotent(
            Operation.REDEEM_VOUCHER,
            r.app_id,
            r.reference_code,
            {"account": r.account, "voucher": vid},
            lambda tx, m: vouchers.redeem(tx, m, r, vid, known_hash, matched),
        )

    def list_vouchers(self, state: str | None = None) -> list[Voucher]:
        """Vouchers, oldest first; ``state`` "issued" or "redeemed" filters."""
        return self._read(lambda tx: vouchers.list_all(tx, state))

    # -- Payment: ReserveAmountCharging ------------------------------------------------------------
    def reserve(
        self,
        app_id: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        *,
        reference_code: str | None = None,
    ) -> str:
        """reserveAmount: hold funds against balance and monthly limit; returns the reservation
        identifier (unguessable). Idempotent only when a ``reference_code`` is given."""
        r = self._money(app_id, reference_code, account, amount_minor, currency, description, code)
        ttl = self.reservation_ttl_s
        return self._idempotent(
            Operation.RESERVE,
            r.app_id,
            r.reference_code,
            _fields(r),
            lambda tx, m: reservations.reserve(tx, m, r, ttl),
        )

    def reserve_additional(
        self,
        app_id: str,
        reservation_id: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        *,
        reference_code: str | None = None,
    ) -> ReservationInfo:
        """reserveAdditionalAmount: hold more on an open reservation; its expiry restarts."""
        r = self._money(app_id, reference_code, None, amount_minor, currency, description, code)
        rid = _reservation_id(reservation_id)
        ttl = self.reservation_ttl_s
        return self._idempotent(
            Operation.RESERVE_ADDITIONAL,
            r.app_id,
            r.reference_code,
            {**_fields(r), "reservation": rid},
            lambda tx, m: reservations.reserve_additional(tx, m, rid, r, ttl),
        )

    def charge_reservation(
        self,
        app_id: str,
        reference_code: str,
        reservation_id: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        *,
        request_content: Mapping[str, Any] | None = None,
    ) -> TransactionResult:
        """chargeReservation: charge part or all of what is still reserved.
        ``request_content``: as in :meth:`charge`."""
        r = self._money(app_id, reference_code, None, amount_minor, currency, description, code)
        rid = _reservation_id(reservation_id)
        return self._idempotent(
            Operation.CHARGE_RESERVATION,
            r.app_id,
            r.reference_code,
            {**_fields(r, request_content), "reservation": rid},
            lambda tx, m: reservations.charge(tx, m, rid, r),
        )

    def release_reservation(self, app_id: str, reservation_id: str) -> ReservationInfo:
        """releaseReservation: give back what is still reserved. Releasing again (or after
        expiry) changes nothing and reports the final state."""
        app = validate.app_id(app_id)
        rid = _reservation_id(reservation_id)
        return self._write(lambda tx, m: reservations.release(tx, m, app, rid))

    def reservation(self, app_id: str, reservation_id: str) -> ReservationInfo:
        """A reservation of ``app_id`` as it is now; another application's is unknown."""
        app = validate.app_id(app_id)
        rid = _reservation_id(reservation_id)
        return self._read(lambda tx: reservations.info_of(tx, app, rid))

    def open_reservations(self, account: str) -> list[ReservationInfo]:
        number = validate.account_number(account)
        return self._read(lambda tx: reservations.open_reservations(tx, number))


def _reservation_id(value: Any) -> str:
    return validate.text(value, "reservation_id", validate.REFERENCE_CODE_MAX_LENGTH)


def _fields(r: MoneyRequest, content: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The content of a money request that the idempotency hash covers (``content`` in place of
    the amount and texts when the caller says what the request was)."""
    if content is not None:
        return {"account": r.account, "content": dict(content)}
    return {
        "account": r.account,
        "amount": r.amount_minor,
        "currency": r.currency,
        "description": r.description,
        "code": r.code,
    }
