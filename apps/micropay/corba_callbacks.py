"""The application's callback objects: ``IpAppAccountManager`` (charging events) and
``SmsNotification`` (subscriber SMS), at references that survive a restart of the application.

The gateway keeps both subscriptions durably and retries a delivery until the application takes
it, so the references it holds must still work after the application restarts: the ORB listens
on a fixed port (``callback_port``, chosen on first start and kept in the data folder) and the
objects live in a PERSISTENT POA under object ids drawn at random once and kept too --
unguessable, and the same after every restart. Nothing is lost while the shop is down: the
gateway delivers it when the shop is back.

The servants only hand what they receive to the :class:`~apps.micropay.events.Inbox`, which
records it durably before the call returns; a failure to record becomes a CORBA exception, so
the gateway delivers it again.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import org__POA.csapi.parlayx.account_management as am__POA
import org__POA.csapi.parlayx.sms as sms__POA
from omniORB import CORBA, PortableServer

from apps.micropay import amounts
from apps.micropay.events import Inbox
from apps.micropay.ports import ChargingEvent, InboundSms
from apps.micropay.subscriptions import Addresses
from client.orb import UTF8_STRINGS

logger = logging.getLogger("micropay.shop.callbacks")

POA_NAME = "micropay-shop"
IDS_FILE = "callback-ids.json"


class AppAccountManager(am__POA.IpAppAccountManager):
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def reportNotification(self, chargingEventInfo: Any, assignmentId: int) -> None:  # noqa: N802, N803
        e = chargingEventInfo
        try:
            self.inbox.charging_event(
                ChargingEvent(
                    event_id=e.EventID,
                    name=str(e.ChargingEventName),
                    end_user=e.EndUserIdentifier,
                    currency=e.CurrentBalanceInfo.Currency,
                    balance=amounts.parse(e.CurrentBalanceInfo.Amount),
                    amount=amounts.parse(e.EventAmount),
                    event_time=e.ChargingEventTime,
                    reference_code=e.ReferenceCode,
                    additional_info=e.AdditionalInfo,
                    assignment_id=int(assignmentId),
                )
            )
        except Exception:
            logger.exception("could not record charging event %s", e.EventID)
            raise CORBA.TRANSIENT(0, CORBA.COMPLETED_NO) from None


class SmsNotification(sms__POA.SmsNotification):
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def notifySmsReception(self, correlator: str, message: Any) -> None:  # noqa: N802
        try:
            self.inbox.sms(
                InboundSms(
                    sender=message.senderAddress,
                    activation_number=message.smsServiceActivationNumber,
                    message=message.message,
                    date_time=message.dateTime,
                    correlator=correlator,
                )
            )
        except Exception:
            logger.exception("could not record an SMS from %s", message.senderAddress)
            raise CORBA.TRANSIENT(0, CORBA.COMPLETED_NO) from None

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:  # noqa: N802, N803
        logger.info(
            "delivery receipt %s: %s", deliveryStatus.address, deliveryStatus.deliveryStatus
        )


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def callback_port(data_dir: Path, host: str, configured: int) -> int:
    """The configured port, else the one kept from an earlier start if still free, else a new
    free one (kept for next time)."""
    if configured:
        return configured
    path = data_dir / "callback-port"
    try:
        kept = int(path.read_text().strip())
    except (OSError, ValueError):
        kept = 0
    if kept and port_is_free(host, kept):
        return kept
    with socket.socket() as s:
        s.bind((host, 0))
        port = int(s.getsockname()[1])
    path.write_text(f"{port}\n")
    return port


def _object_ids(data_dir: Path) -> dict[str, bytes]:
    path = data_dir / IDS_FILE
    try:
        return {k: bytes.fromhex(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        ids = {"account": secrets.token_bytes(20), "sms": secrets.token_bytes(20)}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: v.hex() for k, v in ids.items()}))
        tmp.chmod(0o600)
        tmp.replace(path)
        return ids


@dataclass
class Callbacks:
    orb: Any
    account_ref: Any  # the IpAppAccountManager reference for createNotification
    sms_ior: str  # the SmsNotification reference as text, for SimpleReference.endpoint
    account_ior: str

    def addresses(self) -> Addresses:
        return Addresses(self.account_ref, self.account_ior, self.sms_ior)

    def shutdown(self) -> None:
        try:
            self.orb.shutdown(True)
        except CORBA.Exception as exc:
            logger.info("ORB shutdown: %s", exc)


def start_callbacks(inbox: Inbox, data_dir: Path, host: str, port: int) -> Callbacks:
    """Start the application's ORB on ``host:port`` (before the client library makes its own:
    it then shares this one), carrying IDL strings as UTF-8 as the client library's does (SMS
    text in Korean), and activate both callback objects."""
    args = ["micropay-shop", "-ORBendPoint", f"giop:tcp:{host}:{port}", *UTF8_STRINGS]
    orb = CORBA.ORB_init(args, CORBA.ORB_ID)
    root = orb.resolve_initial_references("RootPOA")
    manager = root._get_the_POAManager()
    try:
        poa = root.find_POA(POA_NAME, False)
    except PortableServer.POA.AdapterNonExistent:
        policies = [
            root.create_id_assignment_policy(PortableServer.USER_ID),
            root.create_lifespan_policy(PortableServer.PERSISTENT),
        ]
        poa = root.create_POA(POA_NAME, manager, policies)
    ids = _object_ids(data_dir)
    poa.activate_object_with_id(ids["account"], AppAccountManager(inbox))
    poa.activate_object_with_id(ids["sms"], SmsNotification(inbox))
    manager.activate()
    account_ref = poa.id_to_reference(ids["account"])
    sms_ref = poa.id_to_reference(ids["sms"])
    return Callbacks(
        orb, account_ref, orb.object_to_string(sms_ref), orb.object_to_string(account_ref)
    )
