"""The framework handshake over CORBA (TS 29.198-3, Parlay 4 flow), written for the harness.

The harness hosts its own callback servants -- IpClientAPILevelAuthentication (answers the
framework's CHAP challenge), IpClientAccess, IpAppServiceAgreementManagement (signs agreement
texts) -- and each can be told to misbehave for a purpose (a wrong CHAP answer, a refusal to sign,
a signature with the wrong key). Steps are exposed one by one so a purpose can stop anywhere.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

import org.csapi.fw as fw
import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA
import org__POA.csapi.fw.fw_application.service_agreement as sa_POA
from cryptography.hazmat.primitives.asymmetric import ed25519
from org.csapi.fw.fw_access import trust_and_security as ts
from org.csapi.fw.fw_application import discovery, service_agreement
from org.csapi.parlayx import account_management, payment, sms

from apps.interop import chap
from apps.interop.corba_orb import Guarded, World

WAIT_S = 15.0
MANAGERS = {
    "P_PAYMENT": payment.IpPaymentManager,
    "P_ACCOUNT_MANAGEMENT": account_management.IpAccountManager,
    "P_SMS": sms.IpSmsManager,
}


class HandshakeError(Exception):
    """The IUT did not complete a step the harness needs (a precondition of later purposes)."""


@dataclass
class Credentials:
    app_id: str
    secret: bytes
    key: Any  # the application's private signing key
    mechanisms: str = "P_OSA_HMAC_SHA256"
    signing: str = ""  # "" = what the key can serve
    framework_keys: list[Any] = field(default_factory=list)

    def signing_caps(self) -> str:
        return self.signing or chap.algorithms_for(self.key)


class ClientAuth(ts_POA.IpClientAPILevelAuthentication):
    """modes: correct, wrong (answers with another secret), reflect (asks the framework to answer
    its own challenge first, then answers correctly)."""

    def __init__(self, secret: bytes, mode: str = "correct") -> None:
        self.secret, self.mode = secret, mode
        self.mechanism = ""
        self.mechanism_known = threading.Event()
        self.challenged = threading.Event()
        self.succeeded = threading.Event()
        self.aborted = threading.Event()
        self.fw_auth: Guarded | None = None
        self.reflection: Any = None  # what the framework answered to its own challenge
        self.challenge_packet = b""
        self.parties: chap.Parties = (b"micropay", b"")  # set from initiateAuthentication

    def challenge(self, challenge: Any) -> Any:
        packet = bytes(challenge)
        self.challenge_packet = packet
        if self.mode == "reflect" and self.fw_auth is not None:
            try:
                self.reflection = bytes(self.fw_auth.challenge(list(packet)))
            except Exception as exc:  # the expected refusal
                self.reflection = exc
        self.challenged.set()  # after the reflection attempt: purposes read its outcome
        if not self.mechanism_known.wait(WAIT_S):
            return []
        secret = self.secret if self.mode != "wrong" else b"not-" + self.secret
        try:
            return list(chap.response_packet(self.mechanism, packet, secret, self.parties))
        except ValueError:
            return []

    def authenticate(self, challenge: Any) -> Any:
        return []

    def authenticationSucceeded(self) -> None:  # noqa: N802
        self.succeeded.set()

    def abortAuthentication(self) -> None:  # noqa: N802
        self.aborted.set()


class ClientAccess(ts_POA.IpClientAccess):
    def __init__(self) -> None:
        self.terminated = threading.Event()
        self.calls: list[tuple[str, str, bytes]] = []

    def terminateAccess(self, text: str, algorithm: str, signature: Any) -> None:  # noqa: N802
        self.calls.append((text, algorithm, bytes(signature)))
        self.terminated.set()


class AppSAM(sa_POA.IpAppServiceAgreementManagement):
    """Signs the agreements the harness initiated. Per token: sign, refuse or wrong-key."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.modes: dict[str, str] = {}
        self.asked: dict[str, threading.Event] = {}
        self.texts: dict[str, tuple[str, str]] = {}
        self.terminations: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def expect(self, token: str, mode: str = "sign") -> threading.Event:
        with self._lock:
            self.modes[token] = mode
            return self.asked.setdefault(token, threading.Event())

    def signServiceAgreement(self, token: str, text: str, algorithm: str) -> Any:  # noqa: N802
        with self._lock:
            mode = self.modes.get(token)
            event = self.asked.setdefault(token, threading.Event())
        self.texts[token] = (text, algorithm)
        event.set()
        if mode is None:
            raise fw.P_INVALID_SERVICE_TOKEN("the harness did not initiate this agreement")
        if mode == "refuse":
            raise fw.P_INVALID_AGREEMENT_TEXT("the interop harness refuses this agreement")
        key = self.key if mode == "sign" else _throwaway_key(self.key)
        return list(chap.sign(algorithm, key, text))

    def terminateServiceAgreement(self, token: str, text: str, signature: Any) -> None:  # noqa: N802
        self.terminations.append((token, text))


def _throwaway_key(like: Any) -> Any:
    if isinstance(like, ed25519.Ed25519PrivateKey):
        return ed25519.Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=like.key_size)


@dataclass
class Handshake:
    fw_auth: Guarded  # IpAPILevelAuthentication
    servant: ClientAuth
    answer: Any  # the TpAuthDomain IpInitial returned

    def abort(self) -> None:
        """Leave the handshake (frees the IUT's per-application handshake slots)."""
        with contextlib.suppress(Exception):
            self.fw_auth.abortAuthentication()


@dataclass
class Agreement:
    token: str
    service_id: str
    service_type: str
    text: str
    algorithm: str
    fw_signature: bytes
    manager: Any  # narrowed manager reference


class CorbaAccess:
    """An open access session: IpAccess, discovery and agreement management."""

    def __init__(self, world: World, creds: Credentials, access: Any, client: ClientAccess) -> None:
        self.world, self.creds = world, creds
        self.raw_access = access
        self.access = Guarded(access)
        self.client = client
        self.sam_servant = AppSAM(creds.key)
        self.algorithm = ""
        self.discovery: Guarded | None = None
        self.sam: Guarded | None = None
        self.agreements: dict[str, Agreement] = {}
        self.ended = False

    def sign(self, text: str) -> list[int]:
        return list(chap.sign(self.algorithm, self.creds.key, text))

    def prepare(self, with_sam_callback: bool = True) -> CorbaAccess:
        self.algorithm = self.access.selectSigningAlgorithm(self.creds.signing_caps())
        self.discovery = Guarded(
            self.access.obtainInterface("P_DISCOVERY")._narrow(discovery.IpServiceDiscovery)
        )
        if with_sam_callback:
            sam = self.access.obtainInterfaceWithCallback(
                "P_SERVICE_AGREEMENT_MANAGEMENT", self.world.activate(self.sam_servant)
            )
        else:
            sam = self.access.obtainInterface("P_SERVICE_AGREEMENT_MANAGEMENT")
        self.sam = Guarded(sam._narrow(service_agreement.IpServiceAgreementManagement))
        return self

    def discover(self, service_type: str, properties: list[Any] | None = None) -> list[Any]:
        assert self.discovery is not None
        return list(self.discovery.discoverService(service_type, properties or [], 8))

    def select(self, service_type: str) -> tuple[str, str]:
        """(service id, token) of the first service of the type."""
        assert self.sam is not None
        found = self.discover(service_type)
        if not found:
            raise HandshakeError(f"discoverService({service_type}) found no service")
        service_id = found[0].ServiceID
        return service_id, self.sam.selectService(service_id)

    def initiate(self, token: str, mode: str = "sign") -> tuple[str, str]:
        """initiateSignServiceAgreement; waits for the framework's signServiceAgreement call
        on our callback and returns its (agreement text, signing algorithm)."""
        assert self.sam is not None
        asked = self.sam_servant.expect(token, mode)
        self.sam.initiateSignServiceAgreement(token)
        if not asked.wait(WAIT_S):
            raise HandshakeError(
                "the framework did not call IpAppServiceAgreementManagement."
                "signServiceAgreement after initiateSignServiceAgreement"
            )
        return self.sam_servant.texts[token]

    def agreement(self, service_type: str) -> Agreement:
        """Discover, select, sign both ways; the narrowed manager of the service type."""
        assert self.sam is not None
        service_id, token = self.select(service_type)
        text, algorithm = self.initiate(token)
        result = self.sam.signServiceAgreement(token, text, algorithm)
        manager = result.ServiceMgrInterface
        if service_type in MANAGERS and manager is not None:
            manager = manager._narrow(MANAGERS[service_type])
        if manager is None:
            raise HandshakeError(f"signServiceAgreement gave no {service_type} manager")
        agreement = Agreement(
            token,
            service_id,
            service_type,
            text,
            algorithm,
            bytes(result.DigitalSignature),
            manager,
        )
        self.agreements[token] = agreement
        return agreement

    def terminate_agreement(self, token: str) -> None:
        assert self.sam is not None
        text = chap.termination_text(self.creds.app_id, f"service token {token}")
        self.sam.terminateServiceAgreement(token, text, self.sign(text))
        self.agreements.pop(token, None)

    def terminate(self) -> None:
        """Signed terminateAccess (quietly: the session may already be gone)."""
        if self.ended:
            return
        self.ended = True
        text = chap.termination_text(self.creds.app_id, "access")
        try:
            if self.algorithm:
                self.access.terminateAccess(text, self.sign(text))
            else:
                self.access.endAccess([])
        except Exception:
            pass


class CorbaFramework:
    """Entry to the IUT's framework at an endpoint, for one or more applications."""

    def __init__(self, world: World, endpoint: str) -> None:
        self.world = world
        self.endpoint = endpoint
        self._initial: Any = None

    def initial(self) -> Guarded:
        if self._initial is None:
            self._initial = self.world.resolve(self.endpoint)._narrow(ts.IpInitial)
            if self._initial is None:
                raise HandshakeError(f"{self.endpoint} is not an IpInitial")
        return Guarded(self._initial)

    @staticmethod
    def domain(app_id: str, auth_ref: Any) -> Any:
        return fw.TpAuthDomain(fw.TpDomainID(ClientAppID=app_id), auth_ref)

    def begin(
        self, creds: Credentials, mode: str = "correct", version: str = "P_PARLAY_4"
    ) -> Handshake:
        """initiateAuthenticationWithVersion with our IpClientAPILevelAuthentication."""
        servant = ClientAuth(creds.secret, mode)
        answer = self.initial().initiateAuthenticationWithVersion(
            self.domain(creds.app_id, self.world.activate(servant)), "P_OSA_AUTHENTICATION", version
        )
        fw_auth = answer.AuthInterface._narrow(ts.IpAPILevelAuthentication)
        if fw_auth is None:
            raise HandshakeError("TpAuthDomain.AuthInterface is not an IpAPILevelAuthentication")
        framework_id = answer.DomainID._v if answer.DomainID._d == fw.P_FW else "micropay"
        servant.parties = (str(framework_id).encode(), creds.app_id.encode())
        servant.fw_auth = Guarded(fw_auth)
        return Handshake(Guarded(fw_auth), servant, answer)

    def select_mechanism(self, handshake: Handshake, mechanisms: str) -> str:
        mechanism = handshake.fw_auth.selectAuthenticationMechanism(mechanisms)
        handshake.servant.mechanism = mechanism
        handshake.servant.mechanism_known.set()
        return mechanism

    def prove_framework(self, handshake: Handshake, creds: Credentials) -> None:
        """Challenge the framework; its answer must prove it knows the shared secret."""
        identifier, value, packet = chap.challenge_packet()
        response = bytes(handshake.fw_auth.challenge(list(packet)))
        problem = chap.check_response(
            handshake.servant.mechanism,
            identifier,
            value,
            response,
            creds.secret,
            handshake.servant.parties,
        )
        if problem:
            raise HandshakeError(f"the framework's CHAP response is wrong: {problem}")
        handshake.fw_auth.authenticationSucceeded()

    def authenticate(self, creds: Credentials, mechanisms: str | None = None) -> Handshake:
        """Both sides proven: the framework called our authenticationSucceeded."""
        handshake = self.begin(creds)
        self.select_mechanism(handshake, mechanisms or creds.mechanisms)
        self.prove_framework(handshake, creds)
        if not handshake.servant.succeeded.wait(WAIT_S):
            handshake.abort()
            raise HandshakeError(
                "the framework did not call authenticationSucceeded on our "
                "IpClientAPILevelAuthentication"
            )
        return handshake

    def open_access(self, creds: Credentials, prepare: bool = True) -> CorbaAccess:
        handshake = self.authenticate(creds)
        client = ClientAccess()
        access = handshake.fw_auth.requestAccess("P_OSA_ACCESS", self.world.activate(client))
        access = access._narrow(ts.IpAccess)
        if access is None:
            raise HandshakeError("requestAccess(P_OSA_ACCESS) did not return an IpAccess")
        session = CorbaAccess(self.world, creds, access, client)
        return session.prepare() if prepare else session
