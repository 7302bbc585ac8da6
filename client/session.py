"""``connect``: the whole Parlay 4 handshake (DESIGN §2) in one call, and the session it opens.

    session = connect("corbaloc::127.0.0.1:2809/IpInitial", "shop-1", secret, private_key_pem)
    payment = session.obtain_service("P_PAYMENT")   # the narrowed SCF manager
    ...
    session.terminate()

Framework exceptions surface as the typed errors of ``client.errors``. When the framework's
public key(s) are given (``micropay framework public-key``), its agreement and termination
signatures are verified; without them they are accepted unchecked.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import omniORB
import org.csapi.fw as fw
from omniORB import CORBA
from org.csapi.fw.fw_access import trust_and_security as ts
from org.csapi.fw.fw_application import discovery as disc
from org.csapi.fw.fw_application import service_agreement as sa

from client import crypto, errors
from client.callbacks import AppServiceAgreementManagement, ClientAccess, ClientAuthentication
from client.orb import ClientOrb, client_orb

DEFAULT_MECHANISMS = "P_OSA_HMAC_SHA256"
DEFAULT_SIGNING = "P_SHA256_RSA_2048,P_ED25519"


@contextmanager
def translated() -> Iterator[None]:
    """Turn the framework's CORBA user exceptions into ``client.errors`` types."""
    try:
        yield
    except CORBA.UserException as exc:
        raise errors.from_corba(exc) from None


def resolve(orb: Any, endpoint: str | os.PathLike[str]) -> Any:
    """IpInitial from an IOR, a corbaloc/corbaname URL or a file holding an IOR."""
    text = str(endpoint)
    if not text.startswith(("IOR:", "corbaloc:", "corbaname:")):
        text = Path(text).read_text().strip()
    obj = orb.string_to_object(text)
    initial = obj._narrow(ts.IpInitial)
    if initial is None:
        raise errors.FrameworkError(f"{endpoint} is not an IpInitial")
    return initial


def _as_bytes(value: str | bytes | os.PathLike[str]) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and (value.startswith("-----BEGIN") or not os.path.exists(value)):
        return value.encode()
    return Path(value).read_bytes()


@dataclass
class ServiceAgreement:
    token: str
    service_id: str
    service_type: str
    agreement_text: str
    signing_algorithm: str
    framework_signature: bytes
    manager: Any


class FrameworkSession:
    """An open access session: discovery, agreements and the SCF managers they gave."""

    def __init__(self, app_id: str, orb: ClientOrb, private_key: Any, timeout_s: float) -> None:
        self.app_id = app_id
        self._orb = orb
        self._key = private_key
        self.timeout_s = timeout_s
        self.access: Any = None
        self.discovery: Any = None
        self.service_agreement: Any = None
        self.signing_algorithm = ""
        self.agreements: dict[str, ServiceAgreement] = {}
        self.ended = threading.Event()
        self.termination_text = ""
        self._framework_keys: list[Any] = []
        self._oids: list[bytes] = []
        self._sam: AppServiceAgreementManagement | None = None

    # -- for the callback servants ------------------------------------------------------------
    def _verify(self, algorithm: str, text: str, signature: bytes) -> bool:
        if not self._framework_keys:
            return True  # no key configured: accepted unchecked (see module docstring)
        return any(crypto.verify(algorithm, k, text, signature) for k in self._framework_keys)

    def _ended_by_framework(self, text: str) -> None:
        self.termination_text = text
        self.ended.set()
        self._release_callbacks()

    def _agreement_terminated(self, token: str) -> None:
        self.agreements.pop(token, None)

    def _release_callbacks(self) -> None:
        for oid in self._oids:
            self._orb.deactivate(oid)
        self._oids.clear()

    def _bound(self, obj: Any, interface: type) -> Any:
        narrowed = obj._narrow(interface)
        omniORB.setClientCallTimeout(narrowed, int(self.timeout_s * 1000))
        return narrowed

    # -- services -------------------------------------------------------------------------------
    def discover(
        self, service_type: str, properties: dict[str, Sequence[str]] | None = None, max: int = 16
    ) -> list[Any]:
        desired = [fw.TpServiceProperty(k, list(v)) for k, v in (properties or {}).items()]
        with translated():
            return list(self.discovery.discoverService(service_type, desired, max))

    def obtain_service(
        self, service_type: str, properties: dict[str, Sequence[str]] | None = None
    ) -> Any:
        """Discover, select, sign the agreement both ways; return the SCF manager."""
        if self.ended.is_set():
            raise errors.AccessTerminated(self.termination_text)
        found = self.discover(service_type, properties, 1)
        if not found:
            raise errors.ServiceUnavailable(service_type)
        service_id = found[0].ServiceID
        assert self._sam is not None
        with translated():
            token = self.service_agreement.selectService(service_id)
            pending = self._sam.expect(token, self.signing_algorithm)
            self.service_agreement.initiateSignServiceAgreement(token)
            if not pending.signed.wait(self.timeout_s):
                raise errors.CallbackTimeout("the framework did not ask us to sign")
            result = self.service_agreement.signServiceAgreement(
                token, pending.text, self.signing_algorithm
            )
        signature = bytes(result.DigitalSignature)
        if not self._verify(self.signing_algorithm, pending.text, signature):
            raise errors.P_INVALID_SIGNATURE("the framework's agreement signature")  # type: ignore[attr-defined]
        manager = result.ServiceMgrInterface
        omniORB.setClientCallTimeout(manager, int(self.timeout_s * 1000))
        self.agreements[token] = ServiceAgreement(
            token,
            service_id,
            service_type,
            pending.text,
            self.signing_algorithm,
            signature,
            manager,
        )
        return manager

    def reattach(self, agreement: ServiceAgreement) -> Any:
        """The manager of an agreement signed in another session: on another gateway of the
        same database (fail-over) or before a gateway restart. The agreement is not signed
        again: the framework finds it in force by its token and text, has us sign a fresh
        nonce of its own (our signServiceAgreement callback, with the registered key) and
        answers with its stored signature (P_ACCESS_DENIED once the agreement has ended)."""
        if self.ended.is_set():
            raise errors.AccessTerminated(self.termination_text)
        assert self._sam is not None
        with translated():
            token = self.service_agreement.selectService(agreement.service_id)
            self._sam.expect(token, agreement.signing_algorithm)
            result = self.service_agreement.signServiceAgreement(
                token, agreement.agreement_text, agreement.signing_algorithm
            )
        signature = bytes(result.DigitalSignature)
        if not self._verify(agreement.signing_algorithm, agreement.agreement_text, signature):
            raise errors.P_INVALID_SIGNATURE("the framework's agreement signature")  # type: ignore[attr-defined]
        manager = result.ServiceMgrInterface
        omniORB.setClientCallTimeout(manager, int(self.timeout_s * 1000))
        self.agreements[token] = replace(agreement, token=token, manager=manager)
        return manager

    def terminate_agreement(self, token: str, text: str | None = None) -> None:
        text = text or crypto.termination_text(self.app_id, f"service token {token}")
        signature = crypto.sign(self.signing_algorithm, self._key, text)
        with translated():
            self.service_agreement.terminateServiceAgreement(token, text, list(signature))
        self.agreements.pop(token, None)
        if self._sam is not None:
            self._sam.forget(token)

    def terminate(self, text: str | None = None) -> None:
        """End the access session with a signed terminateAccess (idempotent)."""
        if self.ended.is_set():
            return
        text = text or crypto.termination_text(self.app_id, "access")
        signature = crypto.sign(self.signing_algorithm, self._key, text)
        try:
            with translated():
                self.access.terminateAccess(text, list(signature))
        finally:
            self.termination_text = text
            self.ended.set()
            self._release_callbacks()

    def __enter__(self) -> FrameworkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        with suppress(errors.FrameworkError, CORBA.SystemException):
            self.terminate()


def connect(
    endpoint: str | os.PathLike[str],
    app_id: str,
    secret: str | bytes,
    private_key: str | bytes | os.PathLike[str] | Any,
    *,
    auth_mechanisms: str = DEFAULT_MECHANISMS,
    signing_algorithms: str = DEFAULT_SIGNING,
    framework_public_keys: Sequence[str | bytes] = (),
    version: str = "P_PARLAY_4",
    timeout_s: float = 10.0,
    **grpc_tls: Any,
) -> FrameworkSession:
    """Authenticate ``app_id`` to the framework at ``endpoint`` and open an access session.

    A ``grpcs://host:port`` (or ``grpc://``) endpoint opens the same session over gRPC
    (``client.grpc_session.connect``; ``grpc_tls``: its ``root_certificates``,
    ``certificate_chain``, ``tls_private_key``).

    ``secret`` is the shared CHAP secret (as registered); ``private_key`` the key whose public
    half was registered: a loaded ``cryptography`` RSA/Ed25519 key (parse it once: loading an
    RSA PEM costs ~25 ms of key validation), its PEM, or a path to the PEM. Raises
    ``client.errors`` types.
    """
    if str(endpoint).startswith(("grpc://", "grpcs://")):
        from client.grpc_session import connect as connect_grpc

        return connect_grpc(  # type: ignore[return-value]
            str(endpoint),
            app_id,
            secret,
            private_key,
            auth_mechanisms=auth_mechanisms,
            signing_algorithms=signing_algorithms,
            framework_public_keys=framework_public_keys,
            version=version,
            timeout_s=timeout_s,
            **grpc_tls,
        )
    orb = client_orb()
    key = (
        private_key
        if crypto.is_private_key(private_key)
        else crypto.load_private_key(_as_bytes(private_key))
    )
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    session = FrameworkSession(app_id, orb, key, timeout_s)
    session._framework_keys = [crypto.load_public_key(_as_bytes(k)) for k in framework_public_keys]
    auth = ClientAuthentication(secret_bytes, app_id.encode(), timeout_s)
    try:
        _handshake(session, orb, endpoint, auth, secret_bytes, auth_mechanisms, version)
        _open_access(session, orb, signing_algorithms)
    except BaseException:
        session._release_callbacks()
        raise
    return session


def _handshake(
    session: FrameworkSession,
    orb: ClientOrb,
    endpoint: str | os.PathLike[str],
    auth: ClientAuthentication,
    secret: bytes,
    mechanisms: str,
    version: str,
) -> None:
    oid, auth_ref = orb.activate(auth)
    session._oids.append(oid)
    initial = resolve(orb.orb, endpoint)
    omniORB.setClientCallTimeout(initial, int(session.timeout_s * 1000))
    _ping(initial)
    domain = fw.TpAuthDomain(fw.TpDomainID(ClientAppID=session.app_id), auth_ref)
    with translated():
        answer = initial.initiateAuthenticationWithVersion(domain, "P_OSA_AUTHENTICATION", version)
        auth.framework_id = framework_id(answer)
        fw_auth = session._bound(answer.AuthInterface, ts.IpAPILevelAuthentication)
        auth.mechanism = fw_auth.selectAuthenticationMechanism(mechanisms)
        auth.mechanism_known.set()
        identifier, value, packet = crypto.chap_challenge()
        response = bytes(fw_auth.challenge(list(packet)))
        app_id = session.app_id.encode()
        if not crypto.chap_check(
            auth.mechanism, identifier, value, response, secret, app_id, auth.framework_id
        ):
            fw_auth.abortAuthentication()
            raise errors.AuthenticationFailed("the framework's CHAP answer is wrong")
        fw_auth.authenticationSucceeded()
    if not auth.settled.wait(session.timeout_s):
        raise errors.CallbackTimeout("the framework did not finish authenticating us")
    if auth.aborted.is_set():
        raise errors.AuthenticationFailed("the framework refused our CHAP answer")
    session.access = fw_auth  # requestAccess below replaces it with IpAccess


def framework_id(answer: Any) -> bytes:
    """The TpFwID of initiateAuthentication's TpAuthDomain (P_OSA_HMAC_SHA256 binds it)."""
    domain = answer.DomainID
    if domain._d == fw.P_FW:
        return str(domain._v).encode()
    return crypto.DEFAULT_FRAMEWORK_ID


def _ping(initial: Any) -> None:
    """Reach IpInitial once; a connection left over from before a gateway restart fails the
    first call (COMM_FAILURE) and is dropped, so one retry goes out on a fresh connection."""
    for attempt in range(2):
        try:
            if initial._non_existent():
                raise errors.FrameworkError("no IpInitial at that endpoint")
            return
        except (CORBA.COMM_FAILURE, CORBA.TRANSIENT):
            if attempt:
                raise


def _open_access(session: FrameworkSession, orb: ClientOrb, signing_algorithms: str) -> None:
    fw_auth = session.access
    client_access = ClientAccess(session._verify, session._ended_by_framework)
    oid, access_ref = orb.activate(client_access)
    session._oids.append(oid)
    sam = AppServiceAgreementManagement(
        session.app_id, session._key, session._verify, session._agreement_terminated
    )
    oid, sam_ref = orb.activate(sam)
    session._oids.append(oid)
    session._sam = sam
    with translated():
        access = session._bound(fw_auth.requestAccess("P_OSA_ACCESS", access_ref), ts.IpAccess)
        session.access = access
        session.signing_algorithm = access.selectSigningAlgorithm(signing_algorithms)
        session.discovery = session._bound(
            access.obtainInterface("P_DISCOVERY"), disc.IpServiceDiscovery
        )
        session.service_agreement = session._bound(
            access.obtainInterfaceWithCallback("P_SERVICE_AGREEMENT_MANAGEMENT", sam_ref),
            sa.IpServiceAgreementManagement,
        )
