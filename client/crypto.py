"""The application side of CHAP and signing (DESIGN §5), independent of the framework's code.

The client library is what third parties run, so it depends on the generated stubs and the
``cryptography`` package only; the tests check it against the framework's implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

MECHANISMS = ("P_OSA_HMAC_SHA256", "P_OSA_MD5")
FRAMEWORK_CHALLENGES = 1  # the direction octet when the framework challenges us
APPLICATION_CHALLENGES = 2  # ... when we challenge the framework
DEFAULT_FRAMEWORK_ID = b"micropay"


def _field(data: bytes) -> bytes:
    return struct.pack(">H", len(data)) + data


def chap_challenge() -> tuple[int, bytes, bytes]:
    """(identifier, value, packet) of a fresh RFC 1994 Challenge."""
    identifier = secrets.randbelow(256)
    value = secrets.token_bytes(32)
    return (
        identifier,
        value,
        struct.pack(">BBHB", 1, identifier, 5 + len(value), len(value)) + value,
    )


def chap_digest(
    mechanism: str,
    identifier: int,
    secret: bytes,
    value: bytes,
    direction: int,
    framework_id: bytes,
    app_id: bytes,
) -> bytes:
    """P_OSA_MD5 is RFC 1994's; P_OSA_HMAC_SHA256 binds who challenges whom and both ids, so
    an answer the framework gave to our challenge never passes as ours to its challenge."""
    if mechanism == "P_OSA_MD5":
        return hashlib.md5(bytes([identifier]) + secret + value, usedforsecurity=False).digest()
    if mechanism == "P_OSA_HMAC_SHA256":
        label = b"P_OSA_HMAC_SHA256" + bytes([direction]) + _field(framework_id) + _field(app_id)
        return hmac.new(secret, label + bytes([identifier]) + value, hashlib.sha256).digest()
    raise ValueError(f"unsupported mechanism {mechanism}")


def chap_answer(
    mechanism: str,
    packet: bytes,
    secret: bytes,
    name: bytes,
    app_id: bytes,
    framework_id: bytes = DEFAULT_FRAMEWORK_ID,
) -> bytes:
    """Our Response packet to the framework's Challenge packet; ValueError when it is not one."""
    if len(packet) < 5 or packet[0] != 1:
        raise ValueError("not a CHAP challenge")
    identifier, length, size = packet[1], struct.unpack_from(">H", packet, 2)[0], packet[4]
    if length > len(packet) or size == 0 or 5 + size > length:
        raise ValueError("malformed CHAP challenge")
    value = chap_digest(
        mechanism,
        identifier,
        secret,
        packet[5 : 5 + size],
        FRAMEWORK_CHALLENGES,
        framework_id,
        app_id,
    )
    return (
        struct.pack(">BBHB", 2, identifier, 5 + len(value) + len(name), len(value)) + value + name
    )


def chap_check(
    mechanism: str,
    identifier: int,
    value: bytes,
    response: bytes,
    secret: bytes,
    app_id: bytes,
    framework_id: bytes = DEFAULT_FRAMEWORK_ID,
) -> bool:
    """True when ``response`` is the framework's answer to our Challenge (identifier, value)."""
    if len(response) < 5 or response[0] != 2 or response[1] != identifier:
        return False
    length, size = struct.unpack_from(">H", response, 2)[0], response[4]
    if length > len(response) or 5 + size > length:
        return False
    expected = chap_digest(
        mechanism, identifier, secret, value, APPLICATION_CHALLENGES, framework_id, app_id
    )
    return hmac.compare_digest(response[5 : 5 + size], expected)


def is_private_key(value: object) -> bool:
    return isinstance(value, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey)


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("only RSA and Ed25519 keys are supported")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey | ed25519.Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("only RSA and Ed25519 keys are supported")
    return key


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return hashes.MD5() if algorithm.startswith("P_MD5_") else hashes.SHA256()


def sign(algorithm: str, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, text: str) -> bytes:
    data = text.encode("utf-8")
    if algorithm == "P_ED25519":
        assert isinstance(key, ed25519.Ed25519PrivateKey), "P_ED25519 needs an Ed25519 key"
        return key.sign(data)
    assert isinstance(key, rsa.RSAPrivateKey), f"{algorithm} needs an RSA key"
    return key.sign(data, padding.PKCS1v15(), _hash(algorithm))


def verify(
    algorithm: str, key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey, text: str, signature: bytes
) -> bool:
    data = text.encode("utf-8")
    try:
        if algorithm == "P_ED25519":
            if not isinstance(key, ed25519.Ed25519PublicKey):
                return False
            key.verify(signature, data)
        else:
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            key.verify(signature, data, padding.PKCS1v15(), _hash(algorithm))
    except Exception:
        return False
    return True


def termination_text(app_id: str, terminates: str, reason: str = "") -> str:
    """A text the framework accepts for a signed termination: it names the application, what
    it terminates (``access``, ``service token T``, ``interface NAME``) and a fresh nonce."""
    lines = [
        f"application: {app_id}",
        f"terminates: {terminates}",
        f"nonce: {secrets.token_hex(16)}",
    ]
    return "\n".join([*lines, f"reason: {reason}"] if reason else lines)
