"""Carrier Billing Refund v0.3 on the Payment SCF's ``refundAmount``, bounded per payment.

The ledger bounds an application's refunds by what it charged the subscriber; a CAMARA refund is
also bounded by its payment: the refund's amount is held on the payment row in the transaction
that creates the refund (one guarded UPDATE, so concurrent refunds cannot together exceed the
payment), then the ledger refunds it (idempotent on the refund's referenceCode), then the hold
becomes refunded -- or is given back when the ledger refuses. The remaining amount is the payment
less what is refunded and what is being refunded (r3.2's rule for ``processing`` refunds).
A ``total`` refund refunds whatever remains; a refused refund is not created.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

from camara import store
from camara.errors import PaymentNotRefundable, UnknownRefund
from camara.events import refund_event
from camara.flows import Flows, new_id
from camara.model import Payment, Refund, RefundStatus, RefundType, Status
from camara.payments import Payments, same_request
from camara.requests import RefundRequest
from camara.store import Taken
from charging.errors import CurrencyMismatch, DomainError, RefundExceedsCharges
from charging.money import from_minor, to_minor
from scf.common.charging_information import ChargingInformation
from scf.common.faults import fault_for

REFUND = "refund"


class Refunds:
    def __init__(self, flows: Flows, payments: Payments) -> None:
        self.f, self.payments = flows, payments

    async def get(self, app_id: str, payment_id: str, *, refund_id: str) -> Refund:
        await self.payments.get(app_id, payment_id)
        found = await self.f.blocking(store.refund, self.f.db, app_id, payment_id, refund_id)
        if found is None:
            raise UnknownRefund(refund_id=refund_id, payment_id=payment_id)
        return found

    async def create(self, app_id: str, payment_id: str, req: RefundRequest) -> Refund:
        p = await self.payments.get(app_id, payment_id)
        if p.status is not Status.SUCCEEDED:
            raise PaymentNotRefundable(payment_id=payment_id, status=p.status.value)
        if req.refund_type is RefundType.TOTAL:
            amount_minor = p.remaining_minor
        else:
            assert req.amount is not None and req.currency is not None
            if req.currency != p.currency:
                raise CurrencyMismatch(currency=req.currency, account_currency=p.currency)
            amount_minor = to_minor(req.amount, req.currency)
        if amount_minor <= 0:
            raise RefundExceedsCharges(amount=0, refundable=0, currency=p.currency)
        now = self.f.clock()
        new = Refund(
            refund_id=new_id(), payment_id=payment_id, app_id=app_id, refund_type=req.refund_type,
            status=RefundStatus.PROCESSING, pending_op=REFUND, request_hash=req.request_hash,
            client_correlator=req.client_correlator, reference_code=req.reference_code,
            currency=p.currency, amount_minor=amount_minor, reason=req.reason,
            merchant_identifier=req.merchant_identifier, refund_amount=req.refund_amount,
            sink=req.sink, transaction_id=None, created_at=now, refund_date=None,
        )  # fmt: skip

        def work(tx: Any) -> tuple[Refund | None, bool, int]:
            try:
                if store.insert_refund(tx, new, now):
                    return new, True, 0
            except Taken as taken:
                same_target = taken.existing.payment_id == payment_id
                return same_request(taken, new, same_target=same_target), False, 0
            current = store.find_payment(tx, app_id, payment_id)
            return None, False, current.remaining_minor if current else 0

        refund, fresh, remaining = await self.f.write(work)
        if refund is None:
            raise RefundExceedsCharges(amount=amount_minor, refundable=remaining,
                                       currency=p.currency)  # fmt: skip
        return await self._drive(refund, p, answered=fresh)

    async def _drive(self, r: Refund, p: Payment, *, answered: bool) -> Refund:
        if r.pending_op is None:
            return r
        charge = ChargingInformation(r.reason or f"refund of {p.reference_code}"[:256], r.currency,
                                     from_minor(r.amount_minor, r.currency), None)  # fmt: skip
        try:
            result = await self.f.blocking(
                self.f.payment.refund_amount,
                r.app_id,
                f"acct:{p.account}",
                charge,
                r.reference_code,
            )
        except DomainError as exc:
            now = self.f.clock()
            if answered:
                await self.f.write(lambda tx: store.delete_refund(tx, r, now))
                raise
            reason = fault_for(exc).text

            def deny(tx: Any) -> None:
                store.settle_refund(tx, r, now, succeeded=False)
                self.f.event(tx, r.app_id, r.refund_id, r.sink, refund_event(
                    "denied", payment_id=r.payment_id, refund_id=r.refund_id,
                    source=self.f.settings.source, now=now, description="Refund denied",
                    denial_reason=reason))  # fmt: skip

            await self.f.write(deny)
            raise
        now = self.f.clock()

        def settle(tx: Any) -> None:
            store.settle_refund(tx, r, now, succeeded=True, transaction_id=result.transaction_id)
            self.f.event(tx, r.app_id, r.refund_id, r.sink, refund_event(
                "completed", payment_id=r.payment_id, refund_id=r.refund_id,
                source=self.f.settings.source, now=now, description="Refund completed",
                refund_date=now))  # fmt: skip

        await self.f.write(settle)
        return replace(r, status=RefundStatus.SUCCEEDED, pending_op=None,
                       transaction_id=result.transaction_id, refund_date=now)  # fmt: skip

    async def recover(self, r: Refund) -> None:
        p = await self.f.blocking(store.payment, self.f.db, r.app_id, r.payment_id)
        if p is not None:
            with contextlib.suppress(DomainError):
                await self._drive(r, p, answered=False)
