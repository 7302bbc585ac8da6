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
from framework.core.errors import AccessDenied, NoCallbackAddressSet, ResourcesUnavailable
from framework.core.states import Agreement, AgreementEvent
from framework.core.store import AgreementRecord
from framework.logs import log
from telemetry.calls import observed

if TYPE_CHECKING:
    from framework.corba.framework import AccessHandle, Framework


@servant_of(sa.IpServiceAgreementManagement)
@observed
class IpServiceAgreementManagementServant(sa_POA.IpServiceAgreementManagement):
    def __init__(self, framework: Framework, handle: AccessHandle) -> None:
        self.framework = framework
        self.handle = handle

    @property
    def app(self) -> Any:
        return self.handle.session.app

    def selectService(self, serviceID: str) -> str:
        self.handle.session.use()
        token, offer = self.framework.desk.select(self.app, serviceID, self.framework.clock())
        with self.handle.session.lock:
            if token not in self.handle.steps:
                self.handle.steps[token] = AgreementSteps(token, offer)
        return token

    def initiateSignServiceAgreement(self, serviceToken: str) -> None:
        session = self.handle.session
        session.use()
        offer = self.framework.desk.resolve(self.app, serviceToken)
        algorithm = session.algorithm_for_signing()
        callback = self.handle.sam_callback
        if callback is None:
            raise NoCallbackAddressSet(
                "obtain P_SERVICE_AGREEMENT_MANAGEMENT with obtainInterfaceWithCallback"
            )
        with session.lock:
            steps = self.handle.steps.setdefault(serviceToken, AgreementSteps(serviceToken, offer))
            terms = self.framework.desk.draft(self.app, steps, algorithm, self.framework.clock())
        self.framework.callbacks.submit(
            "signServiceAgreement", self._ask_to_sign, steps, terms.text(), algorithm, callback
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
        with self.handle.session.lock:
            signed = self.framework.desk.app_answered(self.app, steps, signature, refusal)
        log(
            logging.INFO if signed else logging.WARNING,
            "application signature checked",
            app_id=self.app.app_id,
            service_id=steps.offer.service_id,
            accepted=signed,
        )

    def signServiceAgreement(
        self,
        serviceToken: str,
        agreementText: str,
        signingAlgorithm: str,
    ) -> Any:
        session = self.handle.session
        session.use()
        self.framework.desk.resolve(self.app, serviceToken)
        steps = self.handle.steps.get(serviceToken)
        if steps is None:
            raise AccessDenied("call initiateSignServiceAgreement first")
        if steps.state == Agreement.SELECTED:
            stored = self.framework.store.in_force_signed(
                self.app.app_id,
                serviceToken,
                agreementText,
                signingAlgorithm,
                self.framework.clock(),
            )
            if stored is not None:
                return self._reattach(steps, stored)
        if steps.state == Agreement.SIGNING_BY_APP:
            steps.settled.wait(self.framework.settings.callback_timeout_ms / 1000 + 1)
        with session.lock:
            self.framework.desk.check_countersign(steps, agreementText, signingAlgorithm)
            record = self.framework.desk.countersign(steps)
            lease = self.handle.lease.child(f"agreement {record.agreement_id}")
            try:
                manager = self.framework.registry.issue(
                    record.app_id, record.service_id, record.agreement_id, record.token, lease
                )
            except Exception:
                lease.revoke()
                raise
            if manager is None:
                lease.revoke()
                raise ResourcesUnavailable("the service was withdrawn")
            previous = steps.in_force_id
            self.framework.store.add_agreement(record, supersedes=previous)
            if previous is not None:
                old = self.handle.agreement_leases.pop(previous, None)
                if old is not None:
                    old.revoke()
            self.handle.agreement_leases[record.agreement_id] = lease
            lease.on_revoke(lambda: self.handle.agreement_leases.pop(record.agreement_id, None))
            steps.in_force_id = record.agreement_id
            steps.move(AgreementEvent.COUNTERSIGN)
        log(
            logging.INFO,
            "service agreement signed",
            app_id=record.app_id,
            service_id=record.service_id,
            agreement_id=record.agreement_id,
        )
        return fw.TpSignatureAndServiceMgr(refs.octets(record.fw_signature), manager)

    def _reattach(self, steps: AgreementSteps, record: AgreementRecord) -> Any:
        """The manager of an agreement in force signed elsewhere, held by this session, once
        the application signed a fresh nonce with its registered key."""
        session = self.handle.session
        session.algorithm_for_signing()  # terminations need the session's algorithm
        callback = self.handle.sam_callback
        if callback is None:
            raise NoCallbackAddressSet(
                "re-attaching asks the application to sign: obtain "
                "P_SERVICE_AGREEMENT_MANAGEMENT with obtainInterfaceWithCallback"
            )
        text = self.framework.desk.reattach_challenge(record, self.framework.clock())
        signature = self._signature_of(callback, record, text)
        self.framework.desk.check_reattach(self.app, record, text, signature)
        with session.lock:
            if not steps.can(AgreementEvent.REATTACH):
                raise AccessDenied("call initiateSignServiceAgreement first")
            lease = self.handle.lease.child(f"agreement {record.agreement_id}")
            try:
                manager = self.framework.registry.issue(
                    record.app_id, record.service_id, record.agreement_id, record.token, lease
                )
            except Exception:
                lease.revoke()
                raise
            if manager is None:
                lease.revoke()
                raise ResourcesUnavailable("the service was withdrawn")
            self.handle.agreement_leases[record.agreement_id] = lease
            lease.on_revoke(lambda: self.handle.agreement_leases.pop(record.agreement_id, None))
            steps.in_force_id = record.agreement_id
            steps.move(AgreementEvent.REATTACH)
        log(
            logging.INFO,
            "service agreement re-attached",
            app_id=record.app_id,
            service_id=record.service_id,
            agreement_id=record.agreement_id,
        )
        return fw.TpSignatureAndServiceMgr(refs.octets(record.fw_signature), manager)

    def _signature_of(self, callback: Any, record: AgreementRecord, text: str) -> bytes | None:
        """The application's signature of ``text`` (its signServiceAgreement, called from the
        callback pool and awaited at most ``callback_timeout_ms``); None if it gave none."""
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
            future.result(self.framework.settings.callback_timeout_ms / 1000 + 1)
        except TimeoutError:
            return None
        return got[0] if got else None

    def terminateServiceAgreement(
        self,
        serviceToken: str,
        terminationText: str,
        digitalSignature: Any,
    ) -> None:
        session = self.handle.session
        session.use()
        self.framework.desk.owned(self.app, serviceToken)
        signature = refs.from_octets(digitalSignature)
        self.framework.desk.check_termination(
            self.app, session.signing_algorithm, serviceToken, terminationText, signature
        )
        self.framework.terminate_token(
            self.app.app_id,
            serviceToken,
            terminationText,
            signature,
            "terminated by the application",
        )
