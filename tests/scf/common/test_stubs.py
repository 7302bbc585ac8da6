"""The IDL and the proto: generated stubs import, names and parameter order follow Parlay X, and
every CORBA SCF operation has its gRPC RPC (and back)."""

from __future__ import annotations

import re

import pytest
from micropay.v1 import account_pb2, framework_pb2, payment_pb2, sms_pb2
from org.csapi import IpInterface, IpService
from org.csapi.parlayx import account_management, common, payment, sms
from org__POA.csapi.parlayx import account_management as account_management__POA
from org__POA.csapi.parlayx import payment as payment__POA
from org__POA.csapi.parlayx import sms as sms__POA

from tests.conftest import ROOT

IDL = ROOT / "idl"

# Operation -> parameter names, in order, as Parlay X (and OSA for the AM extension) spell them.
PARLAY_X = {
    "chargeAmount": ["endUserIdentifier", "charge", "referenceCode"],
    "refundAmount": ["endUserIdentifier", "charge", "referenceCode"],
    "chargeSplitAmount": ["endUserIdentifiers", "charge", "referenceCode"],
    "chargeVolume": ["endUserIdentifier", "volume", "billingText", "referenceCode", "parameters"],
    "refundVolume": ["endUserIdentifier", "volume", "billingText", "referenceCode", "parameters"],
    "getAmount": ["endUserIdentifier", "volume", "parameters"],
    "reserveAmount": ["endUserIdentifier", "charge"],
    "reserveAdditionalAmount": ["reservationIdentifier", "charge"],
    "releaseReservation": ["reservationIdentifier"],
    "reserveVolume": ["endUserIdentifier", "volume", "billingText", "parameters"],
    "reserveAdditionalVolume": ["reservationIdentifier", "volume", "billingText", "parameters"],
    "getBalance": ["endUserIdentifier", "endUserPin"],
    "getCreditExpiryDate": ["endUserIdentifier", "endUserPin"],
    "balanceUpdate": [
        "endUserIdentifier",
        "endUserPin",
        "referenceCode",
        "balanceType",
        "amount",
        "period",
    ],
    "voucherUpdate": [
        "endUserIdentifier",
        "endUserPin",
        "referenceCode",
        "voucherIdentifier",
        "voucherPin",
    ],
    "getHistory": ["endUserIdentifier", "endUserPin", "date", "maxEntries"],
    "getBalanceTypes": ["endUserIdentifier", "endUserPin"],
    "getAccountStatus": ["endUserIdentifier", "endUserPin"],
    "createNotification": ["appAccountManager", "chargingEventCriteria"],
    "destroyNotification": ["assignmentId"],
    "changeNotification": ["assignmentID", "eventCriteria"],
    "getNotification": [],
    # micropay's self-care extension (docs/payment-and-account.md): Parlay X's leading pair first
    "suspendAccount": ["endUserIdentifier", "endUserPin"],
    "resumeAccount": ["endUserIdentifier", "endUserPin"],
    "changeMonthlyLimit": ["endUserIdentifier", "endUserPin", "monthlyLimit"],
    "setThreshold": ["endUserIdentifier", "endUserPin", "kind", "amount"],
    "reportNotification": ["chargingEventInfo", "assignmentId"],
    "sendSms": ["addresses", "senderName", "charging", "message", "receiptRequest"],
    "getSmsDeliveryStatus": ["requestIdentifier"],
    "getReceivedSms": ["registrationIdentifier"],
    "startSmsNotification": ["reference", "smsServiceActivationNumber", "criteria"],
    "stopSmsNotification": ["correlator"],
    "notifySmsReception": ["correlator", "message"],
    "notifySmsDeliveryReceipt": ["correlator", "deliveryStatus"],
    "getReserveVolumeCharging": [],
}
# chargeReservation exists twice, in ReserveAmountCharging and in ReserveVolumeCharging.
CHARGE_RESERVATION = [
    ["reservationIdentifier", "charge", "referenceCode"],
    ["reservationIdentifier", "volume", "billingText", "referenceCode", "parameters"],
]

_OPERATION = re.compile(r"^[ \t]*(?!raises\b)[\w:]+\s+(\w+)\s*\(([^)]*)\)", re.M)


def idl_operations() -> list[tuple[str, list[str]]]:
    found = []
    for name in ("parlayx_payment", "parlayx_account_management", "parlayx_sms"):
        text = re.sub(r"//[^\n]*", "", (IDL / f"{name}.idl").read_text())
        for op, params in _OPERATION.findall(text):
            names = [p.split()[-1] for p in params.split(",") if p.strip()]
            assert all(p.split()[0] == "in" for p in params.split(",") if p.strip()), op
            found.append((op, names))
    return found


def test_operations_and_parameters_follow_parlay_x() -> None:
    seen = idl_operations()
    for op, params in seen:
        if op == "chargeReservation":
            assert params in CHARGE_RESERVATION
        else:
            assert PARLAY_X.get(op) == params, op
    assert {op for op, _ in seen} == {*PARLAY_X, "chargeReservation"}


def test_managers_are_ip_services_and_port_types() -> None:
    assert issubclass(payment.IpPaymentManager, IpService)
    for port_type in (
        payment.AmountCharging,
        payment.VolumeCharging,
        payment.ReserveAmountCharging,
    ):
        assert issubclass(payment.IpPaymentManager, port_type)
    assert issubclass(payment.ReserveVolumeCharging, IpInterface)
    assert issubclass(account_management.IpAccountManager, IpService)
    assert issubclass(account_management.IpAccountManager, account_management.AccountManagement)
    assert issubclass(sms.IpSmsManager, IpService)
    assert issubclass(sms.SmsNotification, IpInterface)
    assert issubclass(account_management.IpAppAccountManager, IpInterface)
    ids = [
        payment.IpPaymentManager._NP_RepositoryId,
        account_management.IpAccountManager._NP_RepositoryId,
        sms.IpSmsManager._NP_RepositoryId,
        common.ServiceException._NP_RepositoryId,
    ]
    assert ids == [
        "IDL:org/csapi/parlayx/payment/IpPaymentManager:1.0",
        "IDL:org/csapi/parlayx/account_management/IpAccountManager:1.0",
        "IDL:org/csapi/parlayx/sms/IpSmsManager:1.0",
        "IDL:org/csapi/parlayx/common/ServiceException:1.0",
    ]


def test_fault_and_charging_types() -> None:
    e = common.PolicyException("POL1000", "User has insufficient credit for transaction", [])
    assert (e.messageId, e.text, e.variables) == ("POL1000", e.text, [])
    info = common.ChargingInformation("d", "KRW", "1500", "")
    assert [info.description, info.currency, info.amount, info.code] == ["d", "KRW", "1500", ""]
    names = [str(n) for n in account_management.TpChargingEventName._items]
    assert names == [
        "P_AM_CHARGING",
        "P_AM_RECHARGING",
        "P_AM_ACCOUNT_LOW",
        "P_AM_ACCOUNT_ZERO",
        "P_AM_ACCOUNT_DISABLED",
    ]
    assert [str(s) for s in sms.DeliveryStatus._items] == [
        "DeliveredToNetwork",
        "DeliveryUncertain",
        "DeliveryImpossible",
        "MessageWaiting",
        "DeliveredToTerminal",
        "DeliveryNotificationNotSupported",
    ]


# -- CORBA <-> gRPC parity --------------------------------------------------------------------------

CORBA_ONLY = {"setCallback", "setCallbackWithSessionID", "getReserveVolumeCharging"}
SERVICES = [
    (
        [payment__POA.IpPaymentManager, payment__POA.ReserveVolumeCharging],
        payment_pb2.DESCRIPTOR.services_by_name["PaymentService"],
    ),
    (
        [account_management__POA.IpAccountManager],
        account_pb2.DESCRIPTOR.services_by_name["AccountService"],
    ),
    ([sms__POA.IpSmsManager], sms_pb2.DESCRIPTOR.services_by_name["SmsService"]),
]
# Callbacks the application implements over CORBA are server streams over gRPC.
STREAMS = {
    "StreamChargingEvents": "IpAppAccountManager.reportNotification",
    "StreamSmsReceptions": "SmsNotification.notifySmsReception",
    "StreamDeliveryReceipts": "SmsNotification.notifySmsDeliveryReceipt",
}
# Request fields that differ from the snake_case Parlay X parameters, and why.
FIELD_EXCEPTIONS = {
    "ChargeReservation": "oneof settlement: an amount or a volume",
    "SendSms": "receipt_correlator: the stream is the receiptRequest's endpoint",
    "StartSmsNotification": "correlator: the stream is the reference's endpoint",
    "CreateNotification": "no appAccountManager: events come on StreamChargingEvents",
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.mark.parametrize(("skeletons", "service"), SERVICES, ids=lambda x: getattr(x, "name", ""))
def test_every_corba_operation_has_its_rpc(skeletons, service) -> None:
    corba = {op for s in skeletons for op in s._omni_op_d} - CORBA_ONLY
    rpcs = {m.name for m in service.methods}
    assert {op[0].upper() + op[1:] for op in corba} == rpcs - set(STREAMS)
    for method in service.methods:
        assert method.server_streaming == (method.name in STREAMS)
        assert method.input_type.name == f"{method.name}Request"
        assert method.output_type.name == (
            f"{method.name[len('Stream') : -1]}Notification"
            if method.name in STREAMS
            else f"{method.name}Response"
        )
        op = method.name[0].lower() + method.name[1:]
        if op in PARLAY_X and method.name not in FIELD_EXCEPTIONS:
            fields = [f.name for f in method.input_type.fields]
            assert fields == [snake(p).replace("i_d", "id") for p in PARLAY_X[op]], method.name


def test_framework_service_covers_the_handshake() -> None:
    service = framework_pb2.DESCRIPTOR.services_by_name["FrameworkService"]
    assert [m.name for m in service.methods] == [
        "InitiateAuthentication",
        "CompleteAuthentication",
        "ListServiceTypes",
        "DescribeServiceType",
        "DiscoverService",
        "ListSubscribedServices",
        "SelectService",
        "InitiateSignServiceAgreement",
        "SignServiceAgreement",
        "TerminateServiceAgreement",
        "TerminateAccess",
    ]


def test_money_is_never_a_float_in_the_proto() -> None:
    for module in (payment_pb2, account_pb2, sms_pb2, framework_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            for field in message.fields:
                assert field.type not in (field.TYPE_FLOAT, field.TYPE_DOUBLE), field.full_name
