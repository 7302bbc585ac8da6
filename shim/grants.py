"""What the shim's bearer tokens stand for, and what it needs of the gateway's framework.

- :class:`AccessGrant`: an access session (``CompleteAuthentication``'s access token), its
  agreements in progress and the service grants signed in it;
- :class:`ServiceGrant`: one signed agreement of one application (a service access token);
- :class:`FrameworkParts`: the framework's core objects the shim shares (``shim.access``).

Each grant is held under a ``framework.core.lease.Lease``: revoking the lease is revoking the
token, and revoking an access grant's lease revokes its service grants with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from framework.core.access import AccessSession
from framework.core.agreements import AgreementSteps
from framework.core.authentication import AuthSession
from framework.core.lease import Lease
from framework.core.store import Application
from shim import limits


class FrameworkParts(Protocol):
    """What the gateway's framework (``framework.corba.framework.Framework``) shares with the
    shim: its core objects and the one termination path."""

    authenticator: Any  # framework.core.authentication.Authenticator
    desk: Any  # framework.core.agreements.AgreementDesk
    store: Any  # framework.core.store.FrameworkStore
    registry: Any  # .catalog: framework.core.services.Catalog
    used_signatures: Any
    offered_algorithms: list[str]
    clock: Callable[[], datetime]

    def terminate_token(
        self, app_id: str, token: str, text: str, signature: bytes, reason: str
    ) -> None: ...


@dataclass
class PendingAuthentication:
    session: AuthSession
    expires: datetime


@dataclass
class ServiceGrant:
    """What a service access token stands for: one application, one signed agreement."""

    bearer: str
    app_id: str
    service_id: str
    service_type: str
    agreement_id: str
    service_token: str
    valid_until: datetime
    lease: Lease

    @property
    def alive(self) -> bool:
        return self.lease.alive


@dataclass
class AccessGrant:
    """One access session and what was agreed in it."""

    bearer: str
    session: AccessSession
    lease: Lease
    expires: datetime
    steps: dict[str, AgreementSteps] = field(default_factory=dict)
    agreements: dict[str, ServiceGrant] = field(default_factory=dict)  # by agreement id

    @property
    def app(self) -> Application:
        return self.session.app

    @property
    def alive(self) -> bool:
        return self.lease.alive


@dataclass(frozen=True)
class Signed:
    """SignServiceAgreement's answer."""

    framework_signature: bytes
    grant: ServiceGrant


def new_bearer() -> str:
    """A fresh bearer token (or authentication id): ``token_bytes`` random bytes."""
    return secrets.token_urlsafe(limits.token_bytes)
