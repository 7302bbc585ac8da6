"""The SMS SCF's domain service (Parlay X Part 4: SendSms, SmsNotificationManager, ReceiveSms).

It knows nothing of CORBA or gRPC: a servant or the shim calls these methods with the calling
application's id and plain values (:mod:`scf.sms.model`) and maps the typed errors
(:mod:`scf.sms.errors`, :mod:`charging.errors`) to Parlay X faults.

``sendSms`` validates, charges (optional), stores the message in the outbox and returns; the
SMPP sender (:mod:`scf.sms.sender`) submits it. Delivery receipts and MO messages come back
through the sender into the same tables; notifications reach applications through
:mod:`scf.sms.notifications`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from charging.errors import TooManyAddresses
from domain_errors import InvalidAddress, InvalidInput
from scf.sms import inbound, outbox
from scf.sms.addresses import canonical_tel, parse_tel, sender_address
from scf.sms.errors import (
    ChargingNotSupported,
    DuplicateCorrelator,
    OverlappedCriteria,
    UnknownCorrelator,
    UnknownRegistration,
    UnknownRequestId,
)
from scf.sms.model import (
    ChargingHook,
    ChargingInformation,
    DeliveryInformation,
    DeliveryStatus,
    SimpleReference,
    SmsMessage,
)
from scf.sms.schema import migrate_sms
from scf.sms.templates import Templates
from smpp.addresses import DEFAULT_ADDRESSING, Addressing, SmppAddress
from smpp.encoding import encode_message
from storage import Database

ADDRESSES_MAX = 100  # per sendSms (POL0003 beyond)
GATEWAY_APP_ID = "micropay-gateway"  # the operator's own notifications to subscribers


class SmsService:
    def __init__(
        self,
        db: Database,
        *,
        short_code: str = "short:1555",
        addressing: Addressing = DEFAULT_ADDRESSING,
        length_max: int = 1530,
        charging_hook: ChargingHook | None = None,
        templates: Templates | None = None,
        on_stored: Callable[[], None] | None = None,
        migrate: bool = True,
    ) -> None:
        self.db = db
        self.short_code = canonical_tel(short_code, "short_code")
        self.addressing = addressing
        self.length_max = length_max
        self.charging_hook = charging_hook
        self.templates = templates or Templates()
        self.on_stored = on_stored or (lambda: None)
        if migrate:
            migrate_sms(db)

    # -- SendSms -------------------------------------------------------------------------------
    def sendSms(
        self,
        app_id: str,
        addresses: Sequence[str],
        sender_name: str | None,
        charging: ChargingInformation | None,
        message: str,
        receipt_request: SimpleReference | None = None,
    ) -> str:
        """Store a message for each address; return the request identifier once it is durable."""
        if not addresses:
            raise InvalidAddress(part="addresses", address="")
        if len(addresses) > ADDRESSES_MAX:
            raise TooManyAddresses(part="addresses", count=len(addresses), maximum=ADDRESSES_MAX)
        targets: dict[str, SmppAddress] = {}
        for address in addresses:
            parsed = parse_tel(address, "addresses", short_codes=False)
            targets.setdefault(parsed.uri, parsed)
        sender, source = sender_address(sender_name, self.short_code, self.addressing)
        if not isinstance(message, str):
            raise InvalidInput(part="message")
        encoded = encode_message(message, secrets.randbelow(256), self.length_max)
        if receipt_request is not None:
            _check_reference(receipt_request, "receiptRequest")
        request_id = uuid.uuid4().hex
        if charging is not None:
            if self.charging_hook is None:
                raise ChargingNotSupported()
            self.charging_hook(app_id, request_id, list(targets), charging)
        with self.db.transaction() as tx:
            outbox.store_request(
                tx,
                request_id=request_id,
                app_id=app_id,
                sender=sender,
                source=source,
                message=message,
                encoded=encoded,
                addresses=list(targets.items()),
                receipt_request=receipt_request,
            )
        self.on_stored()
        return request_id

    def getSmsDeliveryStatus(self, app_id: str, request_id: str) -> list[DeliveryInformation]:
        with self.db.transaction(write=False) as tx:
            rows = outbox.delivery_status(tx, app_id, request_id)
        if rows is None:
            raise UnknownRequestId(part="requestIdentifier", requestIdentifier=request_id)
        return [DeliveryInformation(a, DeliveryStatus(s)) for a, s in rows]

    # -- SmsNotificationManager ----------------------------------------------------------------
    def startSmsNotification(
        self,
        app_id: str,
        reference: SimpleReference,
        sms_service_activation_number: str,
        criteria: str | None = None,
    ) -> None:
        _check_reference(reference, "reference")
        number = canonical_tel(sms_service_activation_number, "smsServiceActivationNumber")
        crit = (criteria or "").strip()
        if " " in crit:
            raise InvalidInput(part="criteria", criteria=crit)
        with self.db.transaction() as tx:
            if tx.one(
                "SELECT 1 FROM sms_subscription WHERE app_id = ? AND correlator = ?",
                (app_id, reference.correlator),
            ):
                raise DuplicateCorrelator(correlator=reference.correlator, part="reference")
            for (other,) in tx.all(
                "SELECT criteria FROM sms_subscription WHERE activation_number = ?", (number,)
            ):
                if other.casefold() == crit.casefold():
                    raise OverlappedCriteria(criteria=crit or "(none)")
            tx.execute(
                "INSERT INTO sms_subscription (app_id, correlator, endpoint, interface_name,"
                " activation_number, criteria, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    app_id,
                    reference.correlator,
                    reference.endpoint,
                    reference.interfaceName,
                    number,
                    crit,
                    outbox.utc_now(),
                ),
            )
            inbound.reroute(tx, number)

    def stopSmsNotification(self, app_id: str, correlator: str) -> None:
        with self.db.transaction() as tx:
            cur = tx.execute(
                "DELETE FROM sms_subscription WHERE app_id = ? AND correlator = ?",
                (app_id, correlator),
            )
            if cur.rowcount == 0:
                raise UnknownCorrelator(part="correlator", correlator=correlator)

    # -- ReceiveSms ----------------------------------------------------------------------------
    def register_activation_number(
        self,
        app_id: str,
        activation_number: str,
        *,
        criteria: str = "",
        registration_id: str | None = None,
    ) -> str:
        """Provision a registration (the operator, ``micropay sms register``): MO messages to this
        number (and criteria) that no started notification takes wait for
        ``getReceivedSms(registration_id)``. Registering the same number and criteria for the
        same application again returns the registration it has."""
        number = canonical_tel(activation_number, "smsServiceActivationNumber")
        crit = (criteria or "").strip()
        if " " in crit:
            raise InvalidInput(part="criteria", criteria=crit)
        reg_id = registration_id or uuid.uuid4().hex
        with self.db.transaction() as tx:
            existing = tx.one(
                "SELECT registration_id, app_id FROM sms_registration"
                " WHERE activation_number = ? AND LOWER(criteria) = LOWER(?)",
                (number, crit),
            )
            if existing is not None:
                if existing[1] != app_id:
                    raise OverlappedCriteria(criteria=crit or "(none)")
                return existing[0]
            if tx.one("SELECT 1 FROM sms_registration WHERE registration_id = ?", (reg_id,)):
                raise InvalidInput(part="registrationIdentifier", reason="already taken")
            tx.execute(
                "INSERT INTO sms_registration (registration_id, app_id, activation_number,"
                " criteria, created_at) VALUES (?, ?, ?, ?, ?)",
                (reg_id, app_id, number, crit, outbox.utc_now()),
            )
            inbound.reroute(tx, number)
        return reg_id

    def unregister_activation_number(self, registration_id: str) -> int:
        """End a registration; return how many messages still waiting for it were discarded."""
        with self.db.transaction() as tx:
            cur = tx.execute(
                "DELETE FROM sms_registration WHERE registration_id = ?", (registration_id,)
            )
            if cur.rowcount == 0:
                raise UnknownRegistration(part="registrationIdentifier", id=registration_id)
            dropped = tx.execute(
                "DELETE FROM sms_inbound WHERE registration_id = ?", (registration_id,)
            )
            return max(dropped.rowcount, 0)

    def registrations(self, app_id: str | None = None) -> list[dict[str, object]]:
        """Provisioned registrations with the number of messages waiting for each."""
        where, args = ("WHERE r.app_id = ?", (app_id,)) if app_id else ("", ())
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT r.registration_id, r.app_id, r.activation_number, r.criteria,"
                " r.created_at, (SELECT COUNT(*) FROM sms_inbound i"
                " WHERE i.registration_id = r.registration_id)"
                f" FROM sms_registration r {where} ORDER BY r.created_at, r.registration_id",
                args,
            )
        keys = ("registration_id", "app_id", "activation_number", "criteria", "created_at")
        return [{**dict(zip(keys, r[:5], strict=True)), "waiting": int(r[5])} for r in rows]

    def unrouted(self, limit: int = 100) -> list[dict[str, object]]:
        """MO messages kept because nothing matched them, oldest first."""
        with self.db.transaction(write=False) as tx:
            return inbound.unrouted(tx, limit)

    def getReceivedSms(self, app_id: str, registration_id: str) -> list[SmsMessage]:
        """Messages waiting for this registration, oldest first; they are handed over once."""
        with self.db.transaction() as tx:
            owner = tx.one(
                "SELECT app_id FROM sms_registration WHERE registration_id = ?", (registration_id,)
            )
            if owner is None or owner[0] != app_id:
                raise UnknownRegistration(part="registrationIdentifier", id=registration_id)
            rows = tx.all(
                "SELECT inbound_id, message, sender, activation_number, received_at"
                " FROM sms_inbound WHERE registration_id = ? ORDER BY inbound_id",
                (registration_id,),
            )
            if rows:
                tx.executemany(
                    "DELETE FROM sms_inbound WHERE inbound_id = ?", [(r[0],) for r in rows]
                )
        return [SmsMessage(r[1], r[2], r[3], datetime.fromisoformat(r[4])) for r in rows]

    # -- the operator's own notifications --------------------------------------------------------
    def notify_subscriber(self, kind: str, msisdn: str, *, lang: str = "ko", **fields: Any) -> str:
        """Send a subscriber notification (payment details, low balance, unregistered account,
        ...) from an operator-editable template; returns the request identifier."""
        text = self.templates.render(kind, lang, **fields)
        return self.sendSms(GATEWAY_APP_ID, [msisdn], None, None, text, None)

    # -- used by the sender (here so tests and tools can route without SMPP) -------------------
    def route_mo(self, *, sender: str, activation_number: str, text: str) -> str:
        with self.db.transaction() as tx:
            return inbound.route(
                tx,
                sender=canonical_tel(sender),
                activation_number=canonical_tel(activation_number),
                text=text,
                received_at=outbox.utc_now(),
            )


def _check_reference(ref: SimpleReference, part: str) -> None:
    if not ref.endpoint or not ref.correlator:
        raise InvalidInput(part=part, endpoint=ref.endpoint, correlator=ref.correlator)
