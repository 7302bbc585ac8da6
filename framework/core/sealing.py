"""CHAP secrets sealed at rest: AES-256-GCM under a master key that lives outside the database.

CHAP needs the secret itself (a hash would not do), so the framework database would be a list
of working credentials. Sealed, a copy of the database alone gives no secret: each is stored as
``aesgcm1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`` with a fresh 96-bit nonce and the
application id as associated data (a sealed secret moved to another row does not open).

The master key file (``framework.master_key_file``, default ``<data>/framework-master.key``,
mode 0600, refused when the group or others may read it) holds one base64 key per line: the
first seals, every one opens, so a key can be rotated (``micropay framework master-key
rotate``: a new first key, every secret sealed again) and the old one retired once unused.
Every gateway of one database needs the same file; a gateway that meets a key id it does not
hold reads the file again (a rotation done elsewhere).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from framework.core import files

PREFIX = "aesgcm1:"
MASTER_KEY_FILE = "framework-master.key"
KEY_BYTES = 32
NONCE_BYTES = 12


class SealingError(ValueError):
    """A sealed secret that cannot be opened (wrong or missing master key, tampered row)."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"micropay master key id\0" + key).hexdigest()[:12]


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


class Keyring:
    """The master keys: the first seals, all open."""

    def __init__(self, keys: list[bytes], path: Path | None = None) -> None:
        assert keys and all(len(k) == KEY_BYTES for k in keys), "32-byte AES keys"
        self.path = path
        self._lock = threading.Lock()
        self._set(keys)

    def _set(self, keys: list[bytes]) -> None:
        self.keys = list(keys)
        self._by_id = {key_id(k): AESGCM(k) for k in keys}

    @classmethod
    def generate(cls) -> Keyring:
        """An in-memory keyring (tests, tools)."""
        return cls([AESGCM.generate_key(bit_length=256)])

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """The keyring in ``path``, made (0600) on first use; refused when others may read it."""
        if not path.exists():
            path.parent.mkdir(mode=files.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
            files.write_new(path, _encode([AESGCM.generate_key(bit_length=256)]))
        return cls(_read(path), path)

    @property
    def current_id(self) -> str:
        return key_id(self.keys[0])

    def seal(self, app_id: str, secret: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._by_id[self.current_id].encrypt(nonce, secret, app_id.encode())
        return f"{PREFIX}{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, app_id: str, stored: str) -> bytes:
        """The secret of a stored value (plain base64 from before sealing is read as it is)."""
        if not is_sealed(stored):
            return base64.b64decode(stored)
        kid, _, body = stored[len(PREFIX) :].partition(":")
        cipher = self._cipher(kid)
        data = base64.b64decode(body)
        try:
            return cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], app_id.encode())
        except InvalidTag:
            raise SealingError(f"the secret of {app_id} does not open (tampered?)") from None

    def sealed_with(self, stored: str) -> str | None:
        """The key id a stored value is sealed with (None: not sealed)."""
        return stored[len(PREFIX) :].partition(":")[0] if is_sealed(stored) else None

    def _cipher(self, kid: str) -> AESGCM:
        with self._lock:
            if kid not in self._by_id and self.path is not None:
                self._set(_read(self.path))  # rotated on another host: read the file again
            cipher = self._by_id.get(kid)
        if cipher is None:
            raise SealingError(f"no master key {kid} in {self.path or 'the keyring'}")
        return cipher

    # -- rotation ---------------------------------------------------------------------------
    def with_new_key(self) -> Keyring:
        """A keyring whose new first key seals from now on (the old keys still open)."""
        return Keyring([AESGCM.generate_key(bit_length=256), *self.keys], self.path)

    def without(self, unused: set[str]) -> Keyring:
        return Keyring([k for k in self.keys if key_id(k) not in unused], self.path)

    def save(self) -> None:
        assert self.path is not None
        files.replace(self.path, _encode(self.keys))


def _encode(keys: list[bytes]) -> bytes:
    head = "# micropay framework master keys: the first seals, all open. Keep it 0600.\n"
    return (head + "".join(base64.b64encode(k).decode() + "\n" for k in keys)).encode()


def _read(path: Path) -> list[bytes]:
    files.check_private(path, "the master key file")
    keys = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key = base64.b64decode(line)
            if len(key) != KEY_BYTES:
                raise SealingError(f"{path}: a master key must be {KEY_BYTES} bytes")
            keys.append(key)
    if not keys:
        raise SealingError(f"{path} holds no master key")
    return keys
