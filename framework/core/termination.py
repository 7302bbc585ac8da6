"""What a signed termination text must say, so a signature ends only what it was made for.

Applications sign terminateAccess, terminateServiceAgreement and relinquishInterface texts with
their registered key. A signature over any other text the application once signed (an
agreement text, another termination) must not end anything, and a used one must not end
anything again on any gateway. So the text names the application, what it terminates and a
fresh nonce, one ``key: value`` per line (other lines, e.g. ``reason: ...``, are free):

    application: shop-1
    terminates: service token 9Xa...      (or: access / interface P_DISCOVERY)
    nonce: 5f0c3a9e81d24b67

The nonce (at least ``NONCE_CHARS_MIN`` characters, chosen by the application) makes each
text, and so each signature, unique: a deterministic signature scheme (Ed25519, PKCS#1 v1.5)
would otherwise sign two terminations of the same words identically, and the second would be
refused as a replay. Replays are refused by ``trust.TrustRecords.first_use`` on every gateway.
"""

from __future__ import annotations

from framework.core.errors import InvalidSignature

NONCE_CHARS_MIN = 16
ACCESS = "access"


def service_token(token: str) -> str:
    return f"service token {token}"


def interface(name: str) -> str:
    return f"interface {name}"


def fields(text: str) -> dict[str, str]:
    """The ``key: value`` lines of a text (the first of each key counts)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            found.setdefault(key.strip().lower(), value.strip())
    return found


def check(text: str, *, app_id: str, terminates: str) -> None:
    """Refuse (P_INVALID_SIGNATURE) a text that does not bind its signature to this act."""
    found = fields(text)
    if found.get("application") != app_id:
        raise InvalidSignature(f"the termination text must name the application ({app_id})")
    if found.get("terminates") != terminates:
        raise InvalidSignature(f"the termination text must say what it terminates ({terminates})")
    if len(found.get("nonce", "")) < NONCE_CHARS_MIN:
        raise InvalidSignature(
            f"the termination text needs a nonce of {NONCE_CHARS_MIN}+ characters"
        )
