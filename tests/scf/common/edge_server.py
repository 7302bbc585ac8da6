"""A small server process for tests/scf/common/test_edges.py: a CORBA Payment and Account
Management servant and a gRPC PaymentService that do what the real ones do at the edge -- parse
with scf.common, report failures through the one fault table -- over canned outcomes instead of a
ledger. It proves the IDL and proto carry faults, exact amounts and optional parameters.

    python -m tests.scf.common.edge_server READY_FILE GRPC_PORT
writes the IOR and the gRPC port to READY_FILE once both listen; stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from micropay.v1 import payment_pb2, payment_pb2_grpc
from omniORB import CORBA
from org.csapi.parlayx import account_management, common
from org__POA.csapi.parlayx import account_management as account_management__POA
from org__POA.csapi.parlayx import payment as payment__POA

from charging import errors
from scf.common.address import parse_end_user
from scf.common.amounts import text_from_minor
from scf.common.charging_information import ChargingInformation
from scf.common.faults import fault_for_exception
from scf.common.optional import one_or_none, text_or_none
from scf.corba_edge import corba_fault

ACCOUNT_CURRENCY = "USD"


def outcome(reference_code: str, minor: int) -> None:
    """Canned ledger outcomes, chosen by the referenceCode."""
    if reference_code == "over-limit":
        raise errors.MonthlyLimitExceeded(
            amount=minor, limit=30000, spent=29500, reserved=0, currency=ACCOUNT_CURRENCY
        )
    if reference_code == "suspended":
        raise errors.AccountSuspended(account="ACC-SECRET")
    if reference_code == "boom":
        raise RuntimeError("SELECT pin_hash FROM accounts -- internal detail")


class PaymentManager(payment__POA.IpPaymentManager):
    def chargeAmount(self, endUserIdentifier, charge, referenceCode):
        try:
            parse_end_user(endUserIdentifier)
            info = ChargingInformation.from_text(**charge_fields(charge))
            outcome(referenceCode, info.amount_minor(ACCOUNT_CURRENCY))
        except Exception as exc:
            raise corba_fault(fault_for_exception(exc, {"referenceCode": referenceCode})) from None

    def getAmount(self, endUserIdentifier, volume, parameters):
        price_minor = int(dict((p.name, p.value) for p in parameters).get("price_minor", "0"))
        return text_from_minor(volume * price_minor, ACCOUNT_CURRENCY)


def charge_fields(charge: common.ChargingInformation) -> dict[str, str]:
    return {
        "description": charge.description,
        "currency": charge.currency,
        "amount": charge.amount,
        "code": charge.code,
    }


class AccountManager(account_management__POA.IpAccountManager):
    def getHistory(self, endUserIdentifier, endUserPin, date, maxEntries):
        """Echoes how the optional parameters arrived."""
        seen = (text_or_none(endUserPin), text_or_none(date), one_or_none(maxEntries, part="x"))
        return [account_management.DatedTransaction("2026-01-01T00:00:00Z", repr(seen))]


class PaymentServicer(payment_pb2_grpc.PaymentServiceServicer):
    def ChargeAmount(self, request, context):
        try:
            parse_end_user(request.end_user_identifier)
            money = request.charge.amount if request.charge.HasField("amount") else None
            fields = (money.amount_minor, money.currency_code, money.exponent) if money else None
            info = ChargingInformation.from_money(request.charge.description, fields)
            outcome(request.reference_code, info.amount_minor(ACCOUNT_CURRENCY))
        except Exception as exc:
            fault = fault_for_exception(exc, {"referenceCode": request.reference_code})
            status = status_pb2.Status(
                code=grpc.StatusCode[fault.grpc_code].value[0], message=fault.text
            )
            status.details.add().Pack(error_details_pb2.ErrorInfo(**fault.error_info()))
            context.abort_with_status(rpc_status.to_status(status))
        return payment_pb2.ChargeAmountResponse()


def main(ready_file: str, grpc_port: int) -> None:
    orb = CORBA.ORB_init([sys.argv[0], "-ORBendPoint", "giop:tcp:127.0.0.1:"], CORBA.ORB_ID)
    poa = orb.resolve_initial_references("RootPOA")
    payment_ref = poa.id_to_reference(poa.activate_object(PaymentManager()))
    account_ref = poa.id_to_reference(poa.activate_object(AccountManager()))
    poa._get_the_POAManager().activate()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    payment_pb2_grpc.add_PaymentServiceServicer_to_server(PaymentServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    server.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    lines = [orb.object_to_string(payment_ref), orb.object_to_string(account_ref)]
    Path(ready_file + ".tmp").write_text("\n".join(lines) + "\n")
    Path(ready_file + ".tmp").rename(ready_file)
    stop.wait()
    server.stop(grace=0)
    orb.shutdown(True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
