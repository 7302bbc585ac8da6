"""The :class:`~apps.micropay.ports.Gateway` port over gRPC (``micropay.v1``), chosen by the
endpoint: ``grpc://host:port`` (loopback) or ``grpcs://host:port`` (TLS).

The same client library (``client.connect`` sends gRPC endpoints to ``client.grpc_session``)
runs the same handshake; the SCF stubs it returns are bound to the agreements. The rules for
repeating a call are those of the CORBA port: UNAUTHENTICATED (the token was revoked: the call
did not run) -> authenticate again and repeat once; UNAVAILABLE or DEADLINE_EXCEEDED without a
Parlay X fault (the answer may be lost) -> repeat only what has a referenceCode or only reads.
Faults carry their variables by name (google.rpc.ErrorInfo metadata); the refusal texts read
them by name. Charging events and subscriber SMS come over streams, not callbacks
(``grpc_streams``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any, TypeVar

import grpc
from micropay.v1 import account_pb2, common_pb2, payment_pb2, sms_pb2

import client
from apps.micropay import amounts
from apps.micropay.credentials import Credentials
from apps.micropay.ports import GatewayFault, GatewayUnavailable, HistoryItem, LimitChange
from apps.micropay.procedure import AccountStatus
from client import errors as client_errors
from client.grpc_errors import GrpcFault

logger = logging.getLogger("micropay.shop.grpc")

T = TypeVar("T")
CALL_TIMEOUT_S = 10.0
RETRY_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


@dataclass(frozen=True)
class TlsFiles:
    root_certificates: str | None = None
    certificate_chain: str | None = None
    private_key: str | None = None


@dataclass(frozen=True)
class Stubs:
    session: Any
    payment: Any
    account: Any
    sms: Any


def money(amount: Decimal, currency: str) -> Any:
    exponent = amounts.CURRENCY_DIGITS.get(currency, 2)
    minor = amount.scaleb(exponent)
    assert minor == minor.to_integral_value(), "more decimals than the currency has"
    return common_pb2.Money(currency_code=currency, amount_minor=int(minor), exponent=exponent)


def decimal_of(message: Any, field: str) -> Decimal | None:
    if not message.HasField(field):
        return None
    m = getattr(message, field)
    return Decimal(m.amount_minor).scaleb(-m.exponent)


def time_text(message: Any, field: str) -> str:
    if not message.HasField(field):
        return ""
    moment = getattr(message, field).ToDatetime(tzinfo=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class GrpcGateway:
    def __init__(
        self, credentials: Credentials, tls: TlsFiles, timeout_s: float = CALL_TIMEOUT_S
    ) -> None:
        self.credentials = credentials
        self.tls = tls
        self.timeout_s = timeout_s
        self._stubs: Stubs | None = None
        self._lock = threading.Lock()

    # -- the session ----------------------------------------------------------------------------
    def stubs(self) -> Stubs:
        with self._lock:
            current = self._stubs
            if current is not None and not current.session.ended.is_set():
                return current
            self._stubs = self._connect()
            return self._stubs

    def _connect(self) -> Stubs:
        c = self.credentials
        try:
            session = client.connect(
                c.endpoint,
                c.app_id,
                c.secret,
                c.private_key,
                framework_public_keys=list(c.framework_public_keys),
                timeout_s=self.timeout_s,
                root_certificates=self.tls.root_certificates,
                certificate_chain=self.tls.certificate_chain,
                tls_private_key=self.tls.private_key,
            )
        except (client_errors.FrameworkError, GrpcFault, grpc.RpcError, OSError) as exc:
            raise GatewayUnavailable(f"cannot open an access session: {exc}") from None
        try:
            stubs = Stubs(
                session,
                session.obtain_service("P_PAYMENT"),
                session.obtain_service("P_ACCOUNT_MANAGEMENT"),
                session.obtain_service("P_SMS"),
            )
        except (client_errors.FrameworkError, GrpcFault, grpc.RpcError) as exc:
            self._end(session)
            raise GatewayUnavailable(f"cannot sign the service agreements: {exc}") from None
        logger.info("access session open for %s over gRPC", c.app_id)
        return stubs

    def drop(self, stale: Stubs | None = None) -> None:
        with self._lock:
            if stale is None or self._stubs is stale:
                self._stubs = None

    @staticmethod
    def _end(session: Any) -> None:
        try:
            session.terminate()
        except (client_errors.FrameworkError, GrpcFault, grpc.RpcError) as exc:
            logger.info("terminate: %s", exc)

    def close(self) -> None:
        with self._lock:
            current, self._stubs = self._stubs, None
        if current is not None:
            self._end(current.session)
            current.session.channel.close()

    def call(self, fn: Callable[[Stubs], T], *, repeatable: bool) -> T:
        for attempt in range(2):
            stubs = self.stubs()
            try:
                return fn(stubs)
            except GrpcFault as fault:
                code = fault.code
                if code == grpc.StatusCode.UNAUTHENTICATED:  # revoked: the call did not run
                    self.drop(stubs)
                    if attempt:
                        raise GatewayUnavailable(code.name) from None
                    continue
                if code in RETRY_CODES and fault.message_id == code.name:  # no Parlay X fault
                    self.drop(stubs)
                    if attempt or not repeatable:
                        raise GatewayUnavailable(code.name) from None
                    continue
                kind = "policy" if fault.message_id.startswith("POL") else "service"
                raise GatewayFault(
                    kind, fault.message_id, fault.text, [], fault.variables
                ) from None
        raise AssertionError("unreachable")

    # -- Account Management ---------------------------------------------------------------------
    def account_status(self, end_user: str, pin: str | None) -> AccountStatus:
        request = account_pb2.GetAccountStatusRequest(
            end_user_identifier=end_user, end_user_pin=pin or ""
        )
        s = self.call(lambda m: m.account.GetAccountStatus(request), repeatable=True)
        return AccountStatus(
            end_user=s.end_user_identifier,
            registered=s.registered,
            state=account_pb2.AccountState.Name(s.state).title(),
            valid_until=time_text(s, "valid_until"),
            currency=s.currency_code,
            balance=decimal_of(s, "balance"),
            monthly_limit=decimal_of(s, "monthly_limit"),
            month_to_date_spend=decimal_of(s, "month_to_date_spend"),
            remaining_headroom=decimal_of(s, "remaining_headroom"),
            transaction_limit=decimal_of(s, "transaction_limit"),
            low_balance_threshold=decimal_of(s, "low_balance_threshold"),
            pin_required=s.pin_required,
            confirmation_threshold=decimal_of(s, "confirmation_threshold"),
        )

    def balance_update(
        self, end_user: str, reference_code: str, amount: Decimal, currency: str
    ) -> None:
        request = account_pb2.BalanceUpdateRequest(
            end_user_identifier=end_user,
            reference_code=reference_code,
            balance_type="MICROPAY",
            amount=money(amount, currency),
        )
        self.call(lambda m: m.account.BalanceUpdate(request), repeatable=True)

    def history(self, end_user: str, entries_max: int) -> list[HistoryItem]:
        request = account_pb2.GetHistoryRequest(
            end_user_identifier=end_user, max_entries=entries_max
        )
        found = self.call(lambda m: m.account.GetHistory(request), repeatable=True)
        return [
            HistoryItem(time_text(t, "transaction_date"), t.transaction_details)
            for t in found.result
        ]

    # -- the self-care extension ------------------------------------------------------------------
    def suspend_account(self, end_user: str) -> None:
        request = account_pb2.SuspendAccountRequest(end_user_identifier=end_user)
        self.call(lambda m: m.account.SuspendAccount(request), repeatable=True)

    def resume_account(self, end_user: str, pin: str) -> None:
        request = account_pb2.ResumeAccountRequest(end_user_identifier=end_user, end_user_pin=pin)
        self.call(lambda m: m.account.ResumeAccount(request), repeatable=True)

    def change_monthly_limit(self, end_user: str, pin: str | None, limit: Decimal) -> LimitChange:
        status = self.account_status(end_user, None)
        request = account_pb2.ChangeMonthlyLimitRequest(
            end_user_identifier=end_user,
            end_user_pin=pin or "",
            monthly_limit=money(limit, status.currency or "KRW"),
        )
        found = self.call(lambda m: m.account.ChangeMonthlyLimit(request), repeatable=True)
        return LimitChange(
            decimal_of(found, "monthly_limit"),
            decimal_of(found, "pending_monthly_limit"),
            time_text(found, "pending_from"),
        )

    def set_threshold(self, end_user: str, kind: str, amount: Decimal | None) -> None:
        kinds = {"LargePaymentAlert": account_pb2.LARGE_PAYMENT_ALERT,
                 "PaymentConfirmation": account_pb2.PAYMENT_CONFIRMATION}  # fmt: skip
        request = account_pb2.SetThresholdRequest(end_user_identifier=end_user, kind=kinds[kind])
        if amount is not None:
            status = self.account_status(end_user, None)
            request.amount.CopyFrom(money(amount, status.currency or "KRW"))
        self.call(lambda m: m.account.SetThreshold(request), repeatable=True)

    def create_notification(self, callback: Any, events: list[str]) -> int:
        criteria = account_pb2.ChargingEventCriteria(
            charging_events=[account_pb2.ChargingEventName.Value(e) for e in events]
        )
        request = account_pb2.CreateNotificationRequest(charging_event_criteria=criteria)
        found = self.call(lambda m: m.account.CreateNotification(request), repeatable=False)
        return int(found.assignment_id)

    def notifications(self) -> list[int]:
        found = self.call(
            lambda m: m.account.GetNotification(account_pb2.GetNotificationRequest()),
            repeatable=True,
        )
        return [int(r.assignment_id) for r in found.results]

    def destroy_notification(self, assignment_id: int) -> None:
        request = account_pb2.DestroyNotificationRequest(assignment_id=assignment_id)
        self.call(lambda m: m.account.DestroyNotification(request), repeatable=True)

    # -- Payment --------------------------------------------------------------------------------
    @staticmethod
    def _charge(amount: Decimal, currency: str, description: str) -> Any:
        return common_pb2.ChargingInformation(
            description=description, amount=money(amount, currency)
        )

    def charge_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        request = payment_pb2.ChargeAmountRequest(
            end_user_identifier=end_user,
            charge=self._charge(amount, currency, description),
            reference_code=reference_code,
        )
        self.call(lambda m: m.payment.ChargeAmount(request), repeatable=True)
        return ""

    def refund_amount(self, end_user: str, amount: Decimal, currency: str, description: str,
                      reference_code: str, payment_id: str) -> None:  # fmt: skip
        request = payment_pb2.RefundAmountRequest(
            end_user_identifier=end_user,
            charge=self._charge(amount, currency, description),
            reference_code=reference_code,
        )
        self.call(lambda m: m.payment.RefundAmount(request), repeatable=True)

    def reserve_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        request = payment_pb2.ReserveAmountRequest(
            end_user_identifier=end_user, charge=self._charge(amount, currency, description)
        )
        found = self.call(lambda m: m.payment.ReserveAmount(request), repeatable=False)
        return str(found.reservation_identifier)

    def charge_reservation(
        self,
        reservation_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        reference_code: str,
    ) -> None:
        request = payment_pb2.ChargeReservationRequest(
            reservation_identifier=reservation_id,
            charge=self._charge(amount, currency, description),
            reference_code=reference_code,
        )
        self.call(lambda m: m.payment.ChargeReservation(request), repeatable=True)

    def release_reservation(self, reservation_id: str) -> None:
        request = payment_pb2.ReleaseReservationRequest(reservation_identifier=reservation_id)
        self.call(lambda m: m.payment.ReleaseReservation(request), repeatable=True)

    # -- SMS ------------------------------------------------------------------------------------
    def send_sms(self, address: str, message: str) -> str:
        request = sms_pb2.SendSmsRequest(addresses=[address], message=message)
        found = self.call(lambda m: m.sms.SendSms(request), repeatable=False)
        return str(found.request_identifier)

    def start_sms_notification(
        self, endpoint: str, correlator: str, activation_number: str
    ) -> None:
        request = sms_pb2.StartSmsNotificationRequest(
            correlator=correlator, sms_service_activation_number=activation_number
        )
        self.call(lambda m: m.sms.StartSmsNotification(request), repeatable=True)

    def stop_sms_notification(self, correlator: str) -> None:
        request = sms_pb2.StopSmsNotificationRequest(correlator=correlator)
        self.call(lambda m: m.sms.StopSmsNotification(request), repeatable=True)
