"""IpAccess: one application's access session (TS 29.198-3 §6.3.3) — all eight operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import org__POA.csapi.fw.fw_access.trust_and_security as ts_POA
from org.csapi.fw.fw_access import trust_and_security as ts

from framework.corba import refs
from framework.corba.errors import servant_of
from framework.core import limits, termination
from framework.core.errors import InvalidProperty
from telemetry.calls import observed

if TYPE_CHECKING:
    from framework.corba.framework import AccessHandle, Framework


@servant_of(ts.IpAccess)
@observed
class IpAccessServant(ts_POA.IpAccess):
    def __init__(self, framework: Framework, handle: AccessHandle) -> None:
        self.framework = framework
        self.handle = handle

    def obtainInterface(self, interfaceName: str) -> Any:
        return self.framework.obtain_interface(self.handle, interfaceName, None, False)

    def obtainInterfaceWithCallback(self, interfaceName: str, clientInterface: Any) -> Any:
        return self.framework.obtain_interface(self.handle, interfaceName, clientInterface, True)

    def listInterfaces(self) -> list[str]:
        self.handle.session.use()
        return list(self.framework.interface_names)

    def releaseInterface(self, interfaceName: str) -> None:
        """Deprecated in Rel-6 (relinquishInterface replaces it); kept for Parlay 4 clients."""
        self.handle.session.use()
        self.framework.release_interface(self.handle, interfaceName)

    def relinquishInterface(
        self,
        interfaceName: str,
        terminationText: str,
        digitalSignature: Any,
    ) -> None:
        self.framework.check_interface_name(interfaceName)
        self.handle.session.check_signature(
            terminationText,
            refs.from_octets(digitalSignature),
            limits.termination_text_bytes_max,
            termination.interface(interfaceName),
        )
        self.framework.release_interface(self.handle, interfaceName)

    def selectSigningAlgorithm(self, signingAlgorithmCaps: str) -> str:
        return self.handle.session.select_signing_algorithm(signingAlgorithmCaps)

    def terminateAccess(self, terminationText: str, digitalSignature: Any) -> None:
        self.framework.lifecycle.terminate_access(
            self.handle.access, terminationText, refs.from_octets(digitalSignature)
        )

    def endAccess(self, endAccessProperties: list) -> None:
        """Deprecated in Rel-6. No end-access property is defined here, so any is invalid."""
        self.handle.session.use()
        if endAccessProperties:
            raise InvalidProperty(f"unknown property {endAccessProperties[0].PropertyName}")
        self.framework.lifecycle.end_access(self.handle.access, "endAccess by the application")
