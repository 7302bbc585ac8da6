"""One diagram of the lifecycle per surface, generated from ONE table so they cannot differ.

Every surface goes through the same stages: authentication, an access session, an agreement,
SCF calls under it, and the end (termination, expiry, the sweep). Only the words differ -- what
the client calls and what the surface hands out: object references (CORBA), bearer tokens
(gRPC), an OAuth access token (CAMARA) -- so :data:`MOVES` has one row per move with each
surface's words, and :func:`mermaid` draws one surface (docs/framework.md shows all three,
docs/grpc-api.md and docs/camara.md their own; a test keeps them current). A new surface adds its
name to :data:`SURFACES` and its words to every row.

CORBA and gRPC carry ``lifecycle.py`` itself. The CAMARA surface shares its application
registry but not its sessions: OAuth's client-credentials grant has no handshake session, no
access session and no agreement to sign, so its words say which of its steps stands for each
stage, and where a stage has no counterpart.
"""

from __future__ import annotations

from dataclasses import dataclass

SURFACES = ("corba", "grpc", "camara")

START, END = "[*]", "[*]"
HANDSHAKE = "handshake"
ACCESS = "access_session"
IN_FORCE = "agreement_in_force"
ELSEWHERE = "signed_elsewhere"  # in force, signed in another session or on another gateway
REVOKED = "revoked"


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    words: dict[str, str]  # surface -> what its client calls, and what it hands out


MOVES: tuple[Move, ...] = (
    Move(
        START,
        HANDSHAKE,
        {
            "corba": "initiateAuthenticationWithVersion, gives an IpAPILevelAuthentication",
            "grpc": "InitiateAuthentication, gives an authentication_id",
            "camara": "POST /oauth2/token with a client assertion signed by the registered key "
            "(one request, no CHAP)",
        },
    ),
    Move(
        HANDSHAKE,
        END,
        {
            "corba": "abortAuthentication, a wrong answer, lock-out, auth_session_ttl_s",
            "grpc": "a wrong answer, lock-out, auth_session_ttl_s",
            "camara": "invalid_client (signature, audience, expiry, a jti used before, "
            "the app disabled), invalid_scope (not subscribed to payments)",
        },
    ),
    Move(
        HANDSHAKE,
        ACCESS,
        {
            "corba": "both proven, requestAccess, gives an IpAccess",
            "grpc": "CompleteAuthentication (both proven), gives an access_token",
            "camara": "the assertion verifies, gives an OAuth access_token "
            "(no access session, the token stands for it)",
        },
    ),
    Move(
        ACCESS,
        IN_FORCE,
        {
            "corba": "selectService, initiate, the app signs in a callback, "
            "signServiceAgreement, gives the SCF manager reference",
            "grpc": "SelectService, InitiateSignServiceAgreement, "
            "SignServiceAgreement with the app's signature, gives a service_access_token",
            "camara": "nothing to sign, the token's scopes "
            "(the app's P_PAYMENT subscription) stand for the agreement",
        },
    ),
    Move(
        ELSEWHERE,
        IN_FORCE,
        {
            "corba": "re-attach in an access session (a fresh signature), gives its manager",
            "grpc": "its service_access_token from another gateway, honoured here",
            "camara": "an access_token another gateway issued, honoured here",
        },
    ),
    Move(
        IN_FORCE,
        IN_FORCE,
        {
            "corba": "SCF calls on the manager reference (chargeAmount, getBalance, sendSms)",
            "grpc": "SCF calls with authorization Bearer service_access_token",
            "camara": "REST calls with Authorization Bearer access_token, scope by scope",
        },
    ),
    Move(
        IN_FORCE,
        IN_FORCE,
        {
            "corba": "signServiceAgreement again, supersedes (the old manager dies)",
            "grpc": "SignServiceAgreement again, supersedes (the old token dies)",
            "camara": "another token request, a second token (the first lives until it expires)",
        },
    ),
    Move(
        IN_FORCE,
        REVOKED,
        {
            "corba": "terminateServiceAgreement on any surface, expiry, CLI or other gateway "
            "(the one sweep finds these)",
            "grpc": "TerminateServiceAgreement on any surface, expiry, CLI or other gateway "
            "(the one sweep finds these)",
            "camara": "token_lifetime_s expiry (no agreement, so terminating one does not reach "
            "the token)",
        },
    ),
    Move(
        ACCESS,
        REVOKED,
        {
            "corba": "terminateAccess, endAccess, app disabled, session cap, dead client "
            "(its agreements end with it)",
            "grpc": "TerminateAccess, app disabled, session cap, access_token expiry "
            "(its agreements end with it)",
            "camara": "app disabled, every token of it on every gateway "
            "(the surface's own token sweep)",
        },
    ),
    Move(
        REVOKED,
        END,
        {
            "corba": "every reference under it answers OBJECT_NOT_EXIST at once",
            "grpc": "every token under it answers UNAUTHENTICATED at once",
            "camara": "every request with the token answers 401 UNAUTHENTICATED",
        },
    ),
)


def mermaid(surface: str) -> str:
    """A Mermaid state diagram of the lifecycle in ``surface``'s words."""
    lines = ["stateDiagram-v2"]
    for move in MOVES:
        lines.append(f"    {move.source} --> {move.target}: {move.words[surface]}")
    return "\n".join(lines)
