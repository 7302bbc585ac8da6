"""The application side of CHAP and agreement signing, written from DESIGN §5 alone.

The harness must face any implementation, so it carries its own copy of the mechanisms rather
than the gateway's or the client library's: RFC 1994 packets (code, identifier, 2-byte big-endian
length, value-size, value, name); ``P_OSA_HMAC_SHA256`` value = HMAC-SHA256(key = secret,
"P_OSA_HMAC_SHA256" || direction || len16 || framework id || len16 || application id ||
identifier || challenge value), direction 1 when the framework challenges, 2 when we do;
``P_OSA_MD5`` value = MD5(identifier || secret || challenge value). Signatures are over the UTF-8 bytes of the text: ``P_SHA256_RSA_2048`` (PKCS#1 v1.5,
SHA-256), ``P_MD5_RSA_512/1024`` (PKCS#1 v1.5, MD5) and ``P_ED25519``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

CHALLENGE_BYTES = 32
FRAMEWORK_CHALLENGES, APPLICATION_CHALLENGES = 1, 2
Parties = tuple[bytes, bytes]  # (framework id, application id)


def challenge_packet(
    identifier: int | None = None, value: bytes | None = None
) -> tuple[int, bytes, bytes]:
    """(identifier, value, packet) of a fresh CHAP Challenge (code 1)."""
    identifier = secrets.randbelow(256) if identifier is None else identifier
    value = secrets.token_bytes(CHALLENGE_BYTES) if value is None else value
    packet = struct.pack(">BBHB", 1, identifier, 5 + len(value), len(value)) + value
    return identifier, value, packet


def digest(
    mechanism: str, identifier: int, secret: bytes, value: bytes, direction: int, parties: Parties
) -> bytes:
    if mechanism == "P_OSA_HMAC_SHA256":
        label = b"P_OSA_HMAC_SHA256" + bytes([direction])
        for name in parties:
            label += struct.pack(">H", len(name)) + name
        return hmac.new(secret, label + bytes([identifier]) + value, hashlib.sha256).digest()
    if mechanism == "P_OSA_MD5":
        return hashlib.md5(bytes([identifier]) + secret + value, usedforsecurity=False).digest()
    raise ValueError(f"the harness does not know the mechanism {mechanism!r}")


def parse_challenge(packet: bytes) -> tuple[int, bytes]:
    """(identifier, value) of a CHAP Challenge packet; ValueError when it is not one."""
    if len(packet) < 5 or packet[0] != 1:
        raise ValueError("not a CHAP Challenge packet (code 1)")
    identifier, length, size = packet[1], struct.unpack_from(">H", packet, 2)[0], packet[4]
    if length > len(packet) or size == 0 or 5 + size > length:
        raise ValueError("malformed CHAP Challenge packet (length or value-size)")
    return identifier, packet[5 : 5 + size]


def response_packet(
    mechanism: str, packet: bytes, secret: bytes, parties: Parties, name: bytes = b"interop"
) -> bytes:
    """Our CHAP Response (code 2) to the framework's Challenge."""
    identifier, value = parse_challenge(packet)
    answer = digest(mechanism, identifier, secret, value, FRAMEWORK_CHALLENGES, parties)
    header = struct.pack(">BBHB", 2, identifier, 5 + len(answer) + len(name), len(answer))
    return header + answer + name


def check_response(
    mechanism: str, identifier: int, value: bytes, response: bytes, secret: bytes, parties: Parties
) -> str:
    """ "" when ``response`` is the right answer to our Challenge, else what is wrong with it."""
    if len(response) < 5 or response[0] != 2:
        return "not a CHAP Response packet (code 2)"
    if response[1] != identifier:
        return f"identifier {response[1]} does not echo the challenge's {identifier}"
    length, size = struct.unpack_from(">H", response, 2)[0], response[4]
    if length > len(response) or 5 + size > length:
        return "malformed CHAP Response packet (length or value-size)"
    if not hmac.compare_digest(
        response[5 : 5 + size],
        digest(mechanism, identifier, secret, value, APPLICATION_CHALLENGES, parties),
    ):
        return "the value is not the expected digest of the shared secret"
    return ""


def termination_text(app_id: str, terminates: str, note: str = "") -> str:
    """A signed termination's text as the framework binds it: the application, what it
    terminates ("access", "service token T", "interface NAME") and a fresh nonce."""
    lines = [
        f"application: {app_id}",
        f"terminates: {terminates}",
        f"nonce: {secrets.token_hex(16)}",
    ]
    return "\n".join([*lines, f"reason: {note}"] if note else lines)


# -- signatures ----------------------------------------------------------------------------------
def load_private_key(pem: bytes) -> Any:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError("the private key must be RSA or Ed25519")
    return key


def load_public_key(pem: bytes) -> Any:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("the framework's public key must be RSA or Ed25519")
    return key


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return hashes.MD5() if algorithm.startswith("P_MD5_") else hashes.SHA256()


def sign(algorithm: str, key: Any, text: str) -> bytes:
    data = text.encode("utf-8")
    if algorithm == "P_ED25519":
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise ValueError("P_ED25519 needs an Ed25519 private key")
        return key.sign(data)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{algorithm} needs an RSA private key")
    return key.sign(data, padding.PKCS1v15(), _hash(algorithm))


def verify(algorithm: str, key: Any, text: str, signature: bytes) -> bool:
    data = text.encode("utf-8")
    try:
        if algorithm == "P_ED25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
            return True
        if algorithm != "P_ED25519" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), _hash(algorithm))
            return True
    except Exception:
        return False
    return False


def keys_for(algorithm: str, keys: list[Any]) -> list[Any]:
    """The public keys among ``keys`` that can verify ``algorithm``'s signatures."""
    if algorithm == "P_ED25519":
        return [k for k in keys if isinstance(k, ed25519.Ed25519PublicKey)]
    return [k for k in keys if isinstance(k, rsa.RSAPublicKey)]


def algorithms_for(key: Any) -> str:
    """The signing algorithms a private key can serve, in our order of preference."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "P_ED25519"
    return "P_SHA256_RSA_2048" if key.key_size >= 2048 else "P_MD5_RSA_1024,P_MD5_RSA_512"
