"""IpAPILevelAuthentication: the mutual CHAP handshake and requestAccess (TS 29.198-3 §6.3)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA
from omniORB import CORBA
from org.csapi.fw.fw_access import trust_and_security as ts

from framework.corba import refs
from framework.corba.callbacks import call_application
from framework.corba.errors import servant_of
from framework.core.errors import MethodNotSupported
from framework.core.holds import Handshake
from framework.core.states import Auth
from framework.logs import log
from telemetry.calls import observed

if TYPE_CHECKING:
    from framework.corba.framework import Framework


@servant_of(ts.IpAPILevelAuthentication)
@observed
class IpAPILevelAuthenticationServant(ts_POA.IpAPILevelAuthentication):
    def __init__(self, framework: Framework, handshake: Handshake, client_auth: Any) -> None:
        self.framework = framework
        self.handshake = handshake
        self.session = handshake.session
        self.client_auth = client_auth
        self.lease = handshake.lease

    # -- deprecated Parlay 3 operations -------------------------------------------------------
    def selectEncryptionMethod(self, encryptionCaps: str) -> str:
        raise MethodNotSupported("Parlay 3 encryption is not supported; use P_PARLAY_4")

    def authenticate(self, challenge: Any) -> Any:
        raise MethodNotSupported("use selectAuthenticationMechanism and challenge")

    # -- Parlay 4 handshake -------------------------------------------------------------------
    def selectAuthenticationMechanism(self, authMechanismList: str) -> str:
        chosen = self.session.select_mechanism(authMechanismList)
        self.framework.callbacks.submit("challenge", self._challenge_client)
        return chosen

    def challenge(self, challenge: Any) -> Any:
        return refs.octets(self.session.answer(refs.from_octets(challenge)))

    def authenticationSucceeded(self) -> None:
        self.session.client_confirms()

    def abortAuthentication(self) -> None:
        self.session.abort()
        self.lease.revoke()

    def requestAccess(self, accessType: str, clientAccessInterface: Any) -> Any:
        self.session.check_access(accessType)
        client_access = refs.require(
            clientAccessInterface,
            ts.IpClientAccess,
            "clientAccessInterface",
            self.framework.settings.callback_timeout_ms,
        )
        self.session.request_access(accessType)
        return self.framework.open_access(self.handshake, client_access)

    # -- the framework authenticates the client (a callback, from the pool) --------------------
    def _challenge_client(self) -> None:
        packet = self.session.new_challenge()
        if packet is None:
            return
        answer: bytes | None
        try:
            answer = refs.from_octets(
                call_application(
                    lambda: self.client_auth.challenge(refs.octets(packet)), idempotent=True
                )
            )
        except CORBA.Exception as exc:
            log(logging.INFO, "client did not answer the challenge", error=type(exc).__name__)
            answer = None
        app_id = self.session.app.app_id
        if self.session.check_response(answer):
            log(logging.INFO, "client authenticated", app_id=app_id)
            self._tell(self.client_auth.authenticationSucceeded)
            return
        if self.session.state == Auth.ABORTED:
            log(logging.WARNING, "client failed authentication", app_id=app_id)
            self.lease.revoke()
            self._tell(self.client_auth.abortAuthentication)

    @staticmethod
    def _tell(call: Any) -> None:
        try:
            call_application(call, idempotent=True)  # notifications: twice is harmless
        except CORBA.Exception as exc:
            log(logging.INFO, "client callback failed", error=type(exc).__name__)
