"""One diagram of the lifecycle per surface, generated from ONE table so they cannot differ.

Every surface carries the same lifecycle (``lifecycle.py``): the same moves between the same
stages. Only the words differ -- what the client calls and what the surface hands out -- so
:data:`MOVES` has one row per move with each surface's words, and :func:`mermaid` draws one
surface (docs/framework.md shows CORBA's, docs/grpc-api.md gRPC's; a test keeps them current).
A new surface adds its name to :data:`SURFACES` and its words to every row.
"""

from __future__ import annotations

from dataclasses import dataclass

SURFACES = ("corba", "grpc")

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
        },
    ),
    Move(
        HANDSHAKE,
        END,
        {
            "corba": "abortAuthentication, a wrong answer, lock-out, auth_session_ttl_s",
            "grpc": "a wrong answer, lock-out, auth_session_ttl_s",
        },
    ),
    Move(
        HANDSHAKE,
        ACCESS,
        {
            "corba": "both proven, requestAccess, gives an IpAccess",
            "grpc": "CompleteAuthentication (both proven), gives an access_token",
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
        },
    ),
    Move(
        ELSEWHERE,
        IN_FORCE,
        {
            "corba": "re-attach in an access session (a fresh signature), gives its manager",
            "grpc": "its service_access_token from another gateway, honoured here",
        },
    ),
    Move(
        IN_FORCE,
        IN_FORCE,
        {
            "corba": "signServiceAgreement again, supersedes (the old manager dies)",
            "grpc": "SignServiceAgreement again, supersedes (the old token dies)",
        },
    ),
    Move(
        IN_FORCE,
        REVOKED,
        {
            "corba": "terminateServiceAgreement on any surface, expiry, CLI or other gateway",
            "grpc": "TerminateServiceAgreement on any surface, expiry, CLI or other gateway",
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
        },
    ),
    Move(
        REVOKED,
        END,
        {
            "corba": "every reference under it answers OBJECT_NOT_EXIST at once",
            "grpc": "every token under it answers UNAUTHENTICATED at once",
        },
    ),
)


def mermaid(surface: str) -> str:
    """A Mermaid state diagram of the lifecycle in ``surface``'s words."""
    lines = ["stateDiagram-v2"]
    for move in MOVES:
        lines.append(f"    {move.source} --> {move.target}: {move.words[surface]}")
    return "\n".join(lines)
