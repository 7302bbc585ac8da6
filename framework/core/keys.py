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
never see a half-written key, and an existing key is never replaced. A key file the group or
others may read is refused (``files.check_private``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from framework.core import files, signing
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
            self.data_dir.mkdir(mode=files.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
            pem = make().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            files.write_new(path, pem)
        files.check_private(path, "the framework key")  # refused, like ssh, when others may read
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
