"""Signing algorithms of IpAccess.selectSigningAlgorithm (DESIGN §5), over UTF-8 bytes of a text.

- ``P_MD5_RSA_512`` / ``P_MD5_RSA_1024``: RSASSA-PKCS1-v1_5 with MD5 and a key of exactly that
  size. Legacy interop only; off unless ``framework.signing_algorithms`` names them.
- ``P_SHA256_RSA_2048``: RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of 2048 bits or more (default).
- ``P_ED25519``: Ed25519.

An algorithm is acceptable for an application only when its registered public key fits it, so
both sides can sign with the algorithm chosen once per access session.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from framework.core import limits
from framework.core.chap import split_list

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


class SigningAlgorithm(enum.StrEnum):
    P_MD5_RSA_512 = "P_MD5_RSA_512"
    P_MD5_RSA_1024 = "P_MD5_RSA_1024"
    P_SHA256_RSA_2048 = "P_SHA256_RSA_2048"
    P_ED25519 = "P_ED25519"


@dataclass(frozen=True)
class Spec:
    kind: str  # "rsa" or "ed25519"
    bits_min: int = 0
    bits_max: int = 0  # 0: no upper bound
    legacy: bool = False

    def fits(self, key: PublicKey | PrivateKey) -> bool:
        if self.kind == "ed25519":
            return isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey)
        if not isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
            return False
        if key.key_size < self.bits_min:
            return False
        return not (self.bits_max and key.key_size > self.bits_max)


SPECS: dict[str, Spec] = {
    SigningAlgorithm.P_MD5_RSA_512: Spec("rsa", 512, 512, legacy=True),
    SigningAlgorithm.P_MD5_RSA_1024: Spec("rsa", 1024, 1024, legacy=True),
    SigningAlgorithm.P_SHA256_RSA_2048: Spec("rsa", 2048),
    SigningAlgorithm.P_ED25519: Spec("ed25519"),
}

DEFAULT_ALGORITHMS = "P_SHA256_RSA_2048,P_ED25519"


class InvalidKey(ValueError):
    """The PEM text is not an RSA or Ed25519 key this framework can use."""


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return hashes.MD5() if SPECS[algorithm].legacy else hashes.SHA256()


def sign(algorithm: str, key: PrivateKey, text: str) -> bytes:
    """Sign the UTF-8 bytes of ``text``; the key must fit ``algorithm``."""
    assert SPECS[algorithm].fits(key), "the key does not fit the signing algorithm"
    data = text.encode("utf-8")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, padding.PKCS1v15(), _hash(algorithm))


def verify(algorithm: str, key: PublicKey, text: str, signature: bytes) -> bool:
    """True only for a valid signature of ``text`` by ``key`` under ``algorithm``; never raises."""
    spec = SPECS.get(algorithm)
    if spec is None or not spec.fits(key) or len(signature) > limits.signature_bytes_max:
        return False
    data = text.encode("utf-8")
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, padding.PKCS1v15(), _hash(algorithm))
    except (InvalidSignature, ValueError):
        return False
    return True


def load_public_key(pem: str | bytes) -> PublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InvalidKey("not a PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise InvalidKey("only RSA and Ed25519 keys are supported")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 512:
        raise InvalidKey("RSA key too short")
    return key


def load_private_key(pem: str | bytes) -> PrivateKey:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidKey("not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise InvalidKey("only RSA and Ed25519 keys are supported")
    return key


def public_pem(key: PublicKey | PrivateKey) -> str:
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: PublicKey | PrivateKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex: safe to show and log."""
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) else key
    )
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def fitting(algorithms: list[str], key: PublicKey | None) -> list[str]:
    """The algorithms of ``algorithms`` that ``key`` can sign with (none without a key)."""
    if key is None:
        return []
    return [a for a in algorithms if a in SPECS and SPECS[a].fits(key)]


def choose(client_caps: str, acceptable: list[str]) -> str | None:
    """The first algorithm of the client's capability list that is acceptable."""
    for name in split_list(client_caps):
        if name in acceptable:
            return name
    return None
