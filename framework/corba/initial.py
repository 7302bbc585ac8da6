"""IpInitial: the framework's entry point (corbaloc::HOST:PORT/IpInitial)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import org.csapi.fw as fw
import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA
from org.csapi.fw.fw_access import trust_and_security as ts

from framework.corba import peer, refs
from framework.corba.errors import servant_of
from framework.core.authentication import FRAMEWORK_NAME
from telemetry.calls import observed

if TYPE_CHECKING:
    from framework.corba.framework import Framework


@servant_of(ts.IpInitial)
@observed
class IpInitialServant(ts_POA.IpInitial):
    def __init__(self, framework: Framework) -> None:
        self.framework = framework

    def initiateAuthentication(self, clientDomain: Any, authType: str) -> Any:
        """Deprecated (Parlay 3 entry): admitted like P_PARLAY_4; the Parlay 4 steps follow."""
        return self._initiate(clientDomain, authType, None)

    def initiateAuthenticationWithVersion(
        self,
        clientDomain: Any,
        authType: str,
        frameworkVersion: str,
    ) -> Any:
        return self._initiate(clientDomain, authType, frameworkVersion)

    def _initiate(self, domain: Any, auth_type: str, version: str | None) -> Any:
        framework = self.framework
        framework.lifecycle.authenticator.check_request(auth_type, version)
        client_auth = refs.require(
            domain.AuthInterface,
            ts.IpClientAPILevelAuthentication,
            "AuthInterface",
            framework.settings.callback_timeout_ms,
        )
        kind = domain.DomainID._d
        app_id = domain.DomainID._v if kind == fw.P_CLIENT_APPLICATION else ""
        handshake = framework.begin_handshake(
            domain_kind=str(kind),
            app_id=app_id,
            auth_type=auth_type,
            version=version,
            peer=peer.current(),
        )
        auth_ref = framework.open_authentication(handshake, client_auth)
        return fw.TpAuthDomain(fw.TpDomainID(FwID=FRAMEWORK_NAME.decode()), auth_ref)
