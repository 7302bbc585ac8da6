"""The framework's state machines as ONE transition table (DESIGN §6: read the legal moves here).

Three machines, one row per legal move ``(machine, state, event) -> next state``; any move not in
the table is illegal and the caller answers with the standard exception of the operation
(usually P_ACCESS_DENIED). ``mermaid()`` draws the table (docs/framework.md shows it).

- ``auth``: one IpAPILevelAuthentication session (TS 29.198-3 §6.4). Mutual: the client proves
  itself by answering the framework's challenge (RESPONSE_VALID) and accepts the framework by
  calling authenticationSucceeded (CLIENT_CONFIRMS), in either order; the framework answers the
  client's challenge only after RESPONSE_VALID; requestAccess is legal only once both happened.
- ``access``: one IpAccess session. Agreements and a signed terminateAccess need a signing
  algorithm, chosen by selectSigningAlgorithm.
- ``agreement``: one service token inside one access session: the framework asks the
  application to sign (INITIATE, a callback), then countersigns (COUNTERSIGN, signServiceAgreement)
  and hands out the SCF manager; or the application presents the text of an agreement already
  in force, signed in another session or on another gateway (REATTACH), and gets its manager.
"""

from __future__ import annotations

import enum


class Machine(enum.StrEnum):
    AUTH = "auth"
    ACCESS = "access"
    AGREEMENT = "agreement"


class Auth(enum.StrEnum):
    IDLE = "idle"  # created by IpInitial; selectAuthenticationMechanism comes next
    CHALLENGING = "challenging"  # mechanism chosen; both sides challenge each other
    CLIENT_PROVEN = "client_proven"  # the framework verified the client's CHAP response
    FRAMEWORK_PROVEN = "framework_proven"  # the client called authenticationSucceeded
    AUTHENTICATED = "authenticated"  # both of the above
    ACCESS_GRANTED = "access_granted"  # requestAccess returned an IpAccess (terminal)
    ABORTED = "aborted"  # abort, wrong response, lock-out, no answer or TTL (terminal)


class AuthEvent(enum.StrEnum):
    SELECT_MECHANISM = "selectAuthenticationMechanism"
    CLIENT_CHALLENGES = "challenge"  # the framework answers the client's challenge (once the
    # client is proven: before that the call waits for the verdict, or is refused)
    CLIENT_CONFIRMS = "authenticationSucceeded"  # the client accepts the framework
    RESPONSE_VALID = "response_valid"  # the client's answer to our challenge proved the secret
    RESPONSE_INVALID = "response_invalid"  # wrong, malformed, replayed or missing answer
    ABORT = "abortAuthentication"
    REQUEST_ACCESS = "requestAccess"
    EXPIRE = "expire"  # auth_session_ttl_s passed before access was granted


class Access(enum.StrEnum):
    OPEN = "open"  # granted; no signing algorithm selected yet
    SIGNING_SELECTED = "signing_selected"
    ENDED = "ended"  # terminal: every object of the session is revoked


class AccessEvent(enum.StrEnum):
    SELECT_SIGNING = "selectSigningAlgorithm"
    USE = "use"  # obtain/list/release interfaces, discovery, selectService
    SIGN = "sign"  # any step that needs the session's signing algorithm
    TERMINATE_SIGNED = "terminateAccess"  # signed by the client
    END = "end"  # endAccess, the framework's terminateAccess, disable, eviction, shutdown


class Agreement(enum.StrEnum):
    SELECTED = "selected"  # selectService returned the token
    SIGNING_BY_APP = "signing_by_app"  # our signServiceAgreement callback is in flight
    SIGNED_BY_APP = "signed_by_app"  # the application's signature verified
    REFUSED = "refused"  # refused, unanswered or badly signed by the application
    IN_FORCE = "in_force"  # countersigned; the SCF manager was handed out
    TERMINATED = "terminated"  # terminal


class AgreementEvent(enum.StrEnum):
    INITIATE = "initiateSignServiceAgreement"
    APP_SIGNED = "app_signed"
    APP_REFUSED = "app_refused"
    COUNTERSIGN = "signServiceAgreement"
    REATTACH = "reattach"  # signServiceAgreement with the text of an agreement in force
    TERMINATE = "terminateServiceAgreement"


_A, _C, _G = Machine.AUTH, Machine.ACCESS, Machine.AGREEMENT
_ABORTABLE = (
    Auth.IDLE,
    Auth.CHALLENGING,
    Auth.CLIENT_PROVEN,
    Auth.FRAMEWORK_PROVEN,
    Auth.AUTHENTICATED,
)

TRANSITIONS: dict[tuple[str, str, str], str] = {
    # -- auth ----------------------------------------------------------------------------------
    (_A, Auth.IDLE, AuthEvent.SELECT_MECHANISM): Auth.CHALLENGING,
    (_A, Auth.CHALLENGING, AuthEvent.RESPONSE_VALID): Auth.CLIENT_PROVEN,
    (_A, Auth.CHALLENGING, AuthEvent.CLIENT_CONFIRMS): Auth.FRAMEWORK_PROVEN,
    (_A, Auth.CHALLENGING, AuthEvent.RESPONSE_INVALID): Auth.ABORTED,
    (_A, Auth.CLIENT_PROVEN, AuthEvent.CLIENT_CHALLENGES): Auth.CLIENT_PROVEN,
    (_A, Auth.CLIENT_PROVEN, AuthEvent.CLIENT_CONFIRMS): Auth.AUTHENTICATED,
    (_A, Auth.FRAMEWORK_PROVEN, AuthEvent.RESPONSE_VALID): Auth.AUTHENTICATED,
    (_A, Auth.FRAMEWORK_PROVEN, AuthEvent.RESPONSE_INVALID): Auth.ABORTED,
    (_A, Auth.AUTHENTICATED, AuthEvent.CLIENT_CHALLENGES): Auth.AUTHENTICATED,
    (_A, Auth.AUTHENTICATED, AuthEvent.REQUEST_ACCESS): Auth.ACCESS_GRANTED,
    **{(_A, s, AuthEvent.ABORT): Auth.ABORTED for s in _ABORTABLE},
    **{(_A, s, AuthEvent.EXPIRE): Auth.ABORTED for s in _ABORTABLE},
    # -- access --------------------------------------------------------------------------------
    (_C, Access.OPEN, AccessEvent.SELECT_SIGNING): Access.SIGNING_SELECTED,
    (_C, Access.OPEN, AccessEvent.USE): Access.OPEN,
    (_C, Access.OPEN, AccessEvent.END): Access.ENDED,
    (_C, Access.SIGNING_SELECTED, AccessEvent.SELECT_SIGNING): Access.SIGNING_SELECTED,
    (_C, Access.SIGNING_SELECTED, AccessEvent.USE): Access.SIGNING_SELECTED,
    (_C, Access.SIGNING_SELECTED, AccessEvent.SIGN): Access.SIGNING_SELECTED,
    (_C, Access.SIGNING_SELECTED, AccessEvent.TERMINATE_SIGNED): Access.ENDED,
    (_C, Access.SIGNING_SELECTED, AccessEvent.END): Access.ENDED,
    # -- agreement -----------------------------------------------------------------------------
    (_G, Agreement.SELECTED, AgreementEvent.INITIATE): Agreement.SIGNING_BY_APP,
    (_G, Agreement.SIGNING_BY_APP, AgreementEvent.APP_SIGNED): Agreement.SIGNED_BY_APP,
    (_G, Agreement.SIGNING_BY_APP, AgreementEvent.APP_REFUSED): Agreement.REFUSED,
    (_G, Agreement.SIGNED_BY_APP, AgreementEvent.INITIATE): Agreement.SIGNING_BY_APP,
    (_G, Agreement.SIGNED_BY_APP, AgreementEvent.COUNTERSIGN): Agreement.IN_FORCE,
    (_G, Agreement.SELECTED, AgreementEvent.REATTACH): Agreement.IN_FORCE,
    (_G, Agreement.REFUSED, AgreementEvent.INITIATE): Agreement.SIGNING_BY_APP,
    (_G, Agreement.IN_FORCE, AgreementEvent.INITIATE): Agreement.SIGNING_BY_APP,
    **{
        (_G, s, AgreementEvent.TERMINATE): Agreement.TERMINATED
        for s in (
            Agreement.SELECTED,
            Agreement.SIGNING_BY_APP,
            Agreement.SIGNED_BY_APP,
            Agreement.REFUSED,
            Agreement.IN_FORCE,
        )
    },
}


class IllegalMove(Exception):
    """The event is not legal in the current state (the caller picks the standard exception)."""

    def __init__(self, machine: str, state: str, event: str) -> None:
        self.machine, self.state, self.event = machine, state, event
        super().__init__(f"{event} is not allowed in {machine} state {state}")


def step(machine: str, state: str, event: str) -> str:
    """The state after ``event``; raise :class:`IllegalMove` when the table has no such row."""
    try:
        return TRANSITIONS[(machine, state, event)]
    except KeyError:
        raise IllegalMove(machine, state, event) from None


def allowed(machine: str, state: str, event: str) -> bool:
    return (machine, state, event) in TRANSITIONS


def mermaid(machine: str) -> str:
    """A Mermaid state diagram of one machine, generated from the table."""
    lines = ["stateDiagram-v2"]
    for (m, state, event), target in TRANSITIONS.items():
        if m == machine:
            lines.append(f"    {state} --> {target}: {event}")
    return "\n".join(lines)
