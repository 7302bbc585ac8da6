"""The framework's own signing keys: created on first start in the data folder, mode 0600.

One private key per key kind the enabled algorithms need, so the framework can sign with
whichever algorithm an access session selected:

- ``framework_rsa_2048.pem`` for ``P_SHA256_RSA_2048`` (always present),
- ``framework_ed25519.pem`` for ``P_ED25519``,
- ``framework_rsa_1024.pem`` for ``P_MD5_RSA_1024`` (created only when that algorithm is enabled),
- ``framework_rsa_512.pem`` for ``P_MD5_RSA_512``: never created (the cryptography library
  refuses to generate keys under 1024 bits); an operator who needs that legacy algorithm puts
  a 512-bit PEM key there, and until then the algorithm is not offered.

Files are written to a temporary name and linked into place, so two gateways starting together
never see a half-written key, and an existing key is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from framework.core import signing
from framework.core.signing import PrivateKey, SigningAlgorithm

KEY_FILES: dict[str, str] = {
    SigningAlgorithm.P_SHA256_RSA_2048: "framework_rsa_2048.pem",
    SigningAlgorithm.P_ED25519: "framework_ed25519.pem",
    SigningAlgorithm.P_MD5_RSA_1024: "framework_rsa_1024.pem",
    SigningAlgorithm.P_MD5_RSA_512: "framework_rsa_512.pem",
}
_GENERATORS: dict[str, Callable[[], PrivateKey]] = {
    SigningAlgorithm.P_SHA256_RSA_2048: lambda: rsa.generate_private_key(65537, 2048),
    SigningAlgorithm.P_ED25519: ed25519.Ed25519PrivateKey.generate,
    SigningAlgorithm.P_MD5_RSA_1024: lambda: rsa.generate_private_key(65537, 1024),
}


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 unless it exists; never overwrite."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class FrameworkKeys:
    """The framework's private keys by algorithm, loaded (or created) from ``data_dir``."""

    def __init__(self, data_dir: Path, enabled: list[str]) -> None:
        self.data_dir = data_dir
        self._keys: dict[str, PrivateKey] = {}
        wanted = set(enabled) | {SigningAlgorithm.P_SHA256_RSA_2048}
        for algorithm in SigningAlgorithm:
            if algorithm not in wanted:
                continue
            key = self._load_or_create(algorithm)
            if key is not None and signing.SPECS[algorithm].fits(key):
                self._keys[algorithm] = key

    def _load_or_create(self, algorithm: str) -> PrivateKey | None:
        path = self.data_dir / KEY_FILES[algorithm]
        if not path.exists():
            make = _GENERATORS.get(algorithm)
            if make is None:
                return None
            self.data_dir.mkdir(parents=True, exist_ok=True)
            pem = make().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write_new(path, pem)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # a key readable by others is tightened, not trusted less
        return signing.load_private_key(path.read_bytes())

    def available(self) -> list[str]:
        """Algorithms the framework holds a fitting key for."""
        return list(self._keys)

    def private_key(self, algorithm: str) -> PrivateKey:
        return self._keys[algorithm]

    def sign(self, algorithm: str, text: str) -> bytes:
        return signing.sign(algorithm, self._keys[algorithm], text)

    def public_pem(self, algorithm: str) -> str:
        return signing.public_pem(self._keys[algorithm])


def keys_for(data_dir: Path, signing_algorithms: str) -> FrameworkKeys:
    """The framework's keys for a comma-separated ``framework.signing_algorithms`` setting."""
    return FrameworkKeys(data_dir, [a.strip() for a in signing_algorithms.split(",") if a.strip()])
