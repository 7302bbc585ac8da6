"""A hand-driven application for negative tests: the generated stubs plus scripted callbacks.

Unlike ``client.connect`` it lets a test stop anywhere in the handshake and make its callback
servants misbehave (wrong, garbage, replayed or reflected answers; silence; wrong signatures).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import org.csapi.fw as fw
import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA
import org__POA.csapi.fw.fw_application.service_agreement as sa_POA
from org.csapi.fw.fw_access import trust_and_security as ts
from org.csapi.fw.fw_application import discovery, service_agreement

from client import crypto
from client.orb import client_orb
from tests.framework.gateway import TestApp
from tests.framework.keypool import private_key

WAIT_S = 15


class ScriptedAuth(ts_POA.IpClientAPILevelAuthentication):
    """modes: correct, wrong, garbage, silent, replay, reflect."""

    def __init__(self, secret: bytes, mode: str = "correct", replay: bytes = b"") -> None:
        self.secret, self.mode, self.replay = secret, mode, replay
        self.mechanism: str | None = None
        self.mechanism_known = threading.Event()
        self.succeeded = threading.Event()
        self.aborted = threading.Event()
        self.challenged = threading.Event()
        self.release = threading.Event()  # ends a silent challenge
        self.answers: list[bytes] = []
        self.reflection_refused: Exception | None = None
        self.fw_auth: Any = None
        self.app_id = b""  # set by begin(): P_OSA_HMAC_SHA256 answers are bound to it

    def challenge(self, challenge: Any) -> Any:
        self.challenged.set()
        packet = bytes(challenge)
        if self.mode == "silent":
            self.release.wait(WAIT_S)
            return []
        if self.mode == "garbage":
            return list(b"\x02" + bytes(39))
        if self.mode == "replay":
            return list(self.replay)
        if self.mode == "reflect":
            try:
                return self.fw_auth.challenge(list(packet))
            except fw.P_ACCESS_DENIED as exc:
                self.reflection_refused = exc
                return []
        self.mechanism_known.wait(WAIT_S)
        assert self.mechanism is not None
        secret = self.secret if self.mode == "correct" else b"not-" + self.secret
        answer = crypto.chap_answer(self.mechanism, packet, secret, b"raw", self.app_id)
        self.answers.append(answer)
        return list(answer)

    def authenticate(self, challenge: Any) -> Any:
        return []

    def authenticationSucceeded(self) -> None:  # noqa: N802
        self.succeeded.set()

    def abortAuthentication(self) -> None:  # noqa: N802
        self.aborted.set()


class RecordingAccess(ts_POA.IpClientAccess):
    def __init__(self) -> None:
        self.terminated = threading.Event()
        self.calls: list[tuple[str, str, bytes]] = []

    def terminateAccess(self, text: str, algorithm: str, signature: Any) -> None:  # noqa: N802
        self.calls.append((text, algorithm, bytes(signature)))
        self.terminated.set()


class ScriptedSAM(sa_POA.IpAppServiceAgreementManagement):
    """modes: sign, wrong-key, silent, refuse."""

    def __init__(self, key: Any, mode: str = "sign") -> None:
        self.key, self.mode = key, mode
        self.texts: dict[str, tuple[str, str]] = {}
        self.asked = threading.Event()
        self.release = threading.Event()

    def signServiceAgreement(self, token: str, text: str, algorithm: str) -> Any:  # noqa: N802
        self.texts[token] = (text, algorithm)
        self.asked.set()
        if self.mode == "silent":
            self.release.wait(WAIT_S)
            return []
        if self.mode == "refuse":
            raise fw.P_INVALID_AGREEMENT_TEXT("no")
        key = self.key if self.mode == "sign" else private_key("rsa2048", 9)
        return list(crypto.sign(algorithm, key, text))

    def terminateServiceAgreement(self, token: str, text: str, signature: Any) -> None:  # noqa: N802
        pass


def activate(servant: Any) -> Any:
    return client_orb().activate(servant)[1]


def initial(corbaloc: str) -> Any:
    return client_orb().orb.string_to_object(corbaloc)._narrow(ts.IpInitial)


def domain(app_id: str, auth_ref: Any) -> Any:
    return fw.TpAuthDomain(fw.TpDomainID(ClientAppID=app_id), auth_ref)


def begin(corbaloc: str, app: TestApp, servant: ScriptedAuth) -> Any:
    answer = initial(corbaloc).initiateAuthenticationWithVersion(
        domain(app.app_id, activate(servant)), "P_OSA_AUTHENTICATION", "P_PARLAY_4"
    )
    fw_auth = answer.AuthInterface._narrow(ts.IpAPILevelAuthentication)
    servant.fw_auth = fw_auth
    servant.app_id = app.app_id.encode()
    return fw_auth


def select(fw_auth: Any, servant: ScriptedAuth, mechanisms: str = "P_OSA_HMAC_SHA256") -> str:
    servant.mechanism = fw_auth.selectAuthenticationMechanism(mechanisms)
    servant.mechanism_known.set()
    return servant.mechanism


def prove_framework(fw_auth: Any, servant: ScriptedAuth, secret: bytes) -> None:
    identifier, value, packet = crypto.chap_challenge()
    response = bytes(fw_auth.challenge(list(packet)))
    assert servant.mechanism is not None
    assert crypto.chap_check(servant.mechanism, identifier, value, response, secret, servant.app_id)
    fw_auth.authenticationSucceeded()


def authenticate(
    corbaloc: str, app: TestApp, mechanisms: str = "P_OSA_HMAC_SHA256"
) -> tuple[Any, ScriptedAuth]:
    servant = ScriptedAuth(app.secret)
    fw_auth = begin(corbaloc, app, servant)
    select(fw_auth, servant, mechanisms)
    prove_framework(fw_auth, servant, app.secret)
    assert servant.succeeded.wait(WAIT_S), "the framework did not accept our answer"
    return fw_auth, servant


@dataclass
class Access:
    app: TestApp
    access: Any
    client_access: RecordingAccess
    sam_servant: ScriptedSAM
    algorithm: str = ""
    discovery: Any = None
    sam: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def sign(self, text: str) -> list[int]:
        return list(
            crypto.sign(self.algorithm, private_key(self.app.key_kind, self.app.key_index), text)
        )


def open_access(
    corbaloc: str, app: TestApp, caps: str = "P_SHA256_RSA_2048,P_ED25519", sam_mode: str = "sign"
) -> Access:
    fw_auth, _ = authenticate(corbaloc, app)
    recorder = RecordingAccess()
    access = fw_auth.requestAccess("P_OSA_ACCESS", activate(recorder))._narrow(ts.IpAccess)
    sam_servant = ScriptedSAM(private_key(app.key_kind, app.key_index), sam_mode)
    result = Access(app, access, recorder, sam_servant)
    result.extra["fw_auth"] = fw_auth
    result.algorithm = access.selectSigningAlgorithm(caps)
    result.discovery = access.obtainInterface("P_DISCOVERY")._narrow(discovery.IpServiceDiscovery)
    result.sam = access.obtainInterfaceWithCallback(
        "P_SERVICE_AGREEMENT_MANAGEMENT", activate(sam_servant)
    )._narrow(service_agreement.IpServiceAgreementManagement)
    return result
