"""The application's callback servants: what the framework calls during and after the handshake."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import org.csapi.fw as fw
import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA
import org__POA.csapi.fw.fw_application.service_agreement as sa_POA

from client import crypto


class ClientAuthentication(ts_POA.IpClientAPILevelAuthentication):
    """Answers the framework's CHAP challenge with the shared secret."""

    def __init__(self, secret: bytes, name: bytes, wait_s: float) -> None:
        self._secret = secret
        self._name = name
        self._wait_s = wait_s
        self.mechanism: str | None = None
        self.framework_id = crypto.DEFAULT_FRAMEWORK_ID  # TpFwID from initiateAuthentication
        self.mechanism_known = threading.Event()
        self.succeeded = threading.Event()
        self.aborted = threading.Event()
        self.settled = threading.Event()  # succeeded or aborted

    def challenge(self, challenge: Any) -> Any:
        # The framework may challenge before our selectAuthenticationMechanism call returned.
        if not self.mechanism_known.wait(self._wait_s) or self.mechanism is None:
            return []
        try:
            return list(
                crypto.chap_answer(
                    self.mechanism,
                    bytes(challenge),
                    self._secret,
                    self._name,
                    app_id=self._name,
                    framework_id=self.framework_id,
                )
            )
        except ValueError:
            return []

    def authenticate(self, challenge: Any) -> Any:
        return []  # Parlay 3 only; never used with initiateAuthenticationWithVersion

    def authenticationSucceeded(self) -> None:  # noqa: N802 (IDL name)
        self.succeeded.set()
        self.settled.set()

    def abortAuthentication(self) -> None:  # noqa: N802 (IDL name)
        self.aborted.set()
        self.settled.set()


class ClientAccess(ts_POA.IpClientAccess):
    """The framework ends our access session; accepted only with its valid signature."""

    def __init__(
        self, verify: Callable[[str, str, bytes], bool], ended: Callable[[str], None]
    ) -> None:
        self._verify = verify
        self._ended = ended

    def terminateAccess(
        self, terminationText: str, signingAlgorithm: str, digitalSignature: Any
    ) -> None:  # noqa: N802, N803
        if not self._verify(signingAlgorithm, terminationText, bytes(digitalSignature)):
            raise fw.P_INVALID_SIGNATURE("the framework's signature does not verify")
        self._ended(terminationText)


@dataclass
class PendingSignature:
    """One agreement we asked to sign: the framework's callback fills it in."""

    token: str
    algorithm: str
    text: str = ""
    signed: threading.Event = field(default_factory=threading.Event)


class AppServiceAgreementManagement(sa_POA.IpAppServiceAgreementManagement):
    """Signs the agreements this application initiated, and only those."""

    def __init__(
        self,
        app_id: str,
        private_key: Any,
        verify: Callable[[str, str, bytes], bool],
        terminated: Callable[[str], None],
    ) -> None:
        self._app_id = app_id
        self._key = private_key
        self._verify = verify
        self._terminated = terminated
        self._pending: dict[str, PendingSignature] = {}
        self._lock = threading.Lock()

    def expect(self, token: str, algorithm: str) -> PendingSignature:
        pending = PendingSignature(token, algorithm)
        with self._lock:
            self._pending[token] = pending
        return pending

    def forget(self, token: str) -> None:
        with self._lock:
            self._pending.pop(token, None)

    def signServiceAgreement(
        self, serviceToken: str, agreementText: str, signingAlgorithm: str
    ) -> Any:  # noqa: N802, N803
        with self._lock:
            pending = self._pending.get(serviceToken)
        if pending is None:
            raise fw.P_INVALID_SERVICE_TOKEN("this application did not initiate that agreement")
        if signingAlgorithm != pending.algorithm:
            raise fw.P_INVALID_SIGNING_ALGORITHM(f"selected: {pending.algorithm}")
        if self._app_id not in agreementText or serviceToken not in agreementText:
            raise fw.P_INVALID_AGREEMENT_TEXT("the text does not name this application and token")
        signature = crypto.sign(signingAlgorithm, self._key, agreementText)
        pending.text = agreementText
        pending.signed.set()
        return list(signature)

    def terminateServiceAgreement(
        self, serviceToken: str, terminationText: str, digitalSignature: Any
    ) -> None:  # noqa: N802, N803
        with self._lock:
            known = serviceToken in self._pending
        if not known:
            raise fw.P_INVALID_SERVICE_TOKEN("unknown token")
        with self._lock:
            algorithm = self._pending[serviceToken].algorithm
        if not self._verify(algorithm, terminationText, bytes(digitalSignature)):
            raise fw.P_INVALID_SIGNATURE("the framework's signature does not verify")
        self._terminated(serviceToken)
