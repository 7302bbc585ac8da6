"""IpServiceAgreementManagement: select, sign (both ways) and terminate service agreements.

Flow (TS 29.198-3 §7.1.4, DESIGN §2): selectService → token; initiateSignServiceAgreement returns
at once and the framework then calls the application's signServiceAgreement from the callback
pool, verifying the returned signature with the application's registered key; the
application's own signServiceAgreement waits (at most ``callback_timeout_ms``) for that verdict,
countersigns, stores both signatures and returns the SCF manager bound to the new agreement.

Re-attaching: an agreement in force is honoured by every gateway on the database. In any access
session of the same application, ``signServiceAgreement`` called after ``selectService`` but
without ``initiateSignServiceAgreement``, with the text and algorithm of an agreement in force
under that token, makes the framework call the application's ``signServiceAgreement`` with a
re-attach text holding a fresh nonce; only a signature of that text with the registered key
returns the stored framework signature and a manager of this gateway bound to that agreement
(no new agreement is written). Knowing the secret and the stored texts is not enough.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import org.csapi.fw as fw
import org__POA.csapi.fw.fw_application.service_agreement as sa_POA
from omniORB import CORBA
from org.csapi.fw.fw_application import service_agreement as sa

from framework.corba import refs
from framework.corba.errors import servant_of
from framework.core.agreements import AgreementSteps
from framework.core.errors import NoCallbackAddressSet, ResourcesUnavailable
from framework.core.lease import Lease
from framework.core.store import AgreementRecord
from framework.logs import log
from telemetry.calls import observed

if TYPE_CHECKING:
    from framework.corba.framework import AccessHandle, Framework


@servant_of(sa.IpServiceAgreementManagement)
@observed
class IpServiceAgreementManagementServant(sa_POA.IpServiceAgreementManagement):
    """The agreement steps of the lifecycle (``framework.core.lifecycle``) as CORBA carries
    them: the application signs in a callback, the manager reference is the hand-out."""

    def __init__(self, framework: Framework, handle: AccessHandle) -> None:
        self.framework = framework
        self.lifecycle = framework.lifecycle
        self.handle = handle

    @property
    def app(self) -> Any:
        return self.handle.session.app

    def selectService(self, serviceID: str) -> str:
        return self.lifecycle.select_service(self.handle.access, serviceID)

    def initiateSignServiceAgreement(self, serviceToken: str) -> None:
        callback = self.handle.sam_callback

        def callback_set() -> None:
            if callback is None:
                raise NoCallbackAddressSet(
                    "obtain P_SERVICE_AGREEMENT_MANAGEMENT with obtainInterfaceWithCallback"
                )

        draft = self.lifecycle.initiate_agreement(
            self.handle.access, serviceToken, surface_ready=callback_set
        )
        self.framework.callbacks.submit(
            "signServiceAgreement",
            self._ask_to_sign,
            draft.steps,
            draft.text,
            draft.algorithm,
            callback,
        )

    def _ask_to_sign(self, steps: AgreementSteps, text: str, algorithm: str, callback: Any) -> None:
        signature: bytes | None = None
        refusal = ""
        try:
            signature = refs.from_octets(
                callback.signServiceAgreement(steps.token, text, algorithm)
            )
        except CORBA.UserException as exc:
            refusal = f"the application raised {type(exc).__name__}"
        except CORBA.SystemException as exc:
            refusal = f"the application did not answer ({type(exc).__name__})"
        self.lifecycle.app_answered(self.handle.access, steps, signature, refusal)

    def signServiceAgreement(
        self,
        serviceToken: str,
        agreementText: str,
        signingAlgorithm: str,
    ) -> Any:
        record, manager = self.lifecycle.sign_agreement(
            self.handle.access,
            serviceToken,
            text=agreementText,
            algorithm=signingAlgorithm,
            issue=self._issue,
            ask_to_reattach=self._ask_to_reattach,
        )
        return fw.TpSignatureAndServiceMgr(refs.octets(record.fw_signature), manager)

    def _issue(self, record: AgreementRecord, lease: Lease) -> Any:
        """The SCF manager of an agreement: a reference that dies with ``lease``."""
        manager = self.framework.registry.issue(
            record.app_id, record.service_id, record.agreement_id, record.token, lease
        )
        if manager is None:
            raise ResourcesUnavailable("the service was withdrawn")
        return manager

    def _ask_to_reattach(self, record: AgreementRecord, text: str) -> bytes | None:
        """The application's signature of a re-attach ``text`` (its signServiceAgreement, called
        from the callback pool and awaited at most ``callback_timeout_ms``); None if none."""
        callback = self.handle.sam_callback
        if callback is None:
            raise NoCallbackAddressSet(
                "re-attaching asks the application to sign: obtain "
                "P_SERVICE_AGREEMENT_MANAGEMENT with obtainInterfaceWithCallback"
            )
        got: list[bytes] = []

        def ask() -> None:
            try:
                got.append(
                    refs.from_octets(
                        callback.signServiceAgreement(record.token, text, record.signing_algorithm)
                    )
                )
            except CORBA.Exception as exc:
                log(logging.INFO, "no re-attach signature", error=type(exc).__name__)

        future = self.framework.callbacks.submit("signServiceAgreement", ask)
        if future is None:
            raise ResourcesUnavailable("the gateway is stopping")
        try:
            future.result(self.framework.settings.answer_wait_s)
        except TimeoutError:
            return None
        return got[0] if got else None

    def terminateServiceAgreement(
        self,
        serviceToken: str,
        terminationText: str,
        digitalSignature: Any,
    ) -> None:
        self.lifecycle.terminate_agreement(
            self.handle.access, serviceToken, terminationText, refs.from_octets(digitalSignature)
        )
