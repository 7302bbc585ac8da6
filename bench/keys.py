"""Keys for benchmarks and tests, generated once per process (RSA generation is the slow part)."""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def private_key(kind: str, index: int = 0) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    """``kind``: rsa2048, rsa1024 or ed25519; ``index`` picks distinct keys of one kind."""
    return _key(kind, index)


@functools.cache
def _key(kind: str, index: int) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(65537, int(kind.removeprefix("rsa")))


def private_pem(kind: str, index: int = 0) -> bytes:
    return private_key(kind, index).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(kind: str, index: int = 0) -> str:
    return (
        private_key(kind, index)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
