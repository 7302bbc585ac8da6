"""The :class:`~apps.micropay.ports.Gateway` port over CORBA: the client library's handshake,
the three SCF managers, Parlay X faults, and reconnecting after the gateway went away.

One access session serves the whole application (the managers are thread-safe CORBA object
references). When a call finds its manager gone (OBJECT_NOT_EXIST: the gateway restarted or
the agreement ended) or cannot reach the gateway (TRANSIENT), the request cannot have run, so
the application authenticates again and repeats it once. When the answer is lost after the
request went out (COMM_FAILURE, TIMEOUT), only requests that are safe to repeat -- the ones
with a referenceCode, and reads -- are repeated; the others report
:class:`~apps.micropay.ports.GatewayUnavailable`, outcome unknown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from omniORB import CORBA
from org.csapi.parlayx import account_management as am
from org.csapi.parlayx import common
from org.csapi.parlayx import payment as pay
from org.csapi.parlayx import sms as sms_idl

import client
from apps.micropay import amounts
from apps.micropay.credentials import Credentials
from apps.micropay.ports import GatewayFault, GatewayUnavailable, HistoryItem, LimitChange
from apps.micropay.procedure import AccountStatus
from client import errors as client_errors

logger = logging.getLogger("micropay.shop.corba")

T = TypeVar("T")
SERVICE_TYPES = ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS")
CALL_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Managers:
    session: Any
    payment: Any
    account: Any
    sms: Any


class CorbaGateway:
    def __init__(self, credentials: Credentials, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.credentials = credentials
        self.timeout_s = timeout_s
        self._managers: Managers | None = None
        self._lock = threading.Lock()
        self.connected_once = threading.Event()

    # -- the session ----------------------------------------------------------------------------
    def managers(self) -> Managers:
        with self._lock:
            current = self._managers
            if current is not None and not current.session.ended.is_set():
                return current
            self._managers = self._connect()
            self.connected_once.set()
            return self._managers

    def _connect(self) -> Managers:
        c = self.credentials
        try:
            session = client.connect(
                c.endpoint,
                c.app_id,
                c.secret,
                c.private_key,
                framework_public_keys=list(c.framework_public_keys),
                timeout_s=self.timeout_s,
            )
        except (client_errors.FrameworkError, CORBA.SystemException, OSError) as exc:
            raise GatewayUnavailable(f"cannot open an access session: {exc}") from None
        try:
            payment = session.obtain_service("P_PAYMENT")._narrow(pay.IpPaymentManager)
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")._narrow(am.IpAccountManager)
            sms = session.obtain_service("P_SMS")._narrow(sms_idl.IpSmsManager)
        except (client_errors.FrameworkError, CORBA.SystemException) as exc:
            self._end(session)
            raise GatewayUnavailable(f"cannot sign the service agreements: {exc}") from None
        logger.info("access session open for %s", c.app_id)
        return Managers(session, payment, account, sms)

    def _drop(self, stale: Managers) -> None:
        with self._lock:
            if self._managers is stale:
                self._managers = None

    @staticmethod
    def _end(session: Any) -> None:
        try:
            session.terminate()
        except (client_errors.FrameworkError, CORBA.SystemException) as exc:
            logger.info("terminateAccess: %s", exc)

    def close(self) -> None:
        with self._lock:
            current, self._managers = self._managers, None
        if current is not None:
            self._end(current.session)

    def call(self, fn: Callable[[Managers], T], *, repeatable: bool) -> T:
        for attempt in range(2):
            managers = self.managers()
            try:
                return fn(managers)
            except common.ServiceException as exc:
                raise GatewayFault(
                    "service", exc.messageId, exc.text, list(exc.variables)
                ) from None
            except common.PolicyException as exc:
                raise GatewayFault("policy", exc.messageId, exc.text, list(exc.variables)) from None
            except (CORBA.OBJECT_NOT_EXIST, CORBA.TRANSIENT) as exc:
                self._drop(managers)  # not run: authenticate again and repeat once
                if attempt:
                    raise GatewayUnavailable(type(exc).__name__) from None
            except (CORBA.COMM_FAILURE, CORBA.TIMEOUT) as exc:
                self._drop(managers)
                if attempt or not repeatable:
                    raise GatewayUnavailable(type(exc).__name__) from None
            except CORBA.SystemException as exc:
                raise GatewayUnavailable(type(exc).__name__) from None
        raise AssertionError("unreachable")

    # -- Account Management ---------------------------------------------------------------------
    def account_status(self, end_user: str, pin: str | None) -> AccountStatus:
        s = self.call(lambda m: m.account.getAccountStatus(end_user, pin or ""), repeatable=True)
        return AccountStatus(
            end_user=s.endUserIdentifier,
            registered=bool(s.registered),
            state=str(s.state),
            valid_until=s.validUntil,
            currency=s.currency,
            balance=amounts.parse(s.balance),
            monthly_limit=amounts.parse(s.monthlyLimit),
            month_to_date_spend=amounts.parse(s.monthToDateSpend),
            remaining_headroom=amounts.parse(s.remainingHeadroom),
            transaction_limit=amounts.parse(s.transactionLimit),
            low_balance_threshold=amounts.parse(s.lowBalanceThreshold),
            pin_required=bool(s.pinRequired),
            confirmation_threshold=amounts.parse(s.confirmationThreshold),
        )

    def balance_update(
        self, end_user: str, reference_code: str, amount: Decimal, currency: str
    ) -> None:
        self.call(
            lambda m: m.account.balanceUpdate(
                end_user, "", reference_code, "MICROPAY", amounts.text(amount), []
            ),
            repeatable=True,
        )

    def history(self, end_user: str, entries_max: int) -> list[HistoryItem]:
        found = self.call(
            lambda m: m.account.getHistory(end_user, "", "", [entries_max]), repeatable=True
        )
        return [HistoryItem(t.transactionDate, t.transactionDetails) for t in found]

    def create_notification(self, callback: Any, events: list[str]) -> int:
        criteria = am.TpChargingEventCriteria([getattr(am, e) for e in events], [])
        return int(
            self.call(lambda m: m.account.createNotification(callback, criteria), repeatable=False)
        )

    def notifications(self) -> list[int]:
        found = self.call(lambda m: m.account.getNotification(), repeatable=True)
        return [int(r.AssignmentID) for r in found]

    def destroy_notification(self, assignment_id: int) -> None:
        self.call(lambda m: m.account.destroyNotification(assignment_id), repeatable=True)

    # -- the self-care extension ------------------------------------------------------------------
    def suspend_account(self, end_user: str) -> None:
        self.call(lambda m: m.account.suspendAccount(end_user, ""), repeatable=True)

    def resume_account(self, end_user: str, pin: str) -> None:
        self.call(lambda m: m.account.resumeAccount(end_user, pin), repeatable=True)

    def change_monthly_limit(self, end_user: str, pin: str | None, limit: Decimal) -> LimitChange:
        found = self.call(
            lambda m: m.account.changeMonthlyLimit(end_user, pin or "", amounts.text(limit)),
            repeatable=True,
        )
        return LimitChange(
            amounts.parse(found.monthlyLimit),
            amounts.parse(found.pendingMonthlyLimit),
            found.pendingFrom,
        )

    def set_threshold(self, end_user: str, kind: str, amount: Decimal | None) -> None:
        value = "" if amount is None else amounts.text(amount)
        which = getattr(am, kind)
        self.call(lambda m: m.account.setThreshold(end_user, "", which, value), repeatable=True)

    # -- Payment --------------------------------------------------------------------------------
    @staticmethod
    def _charge(amount: Decimal, currency: str, description: str) -> Any:
        return common.ChargingInformation(description, currency, amounts.text(amount), "")

    def charge_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        charge = self._charge(amount, currency, description)
        self.call(
            lambda m: m.payment.chargeAmount(end_user, charge, reference_code), repeatable=True
        )
        return ""

    def refund_amount(self, end_user: str, amount: Decimal, currency: str, description: str,
                      reference_code: str, payment_id: str) -> None:  # fmt: skip
        charge = self._charge(amount, currency, description)
        self.call(
            lambda m: m.payment.refundAmount(end_user, charge, reference_code), repeatable=True
        )

    def reserve_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        charge = self._charge(amount, currency, description)
        return str(self.call(lambda m: m.payment.reserveAmount(end_user, charge), repeatable=False))

    def charge_reservation(
        self,
        reservation_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        reference_code: str,
    ) -> None:
        charge = self._charge(amount, currency, description)
        self.call(
            lambda m: m.payment.chargeReservation(reservation_id, charge, reference_code),
            repeatable=True,
        )

    def release_reservation(self, reservation_id: str) -> None:
        self.call(lambda m: m.payment.releaseReservation(reservation_id), repeatable=True)

    # -- SMS ------------------------------------------------------------------------------------
    def send_sms(self, address: str, message: str) -> str:
        return str(
            self.call(lambda m: m.sms.sendSms([address], "", [], message, []), repeatable=False)
        )

    def start_sms_notification(
        self, endpoint: str, correlator: str, activation_number: str
    ) -> None:
        ref = common.SimpleReference(endpoint, "SmsNotification", correlator)
        self.call(lambda m: m.sms.startSmsNotification(ref, activation_number, ""), repeatable=True)

    def stop_sms_notification(self, correlator: str) -> None:
        self.call(lambda m: m.sms.stopSmsNotification(correlator), repeatable=True)
