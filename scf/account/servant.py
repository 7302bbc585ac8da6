"""The Account Management SCF over CORBA: ``IpAccountManager``.

Thin on purpose: each operation converts the IDL types (optional parameters by the one rule of
``scf.common.optional``), calls :class:`AccountService` with the application the manager is bound
to, and reports failures through the one fault table. The framework makes one manager per
signed agreement through :func:`make_account_factory`; :func:`register_account` offers the
service as ``P_ACCOUNT_MANAGEMENT``. Event delivery is :func:`scf.account.callbacks.start_notifications`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from org.csapi.parlayx import account_management as am
from org__POA.csapi.parlayx import account_management as am__POA

from charging.errors import InvalidInput
from scf.account.service import AccountService, EligibilityStatus
from scf.common.amounts import parse_decimal
from scf.common.optional import one_or_none, text_or_none
from scf.corba_edge import (
    ManagerContext,
    date_time_text,
    decimal_text,
    parlayx_faults,
    parse_date_time,
)
from telemetry.calls import observed

P_ACCOUNT_MANAGEMENT = "P_ACCOUNT_MANAGEMENT"
ACCOUNT_TERMS = (
    "Account Management (P_ACCOUNT_MANAGEMENT): the application may read end users' balances, "
    "validity, history and account status, recharge prepaid accounts (balanceUpdate, "
    "voucherUpdate) and receive charging events of the accounts it names or has charged."
)

_STATES = {
    "active": am.Active,
    "suspended": am.Suspended,
    "expired": am.Expired,
    "closed": am.Closed,
}


def account_status(found: EligibilityStatus) -> Any:
    """The ``AccountStatus`` struct (every member "" for an unregistered account)."""
    s = found.status
    if not s.registered:
        return am.AccountStatus(
            found.end_user, False, am.Unregistered, "", "", "", "", "", "", "", "", False, ""
        )
    cur = s.currency
    return am.AccountStatus(
        endUserIdentifier=found.end_user,
        registered=True,
        state=_STATES[s.state or "closed"],
        validUntil=date_time_text(found.expires_at),
        currency=cur or "",
        balance=decimal_text(s.balance_minor, cur),
        monthlyLimit=decimal_text(s.monthly_limit_minor, cur),
        monthToDateSpend=decimal_text(s.month_spent_minor, cur),
        remainingHeadroom=decimal_text(found.remaining_headroom_minor, cur),
        transactionLimit=decimal_text(s.transaction_limit_minor, cur),
        lowBalanceThreshold=decimal_text(s.low_balance_minor or None, cur),
        pinRequired=bool(s.pin_required),
        confirmationThreshold=decimal_text(s.confirm_above_minor, cur),
    )


def criteria_struct(events: tuple, users: tuple) -> Any:
    return am.TpChargingEventCriteria([getattr(am, e.value) for e in events], list(users))


@observed
class AccountManager(am__POA.IpAccountManager):
    def __init__(self, service: AccountService, context: ManagerContext, orb: Any) -> None:
        self._service = service
        self._app = context.app_id
        self._orb = orb

    # -- IpService: notifications go to the reference given to createNotification --------------
    def setCallback(self, appInterface: Any) -> None:
        return None

    def setCallbackWithSessionID(self, appInterface: Any, sessionID: int) -> None:
        return None

    # -- Parlay X AccountManagement ------------------------------------------------------------
    def getBalance(self, endUserIdentifier: str, endUserPin: str) -> list:
        def call() -> list:
            found = self._service.get_balance(
                self._app, endUserIdentifier, pin=text_or_none(endUserPin)
            )
            return [
                am.Balance(b.balance_type, decimal_text(b.amount_minor, b.currency)) for b in found
            ]

        return parlayx_faults(call)

    def getCreditExpiryDate(self, endUserIdentifier: str, endUserPin: str) -> list:
        def call() -> list:
            found = self._service.get_credit_expiry_date(
                self._app, endUserIdentifier, pin=text_or_none(endUserPin)
            )
            return [
                am.BalanceExpireDetails(c.balance_type, date_time_text(c.expires_at)) for c in found
            ]

        return parlayx_faults(call)

    def balanceUpdate(
        self,
        endUserIdentifier: str,
        endUserPin: str,
        referenceCode: str,
        balanceType: str,
        amount: str,
        period: list,
    ) -> None:
        def call() -> None:
            value: Decimal = parse_decimal(amount)
            self._service.balance_update(
                self._app,
                endUserIdentifier,
                pin=text_or_none(endUserPin),
                reference_code=referenceCode,
                balance_type=balanceType,
                amount=value,
                period_days=one_or_none(period, part="period"),
            )

        parlayx_faults(call, {"referenceCode": referenceCode})

    def voucherUpdate(
        self,
        endUserIdentifier: str,
        endUserPin: str,
        referenceCode: str,
        voucherIdentifier: str,
        voucherPin: str,
    ) -> None:
        parlayx_faults(
            lambda: self._service.voucher_update(
                self._app,
                endUserIdentifier,
                pin=text_or_none(endUserPin),
                reference_code=referenceCode,
                voucher_id=voucherIdentifier,
                voucher_pin=text_or_none(voucherPin),
            ),
            {"referenceCode": referenceCode, "voucherIdentifier": voucherIdentifier},
        )

    def getHistory(
        self, endUserIdentifier: str, endUserPin: str, date: str, maxEntries: list
    ) -> list:
        def call() -> list:
            found = self._service.get_history(
                self._app,
                endUserIdentifier,
                pin=text_or_none(endUserPin),
                since=parse_date_time(date),
                entries_max=one_or_none(maxEntries, part="maxEntries"),
            )
            return [
                am.DatedTransaction(date_time_text(t.transaction_date), t.transaction_details)
                for t in found
            ]

        return parlayx_faults(call)

    def getBalanceTypes(self, endUserIdentifier: str, endUserPin: str) -> list:
        return parlayx_faults(
            lambda: self._service.get_balance_types(
                self._app, endUserIdentifier, pin=text_or_none(endUserPin)
            )
        )

    # -- EXTENSION 1 ---------------------------------------------------------------------------
    def getAccountStatus(self, endUserIdentifier: str, endUserPin: str) -> Any:
        return parlayx_faults(
            lambda: account_status(
                self._service.get_account_status(
                    self._app, endUserIdentifier, pin=text_or_none(endUserPin)
                )
            )
        )

    # -- EXTENSION 2 ---------------------------------------------------------------------------
    def createNotification(self, appAccountManager: Any, chargingEventCriteria: Any) -> int:
        def call() -> int:
            if appAccountManager is None:
                raise InvalidInput(field="appAccountManager", reason="a nil reference")
            return self._service.create_notification(
                self._app,
                self._orb.object_to_string(appAccountManager),
                [str(e) for e in chargingEventCriteria.ChargingEvents],
                list(chargingEventCriteria.Users),
            )

        return parlayx_faults(call)

    def destroyNotification(self, assignmentId: int) -> None:
        parlayx_faults(
            lambda: self._service.destroy_notification(self._app, assignmentId),
            {"assignmentId": assignmentId},
        )

    def changeNotification(self, assignmentID: int, eventCriteria: Any) -> None:
        parlayx_faults(
            lambda: self._service.change_notification(
                self._app,
                assignmentID,
                [str(e) for e in eventCriteria.ChargingEvents],
                list(eventCriteria.Users),
            ),
            {"assignmentId": assignmentID},
        )

    def getNotification(self) -> list:
        def call() -> list:
            return [
                am.TpChargingEventCriteriaResult(
                    criteria_struct(a.criteria.events, a.criteria.users), a.assignment_id
                )
                for a in self._service.get_notifications(self._app)
            ]

        return parlayx_faults(call)

    # -- EXTENSION 3 ---------------------------------------------------------------------------
    def suspendAccount(self, endUserIdentifier: str, endUserPin: str) -> None:
        parlayx_faults(
            lambda: self._service.suspend_account(
                self._app, endUserIdentifier, pin=text_or_none(endUserPin)
            )
        )

    def resumeAccount(self, endUserIdentifier: str, endUserPin: str) -> None:
        parlayx_faults(
            lambda: self._service.resume_account(
                self._app, endUserIdentifier, pin=text_or_none(endUserPin)
            )
        )

    def changeMonthlyLimit(self, endUserIdentifier: str, endUserPin: str, monthlyLimit: str) -> Any:
        def call() -> Any:
            change = self._service.change_monthly_limit(
                self._app,
                endUserIdentifier,
                pin=text_or_none(endUserPin),
                limit=parse_decimal(monthlyLimit),
            )
            cur = change.currency
            return am.MonthlyLimitChange(
                decimal_text(change.monthly_limit_minor, cur),
                decimal_text(change.pending_monthly_limit_minor, cur),
                date_time_text(change.pending_from),
            )

        return parlayx_faults(call)

    def setThreshold(self, endUserIdentifier: str, endUserPin: str, kind: Any, amount: str) -> None:
        def call() -> None:
            value = text_or_none(amount)
            self._service.set_threshold(
                self._app,
                endUserIdentifier,
                pin=text_or_none(endUserPin),
                kind=str(kind),
                amount=None if value is None else parse_decimal(value),
            )

        parlayx_faults(call)


def make_account_factory(
    service: AccountService, orb: Any
) -> Callable[[ManagerContext], AccountManager]:
    """The manager factory the framework's service registry calls once per signed agreement."""

    def factory(context: ManagerContext) -> AccountManager:
        return AccountManager(service, context, orb)

    return factory


def register_account(registry: Any, service: AccountService, orb: Any) -> str:
    """Offer Account Management as ``P_ACCOUNT_MANAGEMENT`` in the framework's
    ``ServiceRegistry``; its service id."""
    return registry.register(
        P_ACCOUNT_MANAGEMENT, make_account_factory(service, orb), terms=ACCOUNT_TERMS
    )
