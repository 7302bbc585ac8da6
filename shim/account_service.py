"""``micropay.v1.AccountService`` on :class:`scf.account.service.AccountService`.

Thin, as the CORBA ``IpAccountManager`` servant is (same optional-parameter rule, same fault
context). Charging-event notifications: the assignments are the SCF's own
(``CreateNotification`` ... ``DestroyNotification``); their events arrive on
``StreamChargingEvents`` (``shim.streams_charging``) instead of an ``IpAppAccountManager``.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from micropay.v1 import account_pb2 as pb
from micropay.v1 import account_pb2_grpc

from shim.calls import Calls, caller
from shim.convert import decimal_of, moment_of, money, optional_text, timestamp
from shim.domain import Domain
from shim.follow import follow
from shim.streams_charging import ChargingEventReader, grpc_callback
from shim.watermark import Watermark

Context: TypeAlias = grpc.aio.ServicerContext  # type: ignore[type-arg]

STATES = {
    "active": pb.ACTIVE,
    "suspended": pb.SUSPENDED,
    "expired": pb.EXPIRED,
    "closed": pb.CLOSED,
}


def _app() -> str:
    return str(caller().app_id)


def account_status(found: Any) -> Any:
    """GetAccountStatusResponse of an ``EligibilityStatus``."""
    s = found.status
    if not s.registered:
        return pb.GetAccountStatusResponse(
            end_user_identifier=found.end_user, registered=False, state=pb.UNREGISTERED
        )
    cur = s.currency
    return pb.GetAccountStatusResponse(
        end_user_identifier=found.end_user,
        registered=True,
        state=STATES[s.state or "closed"],
        valid_until=timestamp(found.expires_at),
        currency_code=cur or "",
        balance=money(s.balance_minor, cur),
        monthly_limit=money(s.monthly_limit_minor, cur),
        month_to_date_spend=money(s.month_spent_minor, cur),
        remaining_headroom=money(found.remaining_headroom_minor, cur),
        transaction_limit=money(s.transaction_limit_minor, cur),
        low_balance_threshold=money(s.low_balance_minor or None, cur),
        pin_required=bool(s.pin_required),
        confirmation_threshold=money(s.confirm_above_minor, cur),
    )


def event_names(criteria: Any) -> list[str]:
    """The events' names; a number the enum does not know (proto3 enums are open) is passed on
    as its digits, which the domain refuses as an unknown event name (SVC0002)."""
    known = {number: name for name, number in pb.ChargingEventName.items()}
    return [known.get(e, str(e)) for e in criteria.charging_events]


def criteria_message(events: tuple, users: tuple) -> Any:
    return pb.ChargingEventCriteria(
        charging_events=[pb.ChargingEventName.Value(e.value) for e in events], users=list(users)
    )


def event_message(item: tuple[str, Any]) -> Any:
    cursor, n = item
    e = n.event
    return pb.ChargingEventNotification(
        cursor=cursor,
        assignment_id=n.assignment_id,
        charging_event_info=pb.ChargingEventInfo(
            charging_event_name=pb.ChargingEventName.Value(e.event.value),
            current_balance=money(e.balance_minor, e.currency),
            charging_event_time=timestamp(e.occurred_at),
            end_user_identifier=e.msisdn,
            event_amount=money(e.amount_minor, e.currency),
            reference_code=n.reference_code,
            additional_info=n.additional_info,
            event_id=str(e.seq),
        ),
    )


class AccountServicer(account_pb2_grpc.AccountServiceServicer):
    def __init__(self, domain: Domain, calls: Calls) -> None:
        self.domain = domain
        self.calls = calls
        self._newest_event: Watermark | None = None  # shared by every charging-event stream

    def _watermark(self, ledger: Any) -> Watermark:
        if self._newest_event is None:
            self._newest_event = Watermark(ledger.latest_event_seq)
        return self._newest_event

    async def _run(self, context: Context, work: Any, **fault_context: object) -> Any:
        return await self.calls.run(context, work, fault_context=fault_context)

    # -- Parlay X AccountManagement -----------------------------------------------------------
    async def GetBalance(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.account().get_balance(
                app, request.end_user_identifier, pin=optional_text(request.end_user_pin)
            )
            return pb.GetBalanceResponse(
                result=[
                    pb.Balance(
                        balance_type=b.balance_type, amount=money(b.amount_minor, b.currency)
                    )
                    for b in found
                ]
            )

        return await self._run(context, work)

    async def GetCreditExpiryDate(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.account().get_credit_expiry_date(
                app, request.end_user_identifier, pin=optional_text(request.end_user_pin)
            )
            return pb.GetCreditExpiryDateResponse(
                result=[
                    pb.BalanceExpireDetails(
                        balance_type=c.balance_type, date=timestamp(c.expires_at)
                    )
                    for c in found
                ]
            )

        return await self._run(context, work)

    async def BalanceUpdate(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            amount, currency = decimal_of(request.amount)
            self.domain.account().balance_update(
                app,
                request.end_user_identifier,
                pin=optional_text(request.end_user_pin),
                reference_code=request.reference_code,
                balance_type=request.balance_type,
                amount=amount,
                period_days=request.period if request.HasField("period") else None,
                currency=currency,
            )
            return pb.BalanceUpdateResponse()

        return await self._run(context, work, referenceCode=request.reference_code)

    async def VoucherUpdate(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.account().voucher_update(
                app,
                request.end_user_identifier,
                pin=optional_text(request.end_user_pin),
                reference_code=request.reference_code,
                voucher_id=request.voucher_identifier,
                voucher_pin=optional_text(request.voucher_pin),
            )
            return pb.VoucherUpdateResponse()

        return await self._run(
            context,
            work,
            referenceCode=request.reference_code,
            voucherIdentifier=request.voucher_identifier,
        )

    async def GetHistory(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.account().get_history(
                app,
                request.end_user_identifier,
                pin=optional_text(request.end_user_pin),
                since=moment_of(request.date) if request.HasField("date") else None,
                entries_max=request.max_entries if request.HasField("max_entries") else None,
            )
            return pb.GetHistoryResponse(
                result=[
                    pb.DatedTransaction(
                        transaction_date=timestamp(t.transaction_date),
                        transaction_details=t.transaction_details,
                    )
                    for t in found
                ]
            )

        return await self._run(context, work)

    async def GetBalanceTypes(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.account().get_balance_types(
                app, request.end_user_identifier, pin=optional_text(request.end_user_pin)
            )
            return pb.GetBalanceTypesResponse(result=list(found))

        return await self._run(context, work)

    # -- EXTENSION: account status ------------------------------------------------------------
    async def GetAccountStatus(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.account().get_account_status(
                app, request.end_user_identifier, pin=optional_text(request.end_user_pin)
            )
            return account_status(found)

        return await self._run(context, work)

    # -- EXTENSION: subscriber self-care --------------------------------------------------------
    async def SuspendAccount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.account().suspend_account(
                app, request.end_user_identifier, pin=optional_text(request.end_user_pin)
            )
            return pb.SuspendAccountResponse()

        return await self._run(context, work)

    async def ResumeAccount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.account().resume_account(
                app, request.end_user_identifier, pin=optional_text(request.end_user_pin)
            )
            return pb.ResumeAccountResponse()

        return await self._run(context, work)

    async def ChangeMonthlyLimit(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            limit, _currency = decimal_of(request.monthly_limit)
            change = self.domain.account().change_monthly_limit(
                app,
                request.end_user_identifier,
                pin=optional_text(request.end_user_pin),
                limit=limit,
            )
            cur = change.currency
            return pb.ChangeMonthlyLimitResponse(
                monthly_limit=money(change.monthly_limit_minor, cur),
                pending_monthly_limit=money(change.pending_monthly_limit_minor, cur),
                pending_from=timestamp(change.pending_from),
            )

        return await self._run(context, work)

    async def SetThreshold(self, request: Any, context: Context) -> Any:
        app = _app()
        kinds = {pb.LARGE_PAYMENT_ALERT: "LargePaymentAlert",
                 pb.PAYMENT_CONFIRMATION: "PaymentConfirmation"}  # fmt: skip

        def work() -> Any:
            amount = decimal_of(request.amount)[0] if request.HasField("amount") else None
            self.domain.account().set_threshold(
                app,
                request.end_user_identifier,
                pin=optional_text(request.end_user_pin),
                kind=kinds.get(request.kind, str(request.kind)),
                amount=amount,
            )
            return pb.SetThresholdResponse()

        return await self._run(context, work)

    # -- EXTENSION: charging-event notifications ----------------------------------------------
    async def CreateNotification(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            service = self.domain.account()
            criteria = request.charging_event_criteria
            assignment_id = service.create_notification(
                app,
                grpc_callback(service.ledger.latest_event_seq()),
                event_names(criteria),
                list(criteria.users),
            )
            return pb.CreateNotificationResponse(assignment_id=assignment_id)

        return await self._run(context, work)

    async def ChangeNotification(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            criteria = request.event_criteria
            self.domain.account().change_notification(
                app, request.assignment_id, event_names(criteria), list(criteria.users)
            )
            return pb.ChangeNotificationResponse()

        return await self._run(context, work, assignmentId=request.assignment_id)

    async def GetNotification(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            return pb.GetNotificationResponse(
                results=[
                    pb.ChargingEventCriteriaResult(
                        charging_event_criteria=criteria_message(
                            a.criteria.events, a.criteria.users
                        ),
                        assignment_id=a.assignment_id,
                    )
                    for a in self.domain.account().get_notifications(app)
                ]
            )

        return await self._run(context, work)

    async def DestroyNotification(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.account().destroy_notification(app, request.assignment_id)
            return pb.DestroyNotificationResponse()

        return await self._run(context, work, assignmentId=request.assignment_id)

    async def StreamChargingEvents(self, request: Any, context: Context) -> Any:
        grant = caller()
        reader: list[ChargingEventReader] = []

        def start() -> None:
            service = self.domain.account()
            reader.append(
                ChargingEventReader(
                    service,
                    grant.app_id,
                    frozenset(request.assignment_ids),
                    newest=self._watermark(service.ledger).newest,
                )
            )
            reader[0].start(request.after_cursor)

        async for item in follow(
            context, self.calls, grant, start, lambda: reader[0].read(), event_message
        ):
            yield item
