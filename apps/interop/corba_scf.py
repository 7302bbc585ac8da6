"""The Payment, Account Management and SMS faces over CORBA (idl/parlayx_*.idl).

Each face wraps the narrowed manager the framework handed out and converts the neutral values of
:mod:`apps.interop.faces` to the IDL's (optional parameters by the mapping's one rule: "" or an
empty sequence is absent). The harness hosts the application-side interfaces itself:
IpAppAccountManager (charging events) and SmsNotification (receipts and received messages).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import org__POA.csapi.parlayx.account_management as am_POA
import org__POA.csapi.parlayx.sms as sms_POA
from org.csapi.parlayx import account_management as am
from org.csapi.parlayx import common, payment

from apps.interop.corba_orb import Guarded, World
from apps.interop.faces import (
    ACCOUNT_STATES,
    DELIVERY_STATUSES,
    EVENT_NAMES,
    Charge,
    ChargingEvent,
    Inbox,
    Message,
)
from apps.interop.profile import AccountStatus


def _ci(charge: Charge) -> Any:
    return common.ChargingInformation(
        charge.description, charge.currency, charge.amount, charge.code
    )


def _props(parameters: dict[str, str]) -> list[Any]:
    return [payment.Property(k, v) for k, v in parameters.items()]


def _dec(text: str) -> Decimal | None:
    return Decimal(text) if text else None


class CorbaPayment:
    def __init__(self, world: World, manager: Any) -> None:
        self.raw = manager
        self.m = Guarded(manager)
        self._rvc: Guarded | None = None

    def chargeAmount(self, user: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.m.chargeAmount(user, _ci(charge), ref)

    def refundAmount(self, user: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.m.refundAmount(user, _ci(charge), ref)

    def chargeSplitAmount(self, splits: list[tuple[str, int]], charge: Charge, ref: str) -> None:  # noqa: N802
        shares = [payment.EndUserSplit(u, p) for u, p in splits]
        self.m.chargeSplitAmount(shares, _ci(charge), ref)

    def chargeVolume(
        self, user: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.m.chargeVolume(user, volume, text, ref, _props(params))

    def refundVolume(
        self, user: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.m.refundVolume(user, volume, text, ref, _props(params))

    def getAmount(self, user: str, volume: int, params: dict[str, str]) -> Decimal:  # noqa: N802
        return Decimal(self.m.getAmount(user, volume, _props(params)))

    def reserveAmount(self, user: str, charge: Charge) -> str:  # noqa: N802
        return self.m.reserveAmount(user, _ci(charge))

    def reserveAdditionalAmount(self, reservation: str, charge: Charge) -> None:  # noqa: N802
        self.m.reserveAdditionalAmount(reservation, _ci(charge))

    def chargeReservation(self, reservation: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.m.chargeReservation(reservation, _ci(charge), ref)

    def releaseReservation(self, reservation: str) -> None:  # noqa: N802
        self.m.releaseReservation(reservation)

    # -- ReserveVolumeCharging: a separate object of the same agreement -----------------------
    def rvc(self) -> Guarded:
        if self._rvc is None:
            self._rvc = Guarded(self.m.getReserveVolumeCharging())
        return self._rvc

    def rvGetAmount(self, user: str, volume: int, params: dict[str, str]) -> Decimal:  # noqa: N802
        return Decimal(self.rvc().getAmount(user, volume, _props(params)))

    def reserveVolume(self, user: str, volume: int, text: str, params: dict[str, str]) -> str:  # noqa: N802
        return self.rvc().reserveVolume(user, volume, text, _props(params))

    def reserveAdditionalVolume(
        self, reservation: str, volume: int, text: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.rvc().reserveAdditionalVolume(reservation, volume, text, _props(params))

    def chargeReservationVolume(  # noqa: N802
        self, reservation: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:
        self.rvc().chargeReservation(reservation, volume, text, ref, _props(params))

    def rvReleaseReservation(self, reservation: str) -> None:  # noqa: N802
        self.rvc().releaseReservation(reservation)


class AppAccountManager(am_POA.IpAppAccountManager):
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def reportNotification(self, info: Any, assignmentId: int) -> None:  # noqa: N802, N803
        balance = info.CurrentBalanceInfo
        self.inbox.put(
            str(assignmentId),
            ChargingEvent(
                EVENT_NAMES[int(info.ChargingEventName._v)],
                _dec(balance.Amount),
                balance.Currency,
                info.EndUserIdentifier,
                _dec(info.EventAmount),
                info.ReferenceCode,
                info.AdditionalInfo,
                info.EventID,
                assignmentId,
            ),
        )


class CorbaAccount:
    def __init__(self, world: World, manager: Any) -> None:
        self.raw = manager
        self.m = Guarded(manager)
        self.world = world
        self.inbox = Inbox()
        self.callback = world.activate(AppAccountManager(self.inbox))

    def getBalance(self, user: str, pin: str = "") -> list[tuple[str, Decimal]]:  # noqa: N802
        return [(b.balanceType, Decimal(b.amount)) for b in self.m.getBalance(user, pin)]

    def getCreditExpiryDate(self, user: str, pin: str = "") -> list[tuple[str, str]]:  # noqa: N802
        return [(d.balanceType, d.date) for d in self.m.getCreditExpiryDate(user, pin)]

    def getBalanceTypes(self, user: str, pin: str = "") -> list[str]:  # noqa: N802
        return list(self.m.getBalanceTypes(user, pin))

    def balanceUpdate(  # noqa: N802
        self, user: str, pin: str, ref: str, balance_type: str, amount: str, currency: str,
        period: int | None = None,
    ) -> None:  # fmt: skip
        self.m.balanceUpdate(
            user, pin, ref, balance_type, amount, [] if period is None else [period]
        )

    def voucherUpdate(self, user: str, pin: str, ref: str, voucher: str, voucher_pin: str) -> None:  # noqa: N802
        self.m.voucherUpdate(user, pin, ref, voucher, voucher_pin)

    def suspendAccount(self, user: str, pin: str = "") -> None:  # noqa: N802
        self.m.suspendAccount(user, pin)

    def resumeAccount(self, user: str, pin: str = "") -> None:  # noqa: N802
        self.m.resumeAccount(user, pin)

    def changeMonthlyLimit(self, user: str, pin: str, limit: str, currency: str) -> None:  # noqa: N802
        self.m.changeMonthlyLimit(user, pin, limit)

    def setThreshold(self, user: str, pin: str, kind: str, amount: str, currency: str) -> None:  # noqa: N802
        self.m.setThreshold(user, pin, getattr(am, kind), amount)

    def getHistory(  # noqa: N802
        self, user: str, pin: str = "", date: str = "", entries_max: int | None = None
    ) -> list[tuple[str, str]]:
        found = self.m.getHistory(user, pin, date, [] if entries_max is None else [entries_max])
        return [(t.transactionDate, t.transactionDetails) for t in found]

    def getAccountStatus(self, user: str, pin: str = "") -> AccountStatus:  # noqa: N802
        s = self.m.getAccountStatus(user, pin)
        return AccountStatus(
            registered=bool(s.registered),
            state=ACCOUNT_STATES[int(s.state._v)],
            currency=s.currency,
            balance=_dec(s.balance),
            monthly_limit=_dec(s.monthlyLimit),
            month_to_date_spend=_dec(s.monthToDateSpend),
            remaining_headroom=_dec(s.remainingHeadroom),
            transaction_limit=_dec(s.transactionLimit),
            low_balance_threshold=_dec(s.lowBalanceThreshold),
            valid_until=s.validUntil,
            pin_required=getattr(s, "pinRequired", None),
        )

    @staticmethod
    def _criteria(events: list[str], users: list[str]) -> Any:
        return am.TpChargingEventCriteria([getattr(am, e) for e in events], list(users))

    def createNotification(self, events: list[str], users: list[str], callback: Any = "own") -> int:  # noqa: N802
        ref = self.callback if callback == "own" else callback
        return int(self.m.createNotification(ref, self._criteria(events, users)))

    def changeNotification(self, assignment: int, events: list[str], users: list[str]) -> None:  # noqa: N802
        self.m.changeNotification(assignment, self._criteria(events, users))

    def getNotification(self) -> list[tuple[int, list[str], list[str]]]:  # noqa: N802
        return [
            (
                int(r.AssignmentID),
                [EVENT_NAMES[int(e._v)] for e in r.ChargingEventCriteria.ChargingEvents],
                list(r.ChargingEventCriteria.Users),
            )
            for r in self.m.getNotification()
        ]

    def destroyNotification(self, assignment: int) -> None:  # noqa: N802
        self.m.destroyNotification(assignment)

    def wait_event(self, assignment: int, predicate: Any, timeout_s: float) -> ChargingEvent | None:
        return self.inbox.wait(str(assignment), timeout_s, predicate)


class SmsNotification(sms_POA.SmsNotification):
    def __init__(self, receipts: Inbox, receptions: Inbox) -> None:
        self.receipts, self.receptions = receipts, receptions

    def notifySmsReception(self, correlator: str, message: Any) -> None:  # noqa: N802
        self.receptions.put(
            correlator,
            Message(message.message, message.senderAddress,
                    message.smsServiceActivationNumber, message.dateTime),
        )  # fmt: skip

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:  # noqa: N802, N803
        status = DELIVERY_STATUSES[int(deliveryStatus.deliveryStatus._v)]
        self.receipts.put(correlator, (deliveryStatus.address, status))


class CorbaSms:
    def __init__(self, world: World, manager: Any) -> None:
        self.raw = manager
        self.m = Guarded(manager)
        self.world = world
        self.receipts, self.receptions = Inbox(), Inbox()
        self.endpoint = world.ior(world.activate(SmsNotification(self.receipts, self.receptions)))

    def reference(self, correlator: str, endpoint: str | None = None) -> Any:
        return common.SimpleReference(
            self.endpoint if endpoint is None else endpoint, "SmsNotification", correlator
        )

    def sendSms(  # noqa: N802
        self, addresses: list[str], sender_name: str, charging: Charge | None, message: str,
        receipt_correlator: str | None = None,
    ) -> str:  # fmt: skip
        receipt = [] if receipt_correlator is None else [self.reference(receipt_correlator)]
        charge = [] if charging is None else [_ci(charging)]
        return self.m.sendSms(list(addresses), sender_name, charge, message, receipt)

    def getSmsDeliveryStatus(self, request: str) -> list[tuple[str, str]]:  # noqa: N802
        return [
            (d.address, DELIVERY_STATUSES[int(d.deliveryStatus._v)])
            for d in self.m.getSmsDeliveryStatus(request)
        ]

    def getReceivedSms(self, registration: str) -> list[Message]:  # noqa: N802
        return [
            Message(m.message, m.senderAddress, m.smsServiceActivationNumber, m.dateTime)
            for m in self.m.getReceivedSms(registration)
        ]

    def startSmsNotification(self, correlator: str, number: str, criteria: str = "") -> None:  # noqa: N802
        self.m.startSmsNotification(self.reference(correlator), number, criteria)

    def stopSmsNotification(self, correlator: str) -> None:  # noqa: N802
        self.m.stopSmsNotification(correlator)

    def wait_receipt(self, correlator: str, timeout_s: float) -> tuple[str, str] | None:
        return self.receipts.wait(correlator, timeout_s)

    def wait_reception(self, correlator: str, timeout_s: float) -> Message | None:
        return self.receptions.wait(correlator, timeout_s)
