"""The running shop: its parts wired together, started and stopped in order.

Over CORBA (a corbaloc/IOR endpoint): the callback ORB (fixed port, persistent references) ->
the access session -> the two subscriptions -> the worker that acts on what the callbacks
received. Over gRPC (a ``grpc://``/``grpcs://`` endpoint): the access session -> the two
subscriptions -> the stream followers -> the same worker. With ``[camara] url`` the payments go
over CAMARA Carrier Billing (``camara_transport``), the rest as above. If the gateway is not
reachable yet,
the shop still starts and a background thread keeps trying (the operator view shows how far it
got); payments answer "unavailable" meanwhile.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from apps.micropay.camara_transport import CamaraGateway
from apps.micropay.checkout import Checkout
from apps.micropay.confirmation import load_key
from apps.micropay.corba import CorbaGateway
from apps.micropay.corba_callbacks import Callbacks, callback_port, start_callbacks
from apps.micropay.credentials import Credentials
from apps.micropay.events import Inbox
from apps.micropay.grpc_streams import StreamFollower, follow_streams
from apps.micropay.grpc_transport import GrpcGateway, TlsFiles
from apps.micropay.notices import Notices
from apps.micropay.operator import OperatorAuth, OperatorCommands
from apps.micropay.phone import Phones, is_loopback
from apps.micropay.ports import GatewayFault, GatewayUnavailable
from apps.micropay.settings import ShopSettings
from apps.micropay.sms_commands import SmsCommands
from apps.micropay.store import Store
from apps.micropay.subscriptions import Addresses, ensure_charging_events, ensure_sms_notification
from client import crypto
from client.camara import CamaraClient, verify_of

logger = logging.getLogger("micropay.shop")

SUBSCRIBE_RETRY_S_MIN = 0.5
SUBSCRIBE_RETRY_S_MAX = 10.0
CODE_SWEEP_INTERVAL_S = 1.0


def load_credentials(settings: ShopSettings) -> Credentials:
    secret = settings.secret_file.read_bytes().rstrip(b"\r\n")
    key = crypto.load_private_key(settings.private_key_file.read_bytes())
    return Credentials(
        settings.endpoint,
        settings.app_id,
        secret,
        key,
        tuple(p.read_bytes() for p in settings.framework_public_key_files),
    )


def camara_client(settings: ShopSettings) -> CamaraClient:
    """The application's CAMARA client: its own id and signing key (private_key_jwt)."""
    return CamaraClient(
        settings.camara_url,
        settings.app_id,
        settings.private_key_file.read_bytes(),
        verify=verify_of(settings.camara_ca_file),
    )


def tls_files(settings: ShopSettings) -> TlsFiles:
    def text(path: Path | None) -> str | None:
        return str(path) if path is not None else None

    return TlsFiles(
        text(settings.tls_root_certificates),
        text(settings.tls_certificate_chain),
        text(settings.tls_private_key),
    )


@dataclass
class Subscriptions:
    """How far the standing subscriptions got (shown on the operator view)."""

    charging_events: str = "not yet"
    sms: str = "not yet"
    ready: threading.Event = field(default_factory=threading.Event)


class ShopRuntime:
    def __init__(self, settings: ShopSettings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(settings.database_path)
        credentials = load_credentials(settings)
        self.framework: CorbaGateway | GrpcGateway  # the subscriptions and streams use it
        if settings.over_grpc:
            self.framework = GrpcGateway(credentials, tls_files(settings))
        else:
            self.framework = CorbaGateway(credentials)
        self.gateway: CorbaGateway | GrpcGateway | CamaraGateway = self.framework
        if settings.over_camara:
            self.gateway = CamaraGateway(self.framework, camara_client(settings))
        self.notices = Notices(
            self.gateway, self.store, merchant=settings.merchant, lang=settings.sms_language
        )
        self.checkout = Checkout(
            self.gateway,
            self.store,
            self.notices,
            country_code=settings.country_code,
            code_key=load_key(settings.data_dir / "confirmation-key"),
            code_ttl_s=settings.confirmation_code_ttl_s,
        )
        self.commands = SmsCommands(
            self.gateway, self.notices, short_code=settings.short_code, timezone=settings.timezone
        )
        self.inbox = Inbox(self.store, self.notices, self.commands, settings.timezone)
        self.auth = OperatorAuth(settings.password_path, settings.data_dir / "session-key")
        self.operator = OperatorCommands(settings.micropay_config, settings.micropay_env)
        self.phones = self._sms_simulator(settings)
        self.subscriptions = Subscriptions()
        self.callbacks: Callbacks | None = None
        self.streams: list[StreamFollower] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._expiry: threading.Thread | None = None

    def start(self) -> None:
        s = self.settings
        if not s.over_grpc:
            port = callback_port(s.data_dir, s.callback_host, s.callback_port)
            self.callbacks = start_callbacks(self.inbox, s.data_dir, s.callback_host, port)
        self.inbox.start()
        self._thread = threading.Thread(target=self._subscribe, name="shop-subscribe", daemon=True)
        self._thread.start()
        self._expiry = threading.Thread(target=self._expire_codes, name="shop-codes", daemon=True)
        self._expiry.start()

    def _expire_codes(self) -> None:
        """Release the holds of payment codes not typed in time (``Checkout.expire_codes``)."""
        while not self._stop.wait(CODE_SWEEP_INTERVAL_S):
            try:
                self.checkout.expire_codes()
            except Exception:  # the gateway may come back
                logger.exception("expiring payment codes failed")

    def _subscribe(self) -> None:
        to = self.callbacks.addresses() if self.callbacks is not None else Addresses.streams()
        wait = SUBSCRIBE_RETRY_S_MIN
        sub = self.subscriptions
        while not self._stop.is_set():
            try:
                assignment = ensure_charging_events(self.framework, self.store, to)
                sub.charging_events = f"assignment {assignment}"
                correlator = ensure_sms_notification(
                    self.framework, self.store, to, self.settings.short_code
                )
                sub.sms = f"{self.settings.short_code} (correlator {correlator})"
                if isinstance(self.framework, GrpcGateway):
                    self.streams = follow_streams(
                        self.framework, self.store, self.inbox, assignment, correlator
                    )
                sub.ready.set()
                logger.info("subscribed: %s; %s", sub.charging_events, sub.sms)
                return
            except (GatewayUnavailable, GatewayFault) as exc:
                sub.charging_events = (
                    sub.charging_events if sub.ready.is_set() else f"waiting: {exc}"
                )
                logger.warning("subscriptions not made yet: %s", exc)
            self._stop.wait(wait)
            wait = min(wait * 2, SUBSCRIBE_RETRY_S_MAX)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
        if self._expiry is not None:
            self._expiry.join(15)
        for follower in self.streams:
            follower.stop()
        self.inbox.stop()
        self.gateway.close()
        if self.callbacks is not None:
            self.callbacks.shutdown()
        self.store.close()

    @staticmethod
    def _sms_simulator(settings: ShopSettings) -> Phones | None:
        """The SMS simulator (``/phone``): only where configured, and only on loopback."""
        if settings.smsc_dir is None:
            return None
        if not is_loopback(settings.host):
            logger.warning(
                "phone.smsc_dir is set but web.host %s is not loopback: no SMS simulator",
                settings.host,
            )
            return None
        return Phones(settings.smsc_dir)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir
