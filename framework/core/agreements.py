"""Service agreements without transport: select, draft, check the application's signature,
countersign and terminate (TS 29.198-3 §7.1.4; DESIGN §2).

:class:`AgreementDesk` holds what is shared (store, catalogue, framework keys, validity);
:class:`AgreementSteps` is one token's ``agreement`` machine inside one access session.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from framework.core import limits, signing, termination
from framework.core.agreement_text import DEFAULT_TERMS, AgreementTerms, reattach_text
from framework.core.errors import (
    AccessDenied,
    InvalidAgreementText,
    InvalidServiceId,
    InvalidServiceToken,
    InvalidSignature,
    InvalidSigningAlgorithm,
    ServiceAccessDenied,
    TaskRefused,
)
from framework.core.keys import FrameworkKeys
from framework.core.memory import Once
from framework.core.services import Catalog, ServiceOffer
from framework.core.states import Agreement, AgreementEvent, Machine, allowed, step
from framework.core.store import AgreementRecord, Application, FrameworkStore


@dataclass
class AgreementSteps:
    """One token in one access session: the ``agreement`` machine and the texts in play."""

    token: str
    offer: ServiceOffer
    state: str = Agreement.SELECTED
    terms: AgreementTerms | None = None
    algorithm: str | None = None
    app_signature: bytes | None = None
    refusal: str = ""
    in_force_id: str | None = None  # the agreement whose manager this session holds
    settled: threading.Event = field(default_factory=threading.Event)

    def move(self, event: str) -> None:
        self.state = step(Machine.AGREEMENT, self.state, event)

    def can(self, event: str) -> bool:
        return allowed(Machine.AGREEMENT, self.state, event)


class AgreementDesk:
    def __init__(
        self,
        store: FrameworkStore,
        catalog: Catalog,
        keys: FrameworkKeys,
        validity_days: int,
        used_signatures: Once,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.keys = keys
        self.validity = timedelta(days=validity_days)
        self._used_signatures = used_signatures

    def select(self, app: Application, service_id: str, now: datetime) -> tuple[str, ServiceOffer]:
        if not 0 < len(service_id) <= limits.identifier_chars_max:
            raise InvalidServiceId("malformed service id")
        offer = self.catalog.offer(service_id)
        if offer is None:
            raise InvalidServiceId("no such service")
        if offer.service_type not in app.service_types:
            raise ServiceAccessDenied("the application is not subscribed to this service")
        return self.store.service_token(app.app_id, service_id, now), offer

    def owned(self, app: Application, token: str) -> str:
        """The service id of one of the application's active tokens; others are invalid."""
        owner = None
        if 0 < len(token) <= limits.identifier_chars_max:
            owner = self.store.token_owner(token)
        if owner is None or owner[0] != app.app_id:
            raise InvalidServiceToken("unknown, terminated or foreign service token")
        return owner[1]

    def resolve(self, app: Application, token: str) -> ServiceOffer:
        """The service behind one of the application's active tokens, if still allowed."""
        offer = self.catalog.offer(self.owned(app, token))
        if offer is None or offer.service_type not in app.service_types:
            raise ServiceAccessDenied("the service is no longer available to this application")
        return offer

    def draft(
        self, app: Application, steps: AgreementSteps, algorithm: str, now: datetime
    ) -> AgreementTerms:
        """Start (or restart) signing: new agreement text, the application signs it first."""
        if not steps.can(AgreementEvent.INITIATE):
            if steps.state == Agreement.SIGNING_BY_APP:
                raise TaskRefused("the application is already being asked to sign")
            raise InvalidServiceToken("the agreement was terminated")
        steps.terms = AgreementTerms(
            agreement_id=secrets.token_hex(12),
            app_id=app.app_id,
            service_id=steps.offer.service_id,
            service_type=steps.offer.service_type,
            token=steps.token,
            terms=steps.offer.terms or DEFAULT_TERMS,
            valid_from=now,
            valid_until=now + self.validity,
        )
        steps.algorithm = algorithm
        steps.app_signature = None
        steps.refusal = ""
        steps.settled.clear()
        steps.move(AgreementEvent.INITIATE)
        return steps.terms

    def app_answered(
        self, app: Application, steps: AgreementSteps, signature: bytes | None, refusal: str
    ) -> bool:
        """Record the application's answer to our signServiceAgreement callback."""
        if steps.state != Agreement.SIGNING_BY_APP:
            return False  # terminated meanwhile
        assert steps.terms is not None and steps.algorithm is not None
        key = app.public_key()
        if signature is not None:
            if key is None:
                refusal = "the application has no registered public key"
            elif not signing.verify(steps.algorithm, key, steps.terms.text(), signature):
                refusal = "the application's signature does not verify"
        if signature is not None and not refusal:
            steps.app_signature = signature
            steps.move(AgreementEvent.APP_SIGNED)
        else:
            steps.refusal = refusal or "the application did not sign"
            steps.move(AgreementEvent.APP_REFUSED)
        steps.settled.set()
        return steps.state == Agreement.SIGNED_BY_APP

    def check_countersign(self, steps: AgreementSteps, text: str, algorithm: str) -> None:
        """The checks of IpServiceAgreementManagement.signServiceAgreement, in order."""
        if steps.state == Agreement.REFUSED:
            raise AccessDenied(f"the application did not sign: {steps.refusal}")
        if not steps.can(AgreementEvent.COUNTERSIGN):
            if steps.state == Agreement.SIGNING_BY_APP:
                raise TaskRefused("the application has not answered yet; retry")
            raise AccessDenied("call initiateSignServiceAgreement first")
        assert steps.terms is not None
        if algorithm != steps.algorithm:
            raise InvalidSigningAlgorithm(f"the session's algorithm is {steps.algorithm}")
        if text != steps.terms.text():
            raise InvalidAgreementText("the text differs from the one the application signed")

    def countersign(self, steps: AgreementSteps) -> AgreementRecord:
        """Sign the agreement as the framework; the caller stores it once the manager exists."""
        assert steps.terms is not None and steps.algorithm and steps.app_signature is not None
        terms = steps.terms
        return AgreementRecord(
            agreement_id=terms.agreement_id,
            token=steps.token,
            app_id=terms.app_id,
            service_id=terms.service_id,
            service_type=terms.service_type,
            agreement_text=terms.text(),
            signing_algorithm=steps.algorithm,
            app_signature=steps.app_signature,
            fw_signature=self.keys.sign(steps.algorithm, terms.text()),
            signed_at=terms.valid_from,
            valid_until=terms.valid_until,
        )

    def reattach_challenge(self, record: AgreementRecord, now: datetime) -> str:
        """A fresh text for the application to sign before it may re-attach ``record``."""
        return reattach_text(
            agreement_id=record.agreement_id,
            app_id=record.app_id,
            token=record.token,
            nonce=secrets.token_hex(16),
            moment=now,
        )

    def check_reattach(
        self, app: Application, record: AgreementRecord, text: str, signature: bytes | None
    ) -> None:
        """Only the holder of the registered key re-attaches: its signature of ``text``."""
        key = app.public_key()
        if (
            signature is None
            or key is None
            or not signing.verify(record.signing_algorithm, key, text, signature)
        ):
            raise AccessDenied("re-attaching needs the application's signature of a fresh nonce")

    def check_termination(
        self,
        app: Application,
        *,
        algorithm: str | None,
        token: str,
        text: str,
        signature: bytes,
    ) -> None:
        """terminateServiceAgreement's signature: over a text naming this token and a nonce,
        never used before on any gateway."""
        key = app.public_key()
        if algorithm is None or key is None:
            raise InvalidSignature("no signing algorithm was selected")
        if len(text.encode("utf-8")) > limits.termination_text_bytes_max:
            raise InvalidSignature("text too long")
        termination.check(text, app_id=app.app_id, terminates=termination.service_token(token))
        if not signing.verify(algorithm, key, text, signature):
            raise InvalidSignature("the signature does not verify")
        if not self._used_signatures.first_use(app.app_id, signature):
            raise InvalidSignature("the signature was already used")
