"""The service agreement text the framework asks an application to sign, and termination texts.

The text is plain, line-oriented UTF-8 so a person can read what was signed (the agreement
names the application, the service, the token, the terms and the validity) and so both
signatures, kept with it, prove who agreed to what and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

HEADER = "micropay service agreement (3GPP TS 29.198-3 service level agreement)"
DEFAULT_TERMS = (
    "The application may use the service named above only through the service manager handed "
    "out for this agreement, within its registered subscription, until the agreement ends, is "
    "terminated by either party, or its validity passes, whichever comes first."
)


@dataclass(frozen=True)
class AgreementTerms:
    agreement_id: str
    app_id: str
    service_id: str
    service_type: str
    token: str
    terms: str
    valid_from: datetime
    valid_until: datetime

    def text(self) -> str:
        return "\n".join(
            [
                HEADER,
                f"agreement: {self.agreement_id}",
                f"application: {self.app_id}",
                f"service: {self.service_id}",
                f"service type: {self.service_type}",
                f"service token: {self.token}",
                f"terms: {self.terms}",
                f"valid from: {_stamp(self.valid_from)}",
                f"valid until: {_stamp(self.valid_until)}",
            ]
        )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def framework_termination_text(app_id: str, reason: str, moment: datetime) -> str:
    """What the framework signs when it ends an application's access (IpClientAccess)."""
    return f"micropay framework ends the access of {app_id} at {_stamp(moment)}: {reason}"


REATTACH_HEADER = "micropay re-attach (3GPP TS 29.198-3 service level agreement)"


def reattach_text(
    *, agreement_id: str, app_id: str, token: str, nonce: str, moment: datetime
) -> str:
    """What an application signs, with its registered key, to take up an agreement in force
    in a new access session: the agreement, the application, the token and a fresh nonce of
    the framework, so neither a stored signature nor one made for another session will do."""
    return "\n".join(
        [
            REATTACH_HEADER,
            f"agreement: {agreement_id}",
            f"application: {app_id}",
            f"service token: {token}",
            f"nonce: {nonce}",
            f"at: {_stamp(moment)}",
        ]
    )
