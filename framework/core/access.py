"""One IpAccess session without transport: signing algorithm choice and signed termination.

The ``access`` machine of ``states.py`` governs it. The lifecycle keeps it in a
``holds.Access`` with its agreements in progress (``agreements.AgreementSteps`` by token) and in
force, so ending the session ends them too (``lifecycle.py``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from framework.core import limits, signing, termination
from framework.core.errors import (
    AccessDenied,
    InvalidSignature,
    InvalidState,
    NoAcceptableSigningAlgorithm,
)
from framework.core.memory import Once
from framework.core.states import Access, AccessEvent, Machine, allowed, step
from framework.core.store import Application


class AccessSession:
    def __init__(
        self,
        session_id: str,
        app: Application,
        offered_algorithms: list[str],
        started: datetime,
        used_signatures: Once,
    ) -> None:
        self.session_id = session_id
        self.app = app
        self.started = started
        self.state: str = Access.OPEN
        self.signing_algorithm: str | None = None
        self._offered = offered_algorithms  # enabled and backed by a framework key
        self._used_signatures = used_signatures
        self.lock = threading.RLock()
        self.last_heard = time.monotonic()  # the client's last call, or its last probe answer

    @property
    def ended(self) -> bool:
        return self.state == Access.ENDED

    def heard(self) -> None:
        self.last_heard = time.monotonic()

    def idle_s(self) -> float:
        return time.monotonic() - self.last_heard

    def use(self) -> None:
        self.heard()
        with self.lock:
            if not allowed(Machine.ACCESS, self.state, AccessEvent.USE):
                raise AccessDenied("the access session has ended")

    def acceptable_algorithms(self) -> list[str]:
        return signing.fitting(self._offered, self.app.public_key())

    def select_signing_algorithm(self, caps: str) -> str:
        with self.lock:
            if not allowed(Machine.ACCESS, self.state, AccessEvent.SELECT_SIGNING):
                raise AccessDenied("the access session has ended")
            chosen = signing.choose(caps, self.acceptable_algorithms())
            if chosen is None:
                raise NoAcceptableSigningAlgorithm(
                    "acceptable with the registered key: " + ",".join(self.acceptable_algorithms())
                )
            self.signing_algorithm = chosen
            self.state = step(Machine.ACCESS, self.state, AccessEvent.SELECT_SIGNING)
            return chosen

    def algorithm_for_signing(self) -> str:
        """The session's algorithm, for steps that sign; refused before selectSigningAlgorithm."""
        with self.lock:
            if not allowed(Machine.ACCESS, self.state, AccessEvent.SIGN):
                if self.ended:
                    raise AccessDenied("the access session has ended")
                raise InvalidState("call IpAccess.selectSigningAlgorithm first")
            assert self.signing_algorithm is not None
            return self.signing_algorithm

    def check_signature(
        self, text: str, signature: bytes, text_bytes_max: int, terminates: str
    ) -> None:
        """Verify a client signature over a termination ``text`` that names the application,
        ``terminates`` and a nonce; refuse a signature any gateway saw before."""
        algorithm = self.signing_algorithm
        if algorithm is None:
            raise InvalidSignature("no signing algorithm was selected")
        if len(text.encode("utf-8")) > text_bytes_max:
            raise InvalidSignature("text too long")
        termination.check(text, app_id=self.app.app_id, terminates=terminates)
        key = self.app.public_key()
        if key is None or not signing.verify(algorithm, key, text, signature):
            raise InvalidSignature("the signature does not verify")
        if not self._used_signatures.first_use(self.app.app_id, signature):
            raise InvalidSignature("the signature was already used")

    def terminate_signed(self, text: str, signature: bytes) -> None:
        """terminateAccess: end the session only for a valid, fresh signature."""
        with self.lock:
            if self.ended:
                raise AccessDenied("the access session has ended")
            self.check_signature(
                text, signature, limits.termination_text_bytes_max, termination.ACCESS
            )
            self.state = step(Machine.ACCESS, self.state, AccessEvent.TERMINATE_SIGNED)

    def end(self) -> bool:
        """End without a client signature; True only for the call that ended it."""
        with self.lock:
            if not allowed(Machine.ACCESS, self.state, AccessEvent.END):
                return False
            self.state = step(Machine.ACCESS, self.state, AccessEvent.END)
            return True
