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


def chap_challenge() -> tuple[int, bytes, bytes]:
    """(identifier, value, packet) of a fresh RFC 1994 Challenge."""
    identifier = secrets.randbelow(256)
    value = secrets.token_bytes(32)
    return (
        identifier,
        value,
        struct.pack(">BBHB", 1, identifier, 5 + len(value), len(value)) + value,
    )


def chap_digest(mechanism: str, identifier: int, secret: bytes, value: bytes) -> bytes:
    if mechanism == "P_OSA_MD5":
        return hashlib.md5(bytes([identifier]) + secret + value, usedforsecurity=False).digest()
    if mechanism == "P_OSA_HMAC_SHA256":
        return hmac.new(secret, bytes([identifier]) + value, hashlib.sha256).digest()
    raise ValueError(f"unsupported mechanism {mechanism}")


def chap_answer(mechanism: str, packet: bytes, secret: bytes, name: bytes) -> bytes:
    """The Response packet to a Challenge packet; ValueError when it is not one."""
    if len(packet) < 5 or packet[0] != 1:
        raise ValueError("not a CHAP challenge")
    identifier, length, size = packet[1], struct.unpack_from(">H", packet, 2)[0], packet[4]
    if length > len(packet) or size == 0 or 5 + size > length:
        raise ValueError("malformed CHAP challenge")
    value = chap_digest(mechanism, identifier, secret, packet[5 : 5 + size])
    return (
        struct.pack(">BBHB", 2, identifier, 5 + len(value) + len(name), len(value)) + value + name
    )


def chap_check(
    mechanism: str, identifier: int, value: bytes, response: bytes, secret: bytes
) -> bool:
    """True when ``response`` answers our Challenge (identifier, value) with ``secret``."""
    if len(response) < 5 or response[0] != 2 or response[1] != identifier:
        return False
    length, size = struct.unpack_from(">H", response, 2)[0], response[4]
    if length > len(response) or 5 + size > length:
        return False
    expected = chap_digest(mechanism, identifier, secret, value)
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
