"""The ledger: the one entry point of the charging server.

``Ledger.open(url, timezone=..., reservation_ttl_s=..., ...)`` opens and migrates a SQLite
(``sqlite:///path``) or PostgreSQL (``postgresql://...``) ledger; ``close()`` finishes queued writes.
This module holds the payment side (Parlay X Payment and the crediting half of Account
Management); ``charging.account_ops`` the account side; ``charging.engine`` the machinery.

Money in and out is ``int`` minor units with the currency beside it; surfaces convert with
``charging.money``. Every write is atomic, durable when it returns, and -- where it carries a
referenceCode -- idempotent on (app_id, reference_code). Every movement is double-entry: it
debits one account and credits another (``charging.movements``). Every expected refusal is a
typed ``charging.errors.DomainError`` and writes nothing; a request whose outcome cannot be known
(the database unreachable, the writer too slow) raises ``storage.StorageUnavailable`` and may be
retried with the same referenceCode.

Each method validates its input in the caller's thread and builds one
:class:`charging.batch.Command`; the batch kernel decides it with whatever else is queued.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from charging import idempotency, movements, payments, pins, reservations, validate, vouchers
from charging.account_ops import AccountOperations
from charging.batch import Attachment, BatchState, Command, attach
from charging.checks import Operation
from charging.errors import InvalidInput
from charging.model import ReservationInfo, TransactionResult, Voucher

__all__ = ["Ledger"]

SPLIT_SHARES_MAX = 10  # accounts one chargeSplitAmount may charge

Run = Callable[[BatchState, Command], Any]


class Ledger(AccountOperations):
    """Accounts, balances, limits, reservations, vouchers, PINs and charging events."""

    def _money(
        self,
        run: Run,
        operation: Operation,
        *,
        app_id: str,
        reference_code: str | None,
        account: str | None,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        content: Mapping[str, Any] | None = None,
        more: Mapping[str, Any] | None = None,
        **command: Any,
    ) -> Command:
        """A validated money request (``account`` None: taken from the reservation later).

        The idempotency hash covers the account and the amount and texts -- or ``content`` in
        their place, when the caller says what the request was -- and ``more``."""
        app = validate.app_id(app_id)
        ref = None if reference_code is None else validate.reference_code(reference_code)
        number = "" if account is None else validate.account_number(account)
        amount = validate.amount_minor(amount_minor)
        cur = validate.currency(currency)
        text = validate.description(description)
        charging_code = validate.charging_code(code)
        digest = ""
        if ref is not None and content is None and not more:
            digest = idempotency.money_hash(
                operation,
                account=number,
                amount=amount,
                currency=cur,
                description=text,
                code=charging_code,
            )
        elif ref is not None:
            if content is not None:
                fields: dict[str, Any] = {"account": number, "content": dict(content)}
            else:
                fields = {"account": number, "amount": amount, "currency": cur,
                          "description": text, "code": charging_code}  # fmt: skip
            fields.update(more or {})
            digest = idempotency.request_hash(operation, fields)
        return Command(
            run,
            operation,
            app_id=app,
            reference_code=ref,
            digest=digest,
            account=number,
            amount_minor=amount,
            currency=cur,
            description=text,
            code=charging_code,
            **command,
        )

    def _payment(
        self,
        run: Run,
        operation: Operation,
        *,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None,
        content: Mapping[str, Any] | None,
    ) -> Command:
        """A charge or refund: the account and the application's settlement account."""
        c = self._money(
            run,
            operation,
            app_id=app_id,
            reference_code=reference_code,
            account=account,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            code=code,
            content=content,
            transfers=1,
        )
        c.accounts = (c.account, movements.settlement(c.app_id, c.currency))
        return c

    # -- Payment: AmountCharging -----------------------------------------------------------------
    def charge(
        self,
        *,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        request_content: Mapping[str, Any] | None = None,
    ) -> TransactionResult:
        """chargeAmount: debit ``amount_minor`` now, within every limit.

        ``request_content``, when given, is what the idempotency hash covers instead of the amount
        and texts: a volume charge passes its volume and tariff, so that a retry after the tariff
        changed still returns the first outcome."""
        return self._submit(
            self._payment(
                payments.charge,
                Operation.CHARGE,
                app_id=app_id,
                reference_code=reference_code,
                account=account,
                amount_minor=amount_minor,
                currency=currency,
                description=description,
                code=code,
                content=request_content,
            )
        )

    async def charge_async(
        self,
        *,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        attachment: Attachment | None = None,
    ) -> Any:
        """:meth:`charge` from an asyncio event loop (no thread waits for the commit).

        With ``attachment``, its rows are written in the charge's own transaction and its
        answer is returned (``charging.batch.attach``)."""
        command = self._payment(
            payments.charge,
            Operation.CHARGE,
            app_id=app_id,
            reference_code=reference_code,
            account=account,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            code=code,
            content=None,
        )
        if attachment is not None:
            command = attach(command, attachment)
        return await self._submit_async(command)

    def charge_split(
        self,
        *,
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
        checked = [
            (validate.account_number(account), validate.amount_minor(amount))
            for account, amount in shares
        ]
        if len({number for number, _ in checked}) != len(checked):
            raise InvalidInput(field="shares", reason="one share per account")
        first_number, first_amount = checked[0]
        c = self._money(
            payments.charge_split,
            Operation.CHARGE,
            app_id=app_id,
            reference_code=reference_code,
            account=first_number,
            amount_minor=first_amount,
            currency=currency,
            description=description,
            code=code,
            content={},  # replaced below: the hash covers every share
            args=checked,
            transfers=len(checked),
        )
        c.digest = idempotency.request_hash(
            Operation.CHARGE.value,
            {"split": [list(s) for s in checked], "currency": c.currency,
             "description": c.description, "code": c.code},
        )  # fmt: skip
        settlement = movements.settlement(c.app_id, c.currency)
        c.accounts = (*(number for number, _ in checked), settlement)
        return self._submit(c)

    def refund(
        self,
        *,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        request_content: Mapping[str, Any] | None = None,
    ) -> TransactionResult:
        """refundAmount: a free-standing credit of what this application charged; a refund
        restores this month's headroom, never below zero spend. ``request_content``: as in
        :meth:`charge`."""
        return self._submit(
            self._payment(
                payments.refund,
                Operation.REFUND,
                app_id=app_id,
                reference_code=reference_code,
                account=account,
                amount_minor=amount_minor,
                currency=currency,
                description=description,
                code=code,
                content=request_content,
            )
        )

    # -- Account Management: balanceUpdate and voucherUpdate --------------------------------------
    def recharge(
        self,
        *,
        app_id: str,
        reference_code: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str = "recharge",
        extend_days: int | None = None,
    ) -> TransactionResult:
        """balanceUpdate: credit a prepaid account from the application's float (the operator's
        top-ups from funding), within its grant; ``extend_days`` (Parlay X ``period``) makes
        it valid for at least that many days from today -- never shorter than it was."""
        days = validate.extension_days(extend_days)
        c = self._money(
            payments.recharge,
            Operation.RECHARGE,
            app_id=app_id,
            reference_code=reference_code,
            account=account,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            more={"extend_days": days},
            args=days,
            transfers=1,
            isolated=True,
        )
        c.accounts = (c.account, movements.recharge_source(c.app_id, c.currency))
        return self._submit(c)

    def fund_float(
        self, *, app_id: str, amount_minor: int, currency: str, reference_code: str | None = None
    ) -> TransactionResult:
        """The operator pays ``amount_minor`` into ``app_id``'s top-up float, from funding (the
        result's ``balance_minor`` is the float's after). Idempotent when a ``reference_code``
        is given."""
        target = validate.app_id(app_id)
        c = self._money(
            payments.fund_float,
            Operation.FUND_FLOAT,
            app_id=movements.OPERATOR_APP_ID,
            reference_code=reference_code,
            account=None,
            amount_minor=amount_minor,
            currency=currency,
            description=f"float of {target}",
            more={"app": target},
            args=target,
            transfers=1,
        )
        c.accounts = (movements.float_of(target, c.currency), movements.funding(c.currency))
        return self._submit(c)

    def issue_voucher(
        self, amount_minor: int, currency: str, valid_until: date | None = None
    ) -> tuple[str, str]:
        """Issue a voucher; returns (voucher_id, pin). Only the PIN's hash is kept."""
        amount = validate.amount_minor(amount_minor)
        cur = validate.currency(currency)
        until = validate.future_date(valid_until, "valid_until", self._moment().today)
        pin = pins.new_voucher_pin()
        pin_hash = pins.hash_pin(pin)
        command = Command(
            vouchers.issue, "issue_voucher", amount_minor=amount, currency=cur,
            args=(until, pin_hash), accounts=(movements.voucher_issuance(cur),
            movements.voucher_liability(cur)), transfers=1, isolated=True,
        )  # fmt: skip
        return self._submit(command), pin

    def redeem_voucher(
        self, *, app_id: str, reference_code: str, account: str, voucher_id: str, voucher_pin: str
    ) -> TransactionResult:
        """voucherUpdate: credit a voucher's amount to a prepaid account, once."""
        app = validate.app_id(app_id)
        ref = validate.reference_code(reference_code)
        number = validate.account_number(account)
        vid = validate.text(voucher_id, "voucher_id", validate.REFERENCE_CODE_LENGTH_MAX)
        pin = validate.pin(voucher_pin)
        known_hash = self._read(lambda tx: vouchers.pin_hash_of(tx, vid))
        matched = pins.matches(known_hash, pin)  # slow on purpose: not on the writer thread
        digest = idempotency.request_hash(
            Operation.REDEEM_VOUCHER.value, {"account": number, "voucher": vid}
        )
        command = Command(
            vouchers.redeem, Operation.REDEEM_VOUCHER, app_id=app, reference_code=ref,
            digest=digest, account=number, args=(vid, known_hash, matched), accounts=(number,),
            transfers=1, isolated=True,
        )  # fmt: skip
        return self._submit(command)

    def list_vouchers(self, state: str | None = None) -> list[Voucher]:
        """Vouchers, oldest first; ``state`` "issued" or "redeemed" filters."""
        return self._read(lambda tx: vouchers.list_all(tx, state))

    # -- Payment: ReserveAmountCharging ------------------------------------------------------------
    def reserve(
        self,
        *,
        app_id: str,
        account: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        reference_code: str | None = None,
    ) -> str:
        """reserveAmount: hold funds against balance and monthly limit; returns the reservation
        identifier (unguessable). Idempotent only when a ``reference_code`` is given."""
        c = self._money(
            reservations.reserve,
            Operation.RESERVE,
            app_id=app_id,
            reference_code=reference_code,
            account=account,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            code=code,
            args=self.reservation_ttl_s,
            isolated=True,
        )
        c.accounts = (c.account,)
        return self._submit(c)

    def reserve_additional(
        self,
        *,
        app_id: str,
        reservation_id: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        reference_code: str | None = None,
    ) -> ReservationInfo:
        """reserveAdditionalAmount: hold more on an open reservation; its expiry restarts."""
        rid = _reservation_id(reservation_id)
        return self._submit(
            self._money(
                reservations.reserve_additional,
                Operation.RESERVE_ADDITIONAL,
                app_id=app_id,
                reference_code=reference_code,
                account=None,
                amount_minor=amount_minor,
                currency=currency,
                description=description,
                code=code,
                more={"reservation": rid},
                args=self.reservation_ttl_s,
                reservation=rid,
                isolated=True,
            )
        )

    def charge_reservation(
        self,
        *,
        app_id: str,
        reference_code: str,
        reservation_id: str,
        amount_minor: int,
        currency: str,
        description: str,
        code: str | None = None,
        request_content: Mapping[str, Any] | None = None,
    ) -> TransactionResult:
        """chargeReservation: charge part or all of what is still reserved.
        ``request_content``: as in :meth:`charge`."""
        rid = _reservation_id(reservation_id)
        c = self._money(
            reservations.charge,
            Operation.CHARGE_RESERVATION,
            app_id=app_id,
            reference_code=reference_code,
            account=None,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            code=code,
            content=request_content,
            more={"reservation": rid},
            reservation=rid,
            transfers=1,
            isolated=True,
        )
        c.accounts = (movements.settlement(c.app_id, c.currency),)
        return self._submit(c)

    def release_reservation(self, app_id: str, reservation_id: str) -> ReservationInfo:
        """releaseReservation: give back what is still reserved. Releasing again (or after
        expiry) changes nothing and reports the final state."""
        rid = _reservation_id(reservation_id)
        command = Command(
            reservations.release, "release", app_id=validate.app_id(app_id), reservation=rid,
            isolated=True,
        )  # fmt: skip
        return self._submit(command)

    def reservation(self, app_id: str, reservation_id: str) -> ReservationInfo:
        """A reservation of ``app_id`` as it is now; another application's is unknown."""
        app = validate.app_id(app_id)
        rid = _reservation_id(reservation_id)
        return self._read(lambda tx: reservations.info_of(tx, app, rid))

    def open_reservations(self, account: str) -> list[ReservationInfo]:
        number = validate.account_number(account)
        return self._read(lambda tx: reservations.open_reservations(tx, number))


def _reservation_id(value: Any) -> str:
    return validate.text(value, "reservation_id", validate.REFERENCE_CODE_LENGTH_MAX)
