"""The shared CHAP secret of ``micropay app register``: made here by default, or read from a
file that is private and strong enough.

- Without ``--secret-file`` a 256-bit secret is generated (``secrets``) and written, mode 0600,
  to ``<data>/apps/<app id>.secret`` for the application's operator to collect.
- A ``--secret-file`` the group or others may read is refused, like ssh refuses such a key: the
  secret may already be known.
- A secret under ``SECRET_BITS_MIN`` bits by :func:`estimate_bits` is refused: CHAP answers can
  be guessed offline from one recorded exchange, so the secret must resist brute force alone.
"""

from __future__ import annotations

import math
import secrets
import string
from pathlib import Path

from framework.core import files, limits
from gateway.cli.output import CommandError

SECRET_BITS_GENERATED = 256
SECRET_BITS_MIN = 128
_CLASSES = (string.digits, string.ascii_lowercase, string.ascii_uppercase, string.punctuation + " ")
_HEX = set(string.hexdigits.encode())


def estimate_bits(secret: bytes) -> float:
    """A conservative strength estimate: length × log2(the alphabet its characters come from),
    scaled down when few distinct characters are used (``aaaa…`` or ``abab…`` earn little)."""
    if not secret:
        return 0.0
    if any(b < 0x20 or b > 0x7E for b in secret):
        alphabet = 256
    elif set(secret) <= _HEX and (secret == secret.lower() or secret == secret.upper()):
        alphabet = 16
    else:
        text = secret.decode("ascii")
        alphabet = sum(len(c) for c in _CLASSES if any(ch in c for ch in text))
    variety = min(1.0, 2 * len(set(secret)) / min(len(secret), alphabet))
    return len(secret) * math.log2(alphabet) * variety


def generate(path: Path) -> bytes:
    """A fresh 256-bit secret (43 URL-safe characters), written to ``path`` with mode 0600."""
    if path.exists():
        raise CommandError(f"{path} exists: give it with --secret-file, or remove it")
    secret = secrets.token_urlsafe(SECRET_BITS_GENERATED // 8).encode()
    path.parent.mkdir(mode=files.PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    files.write_new(path, secret + b"\n")
    return secret


def read(path: Path) -> bytes:
    """The secret in ``path`` (one trailing newline stripped), or a refusal that says why."""
    try:
        files.check_private(path, "the secret file")
        data = path.read_bytes()
    except files.NotPrivate as exc:
        raise CommandError(f"{exc} (the secret may be known already: make a new one)") from None
    except OSError as exc:
        raise CommandError(f"cannot read the secret file: {exc.strerror}") from None
    secret = data[:-1] if data.endswith(b"\n") else data
    secret = secret[:-1] if secret.endswith(b"\r") else secret
    if not limits.secret_bytes_min <= len(secret) <= limits.secret_bytes_max:
        raise CommandError(
            f"the secret must be {limits.secret_bytes_min} to {limits.secret_bytes_max} bytes"
        )
    bits = estimate_bits(secret)
    if bits < SECRET_BITS_MIN:
        raise CommandError(
            f"the secret is too weak: about {bits:.0f} bits of entropy, {SECRET_BITS_MIN} needed "
            "(too short, or too few distinct characters); leave out --secret-file to have a "
            f"{SECRET_BITS_GENERATED}-bit secret generated"
        )
    return secret
