"""Carrier Billing v0.5 payments on the Payment SCF: 1-step is ``chargeAmount``; 2-step is
``reserveAmount`` -> ``chargeReservation`` + release (confirm) or release (cancel). Every limit,
state and idempotency rule is the ledger's, as on the other surfaces; this module adds what
CAMARA adds: the payment resource, clientCorrelator, the one-time-code validation, sinks.

Keys: a payment's ``referenceCode`` is its Parlay X referenceCode (the ledger's idempotency key
of its charge: the same request again gets the same payment, another request with it is 409
ALREADY_EXISTS); ``clientCorrelator`` is a second key for retries (another request with it is 400
INVALID_ARGUMENT, as r3.2 documents). A refused request creates no payment ("in case of any
error scenario paymentId is not created"), so a retry is judged afresh, as the ledger does.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from camara import codes, store
from camara.errors import (
    ClientCorrelatorReused,
    ConfirmationRequired,
    InvalidAuthorizationId,
    InvalidCode,
    PaymentAlreadyCancelled,
    PaymentAlreadyConfirmed,
    PaymentAlreadyValidated,
    PaymentNotReserved,
    UnknownPayment,
    ValidationFailed,
)
from camara.events import payment_event
from camara.flows import Flows, new_id
from camara.model import Event, Flow, Payment, Status, next_status
from camara.requests import PaymentRequest
from camara.store import Taken
from charging import selfcare
from charging.errors import (
    DomainError,
    ReferenceCodeReused,
    UnknownReservation,
    UnregisteredAccount,
)
from charging.model import TransactionResult
from charging.money import from_minor, to_minor
from scf.common.charging_information import ChargingInformation
from scf.common.faults import fault_for
from scf.sms.service import GATEWAY_APP_ID

log = logging.getLogger("micropay.camara.payments")

CHARGE, RESERVE, CONFIRM, CANCEL = "charge", "reserve", "confirm", "cancel"


def _tel(phone: str) -> str:
    return f"tel:{phone}"


def _acct(number: str) -> str:
    return f"acct:{number}"


def _charge_of(p: Payment) -> ChargingInformation:
    return ChargingInformation(p.description, p.currency, from_minor(p.amount_minor, p.currency),
                               None)  # fmt: skip


class Payments:
    def __init__(self, flows: Flows) -> None:
        self.f = flows

    # -- reads -----------------------------------------------------------------------------------
    async def get(self, app_id: str, payment_id: str) -> Payment:
        found = await self.f.blocking(store.payment, self.f.db, app_id, payment_id)
        if found is None:
            raise UnknownPayment(payment_id=payment_id)
        return found

    # -- 1-step and the first of 2 steps ------------------------------------------------------------
    async def create(self, app_id: str, req: PaymentRequest) -> Payment:
        """1-step: the payment, its charge and its CloudEvent in ONE ledger transaction
        (:class:`OneStep`) -- no row written ahead, nothing to recover. A payment found under
        the request's keys is answered instead (driven on if a crash left it under way)."""
        account = await self._account(req)
        new = self._new(app_id, req, account, Flow.ONE_STEP, CHARGE)
        p = await self.f.payment.charge_amount_async(
            app_id, _acct(account), _charge_of(new), new.reference_code, self.f.blocking,
            attachment=OneStep(self, new),
        )  # fmt: skip
        return await self._drive(p, answered=False)

    async def prepare(self, app_id: str, req: PaymentRequest) -> Payment:
        account = await self._account(req)
        new = self._new(app_id, req, account, Flow.TWO_STEP, RESERVE)
        p, fresh = await self._begin(new)
        return await self._drive(p, answered=fresh)

    async def _account(self, req: PaymentRequest) -> str:
        """The account of ``req.phone_number`` -- from the directory's memory on the loop when
        it knows the number, else read in a worker thread (an unknown number is refused)."""
        directory, who = self.f.payment.directory, _tel(req.phone_number)
        target = directory.known_target(who, req.currency)
        if target is None:
            target = await self.f.blocking(directory.target, who, req.currency)
        return str(target[0])

    def _threshold(self, settings: Any) -> int | None:
        """The account's own threshold (its status or self-care settings), else the default."""
        own = getattr(settings, "confirm_above_minor", None)
        if own is not None:
            return int(own)
        default = self.f.settings.confirm_above_minor
        return None if default < 0 else default

    def _new(self, app_id: str, req: PaymentRequest, account: str, flow: Flow, op: str) -> Payment:
        """The payment ``req`` asks for, about to run ``op``."""
        return Payment(
            payment_id=new_id(), app_id=app_id, flow=flow, status=Status.PROCESSING,
            pending_op=op, request_hash=req.request_hash, client_correlator=req.client_correlator,
            reference_code=req.reference_code, phone_number=req.phone_number, account=account,
            currency=req.currency, amount_minor=to_minor(req.amount, req.currency),
            description=req.description, merchant_identifier=req.merchant_identifier,
            payment_amount=req.payment_amount, sink=req.sink, reservation_id=None,
            transaction_id=None, created_at=self.f.clock(), payment_date=None, expires_at=None,
            denial_reason=None, refunded_minor=0, refund_held_minor=0, validation_id=None,
        )  # fmt: skip

    async def _begin(self, new: Payment) -> tuple[Payment, bool]:
        """Write ``new`` ahead of its ledger operation: (its row, True), or (the payment of the
        same request found under its keys, False)."""

        def work(tx: Any) -> tuple[Payment, bool]:
            taken = store.holder(tx, new)
            if taken is not None:
                return same_request(taken, new), False
            store.add_payment(tx, new, new.created_at)
            return new, True

        return await self.f.write(work)

    async def _drive(self, p: Payment, *, answered: bool) -> Payment:
        """Run the payment's pending ledger operation to its end (or return it as it is).
        ``answered``: the client waits for this outcome, so a refusal is its error and leaves
        no payment; otherwise (a replay, the recovery sweep) a refusal ends the payment denied."""
        if p.pending_op is None:
            return p
        try:
            if p.pending_op == CHARGE:
                return await self._charge(p)
            if p.pending_op == RESERVE:
                return await self._reserve(p)
            if p.pending_op == CONFIRM:
                return await self._confirm(p)
            if p.pending_op == CANCEL:
                return await self._cancel(p)
        except DomainError as exc:
            if p.status is Status.PROCESSING:
                await self._refused(p, exc, answered)
            raise
        raise AssertionError(f"unknown pending operation {p.pending_op!r}")

    async def _refused(self, p: Payment, exc: DomainError, answered: bool) -> None:
        now = self.f.clock()
        reason = fault_for(exc).text
        if answered:
            await self.f.write(lambda tx: store.delete_payment(tx, p.payment_id))
            return

        def work(tx: Any) -> None:
            if store.update_payment(
                tx,
                p.payment_id,
                now,
                (Status.PROCESSING,),
                status=Status.DENIED,
                pending_op=None,
                denial_reason=reason,
            ):
                self.f.event(tx, p.app_id, p.payment_id, p.sink, payment_event(
                    "denied", payment_id=p.payment_id, source=self.f.settings.source, now=now,
                    description="Payment denied", denial_reason=reason))  # fmt: skip

        await self.f.write(work)

    async def _charge(self, p: Payment) -> Payment:
        result = await self.f.payment.charge_amount_async(
            p.app_id, _acct(p.account), _charge_of(p), p.reference_code, self.f.blocking
        )
        now = self.f.clock()
        return await self._settle(
            p, Event.CHARGED, now, "completed", "Payment completed",
            transaction_id=result.transaction_id, payment_date=now,
        )  # fmt: skip

    async def _settle(
        self, p: Payment, event: Event, now: datetime, kind: str, text: str, **fields: Any
    ) -> Payment:
        """Move ``p`` by ``event`` (once: a racing request finds it moved) with its CloudEvent."""
        status = next_status(p.status, event)
        assert status is not None, f"{p.status} --{event}--> is not a move"
        moved = replace(p, status=status, pending_op=None, **fields)

        def work(tx: Any) -> Payment:
            if store.update_payment(tx, p.payment_id, now, (p.status,), status=status,
                                    pending_op=None, **fields):  # fmt: skip
                extra: dict[str, Any] = {}
                if kind == "completed":
                    extra["payment_date"] = moved.payment_date
                if kind == "denied":
                    extra["denial_reason"] = moved.denial_reason
                self.f.event(tx, p.app_id, p.payment_id, p.sink, payment_event(
                    kind, payment_id=p.payment_id, source=self.f.settings.source, now=now,
                    description=text, **extra))  # fmt: skip
                return moved
            found = store.find_payment(tx, p.app_id, p.payment_id)
            return found or moved

        return await self.f.write(work)

    async def _reserve(self, p: Payment) -> Payment:
        reservation_id = await self.f.blocking(
            self.f.payment.reserve_amount, p.app_id, _acct(p.account), _charge_of(p),
            reference_code=f"camara:{p.payment_id}:hold",
        )  # fmt: skip
        info = await self.f.blocking(self.f.ledger.reservation, p.app_id, reservation_id)
        status = await self.f.blocking(self.f.ledger.status, p.account)
        threshold = self._threshold(status)
        now = self.f.clock()
        if threshold is None or p.amount_minor <= threshold:
            return await self._settle(
                p,
                Event.RESERVED,
                now,
                "reserved",
                "Payment reserved",
                reservation_id=reservation_id,
                expires_at=info.expires_at,
            )
        return await self._hold_for_code(p, reservation_id, info.expires_at, now)

    async def _hold_for_code(
        self, p: Payment, reservation_id: str, hold_until: datetime, now: datetime
    ) -> Payment:
        code = codes.new_code()
        authorization_id = new_id()
        ttl = timedelta(seconds=self.f.settings.code_ttl_s)
        expires = min(now + ttl, hold_until)
        try:
            sms = self.f.sms()
            await self.f.blocking(sms.sendSms, GATEWAY_APP_ID, [_tel(p.phone_number)], None,
                                  None, _code_text(code, p, self.f.settings.code_ttl_s))  # fmt: skip
        except Exception:
            # no code can reach the payer: give the hold back; the request fails (SVC1000/503)
            await self.f.blocking(self._release_quietly, p.app_id, reservation_id)
            raise
        validation = store.Validation(p.payment_id, authorization_id,
                                      codes.digest(self.f.code_key, p.payment_id, code), 0,
                                      expires, "waiting")  # fmt: skip

        def work(tx: Any) -> None:
            store.put_validation(tx, validation)

        await self.f.write(work)
        return await self._settle(
            p, Event.HELD_FOR_CODE, now, "pending-validation", "Payment pending validation",
            reservation_id=reservation_id, expires_at=expires, validation_id=authorization_id,
        )  # fmt: skip

    def _release_quietly(self, app_id: str, reservation_id: str) -> None:
        with contextlib.suppress(UnknownReservation):  # expired or released: nothing is held
            self.f.payment.release_reservation(app_id, reservation_id)

    # -- validation -------------------------------------------------------------------------------
    async def validate(
        self, app_id: str, payment_id: str, *, authorization_id: str, code: str
    ) -> None:
        p = await self.get(app_id, payment_id)
        if p.status is Status.RESERVED:
            raise PaymentAlreadyValidated(payment_id=payment_id)
        if p.status is not Status.PENDING_VALIDATION or p.pending_op is not None:
            raise PaymentNotReserved(payment_id=payment_id, status=p.status.value)
        now = self.f.clock()
        attempts_max = self.f.settings.code_attempts_max

        def work(tx: Any) -> tuple[str, int]:
            v = store.find_validation(tx, payment_id)
            if v is None or not codes.same(v.authorization_id, authorization_id):
                return "wrong_id", 0
            if v.state != "waiting":
                return "closed", 0
            if now >= v.expires_at:
                store.close_validation(tx, payment_id, "failed")
                return "expired", 0
            store.count_attempt(tx, payment_id)  # counted before the comparison
            if codes.matches(self.f.code_key, payment_id=payment_id, code=code, stored=v.code_hash):
                store.close_validation(tx, payment_id, "used")
                return "right", 0
            left = attempts_max - v.attempts - 1
            if left <= 0:
                store.close_validation(tx, payment_id, "failed")
                return "exhausted", 0
            return "wrong", left

        verdict, left = await self.f.write(work)
        if verdict == "wrong_id":
            raise InvalidAuthorizationId(part="authorizationId")
        if verdict == "wrong":
            raise InvalidCode(attempts_left=left)
        if verdict == "right":
            info = await self.f.blocking(self.f.ledger.reservation, app_id, p.reservation_id)
            await self._settle(
                p,
                Event.VALIDATED,
                self.f.clock(),
                "reserved",
                "Payment validated and reserved",
                expires_at=info.expires_at,
            )
            return
        reason = {"expired": "the code expired", "exhausted": "the attempts are used up",
                  "closed": "the validation is closed"}[verdict]  # fmt: skip
        await self.fail_validation(p, reason)
        raise ValidationFailed(payment_id=payment_id, reason=reason)

    async def fail_validation(self, p: Payment, reason: str) -> None:
        """Deny a payment whose validation failed and give its hold back."""
        if p.reservation_id is not None:
            await self.f.blocking(self._release_quietly, p.app_id, p.reservation_id)
        await self._settle(p, Event.VALIDATION_FAILED, self.f.clock(), "denied",
                           "Payment validation failed", denial_reason=reason)  # fmt: skip

    # -- the second step ---------------------------------------------------------------------------
    def _second_step(self, p: Payment, phone: str, operation: str) -> None:
        if phone != p.phone_number:
            raise UnknownPayment(payment_id=p.payment_id)  # not this subscriber's payment
        if p.status is Status.SUCCEEDED:
            raise PaymentAlreadyConfirmed(payment_id=p.payment_id)
        if p.status is Status.CANCELLED:
            raise PaymentAlreadyCancelled(payment_id=p.payment_id)
        allowed = (Status.RESERVED,) if operation == CONFIRM else (
            Status.RESERVED, Status.PENDING_VALIDATION)  # fmt: skip
        if p.status not in allowed or p.pending_op is not None:
            raise PaymentNotReserved(payment_id=p.payment_id, status=p.status.value)

    async def _mark(self, p: Payment, op: str) -> Payment:
        """Write ahead: the second step's ledger operation is under way."""
        now = self.f.clock()

        def work(tx: Any) -> bool:
            return store.update_payment(tx, p.payment_id, now, (p.status,), pending_op=op)

        if not await self.f.write(work):  # another request moved it first: judge again
            fresh = await self.get(p.app_id, p.payment_id)
            self._second_step(fresh, p.phone_number, op)
            return await self._mark(fresh, op)
        return replace(p, pending_op=op)

    async def confirm(self, app_id: str, payment_id: str, *, phone: str) -> Payment:
        p = await self.get(app_id, payment_id)
        self._second_step(p, phone, CONFIRM)
        return await self._drive(await self._mark(p, CONFIRM), answered=True)

    async def cancel(self, app_id: str, payment_id: str, *, phone: str) -> Payment:
        p = await self.get(app_id, payment_id)
        self._second_step(p, phone, CANCEL)
        return await self._drive(await self._mark(p, CANCEL), answered=True)

    async def _confirm(self, p: Payment) -> Payment:
        assert p.reservation_id is not None
        try:
            result = await self.f.blocking(
                self.f.payment.charge_reservation,
                p.app_id,
                p.reservation_id,
                _charge_of(p),
                p.reference_code,
            )
        except UnknownReservation:  # the hold expired meanwhile: the payment is discarded
            await self._settle(p, Event.CANCELLED, self.f.clock(), "cancelled",
                               "Payment cancelled: the reservation expired")  # fmt: skip
            raise PaymentAlreadyCancelled(payment_id=p.payment_id) from None
        except DomainError as exc:  # e.g. the account was suspended meanwhile
            await self.f.blocking(self._release_quietly, p.app_id, p.reservation_id)
            await self._settle(
                p,
                Event.CONFIRM_REFUSED,
                self.f.clock(),
                "denied",
                "Payment denied",
                denial_reason=fault_for(exc).text,
            )
            raise
        await self.f.blocking(self._release_quietly, p.app_id, p.reservation_id)
        now = self.f.clock()
        return await self._settle(
            p,
            Event.CONFIRMED,
            now,
            "completed",
            "Payment completed",
            transaction_id=result.transaction_id,
            payment_date=now,
        )

    async def _cancel(self, p: Payment) -> Payment:
        if p.reservation_id is not None:
            await self.f.blocking(self._release_quietly, p.app_id, p.reservation_id)

        def close(tx: Any) -> None:
            store.close_validation(tx, p.payment_id, "failed")

        await self.f.write(close)
        return await self._settle(
            p, Event.CANCELLED, self.f.clock(), "cancelled", "Payment cancelled"
        )

    # -- recovery ------------------------------------------------------------------------------------
    async def recover(self, p: Payment) -> None:
        """Drive a payment a crash left with its ledger operation under way."""
        with contextlib.suppress(DomainError):  # settled (denied, cancelled) by _drive
            await self._drive(p, answered=False)

    async def lapse(self, p: Payment) -> None:
        """A hold (or its code) whose time ran out: the payment is cancelled or denied."""
        if p.status is Status.PENDING_VALIDATION:
            await self.fail_validation(p, "the code expired")
            return
        assert p.reservation_id is not None
        try:
            info = await self.f.blocking(self.f.ledger.reservation, p.app_id, p.reservation_id)
        except UnknownReservation:
            info = None
        if info is not None and info.state == "open" and info.expires_at > self.f.clock():
            await self.f.write(
                lambda tx: store.update_payment(
                    tx, p.payment_id, self.f.clock(), (p.status,), expires_at=info.expires_at
                )
            )
            return
        await self._cancel(p)


def same_request(taken: Taken, new: Any, *, same_target: bool = True) -> Any:
    """The payment (or refund) holding one of ``new``'s keys when the same request made it --
    the same content and, for a refund, ``same_target``: of the same payment --; else the
    refusal r3.2 documents for the key that is taken."""
    held = taken.existing
    if held.request_hash == new.request_hash and same_target:
        return held
    if taken.key == "client_correlator":
        raise ClientCorrelatorReused(client_correlator=new.client_correlator)
    raise ReferenceCodeReused(reference_code=new.reference_code)


class OneStep:
    """A 1-step payment's rows in its charge's transaction (``charging.batch.Attachment``):
    before the charge its one-time-code threshold and its keys are checked; after it the
    payment is written completed, with its CloudEvent."""

    def __init__(self, payments: Payments, new: Payment) -> None:
        self.payments, self.new = payments, new

    def before(self, tx: Any) -> Payment | None:
        new = self.new
        own = selfcare.settings_of(tx, new.account)
        if own is None:
            raise UnregisteredAccount(account=new.account)
        threshold = self.payments._threshold(own)
        if threshold is not None and new.amount_minor > threshold:
            raise ConfirmationRequired(threshold=threshold, currency=new.currency)
        taken = store.holder(tx, new)
        return None if taken is None else same_request(taken, new)

    def after(self, tx: Any, result: TransactionResult) -> Payment:
        new, f = self.new, self.payments.f
        now = new.created_at
        status = next_status(new.status, Event.CHARGED)
        assert status is not None
        done = replace(new, status=status, pending_op=None, transaction_id=result.transaction_id,
                       payment_date=now)  # fmt: skip
        store.add_payment(tx, done, now)
        if done.sink is not None:
            f.event(tx, done.app_id, done.payment_id, done.sink, payment_event(
                "completed", payment_id=done.payment_id, source=f.settings.source, now=now,
                description="Payment completed", payment_date=now))  # fmt: skip
        return done


def _code_text(code: str, p: Payment, ttl_s: int) -> str:
    amount = from_minor(p.amount_minor, p.currency)
    return (f"micropay: code {code} confirms the payment of {amount} {p.currency} "
            f"(ref {p.reference_code[:32]}). Valid {max(1, ttl_s // 60)} min. "
            "Do not share it.")  # fmt: skip
