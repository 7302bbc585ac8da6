"""What the shim's bearer tokens stand for: the gRPC carriers of the framework's lifecycle.

- :class:`AccessGrant`: an access token, standing for one access session of the lifecycle
  (``framework.core.holds.Access``: its agreements in progress and in force live there);
- :class:`ServiceGrant`: a service access token, standing for one agreement in force.

Each is held under the lease the lifecycle holds the session or agreement under: revoking the
lease (whichever surface, sweep or operator ended it) is revoking the token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from framework.core.access import AccessSession
from framework.core.holds import Access
from framework.core.lease import Lease
from framework.core.store import Application
from shim import limits


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


@dataclass(eq=False)
class AccessGrant:
    """What an access token stands for: one access session of the lifecycle."""

    bearer: str
    access: Access

    @property
    def session(self) -> AccessSession:
        return self.access.session

    @property
    def app(self) -> Application:
        return self.access.app

    @property
    def lease(self) -> Lease:
        return self.access.lease

    @property
    def expires(self) -> datetime:
        assert self.access.expires is not None, "an access token always expires"
        return self.access.expires

    @property
    def alive(self) -> bool:
        return self.access.alive


@dataclass(frozen=True)
class Signed:
    """SignServiceAgreement's answer."""

    framework_signature: bytes
    grant: ServiceGrant


def new_bearer() -> str:
    """A fresh bearer token (or authentication id): ``token_bytes`` random bytes."""
    return secrets.token_urlsafe(limits.token_bytes)
