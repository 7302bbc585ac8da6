"""The application's own credentials: a shared CHAP secret and an Ed25519 signing key.

Generated once into the shop's data folder (mode 0600) and kept: the operator registers the
application with them (``micropay app register APP --secret-file ... --public-key ...``) and the
shop authenticates with them on every start.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

SECRET_FILE = "secret"
PRIVATE_KEY_FILE = "app-key.pem"
PUBLIC_KEY_FILE = "app-key.pub.pem"


@dataclass(frozen=True)
class Credentials:
    """What the shop authenticates with, loaded (the client library's ``connect`` arguments)."""

    endpoint: str  # corbaloc::HOST:PORT/IpInitial, an IOR, or a file holding one
    app_id: str
    secret: bytes
    private_key: Any  # a loaded cryptography key (client.crypto.load_private_key)
    framework_public_keys: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class CredentialFiles:
    secret: Path
    private_key: Path
    public_key: Path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def ensure_credentials(folder: Path) -> CredentialFiles:
    """The secret and key files in ``folder``, made on first use (idempotent)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = CredentialFiles(
        folder / SECRET_FILE, folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    )
    if not files.secret.exists():
        _write_private(files.secret, secrets.token_hex(32).encode() + b"\n")
    if not files.private_key.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(files.private_key, pem)
        files.public_key.unlink(missing_ok=True)
    if not files.public_key.exists():
        loaded = serialization.load_pem_private_key(files.private_key.read_bytes(), None)
        public = loaded.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        files.public_key.write_bytes(public)
    return files
