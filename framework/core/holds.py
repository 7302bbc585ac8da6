"""What the one lifecycle (``lifecycle.Lifecycle``) hands a surface: a handshake, an access
session and an agreement held in force, each under a ``lease.Lease``.

A surface keeps its own carrier beside each (an object reference, a bearer token) and hangs it
on the lease: when the lifecycle revokes the lease -- whichever surface, sweep or operator ended
it -- the carrier dies with it. These are plain records; only the lifecycle changes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from framework.core.access import AccessSession
from framework.core.agreements import AgreementSteps
from framework.core.authentication import AuthSession
from framework.core.lease import Lease
from framework.core.store import AgreementRecord, Application


@dataclass(eq=False)
class Handshake:
    """One authentication handshake (the ``auth`` machine) of one surface."""

    session: AuthSession
    surface: str
    lease: Lease  # revoked when the handshake aborts or expires, or its access session ends
    expires: datetime  # an unfinished handshake is aborted then (auth_session_ttl_s)

    @property
    def app(self) -> Application:
        return self.session.app


@dataclass(eq=False)
class Access:
    """One access session (the ``access`` machine), its agreements in progress and in force.

    ``tell_ended(reason)``: how the surface tells its client that the framework ended the
    session (CORBA: IpClientAccess.terminateAccess, signed); None when it cannot.
    ``probe()``: how the surface starts asking whether an idle client is still there (it calls
    ``Lifecycle.client_gone`` or ``session.heard``); None when it cannot.
    """

    session: AccessSession
    surface: str
    lease: Lease
    expires: datetime | None = None  # e.g. a bearer token's lifetime; None: until ended
    tell_ended: Callable[[str], object] | None = None
    probe: Callable[[], object] | None = None
    steps: dict[str, AgreementSteps] = field(default_factory=dict)  # by service token
    agreements: dict[str, Hold] = field(default_factory=dict)  # in force here, by agreement id
    probing: bool = False

    @property
    def app(self) -> Application:
        return self.session.app

    @property
    def alive(self) -> bool:
        return self.lease.alive and not self.session.ended


@dataclass(eq=False)
class Hold:
    """An agreement in force held by this process: signed or re-attached in ``access``, or
    held without one (``access`` None: a token another gateway issued)."""

    record: AgreementRecord
    surface: str
    lease: Lease
    access: Access | None = None

    @property
    def agreement_id(self) -> str:
        return self.record.agreement_id
