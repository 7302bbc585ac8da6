"""An SMPP bind password kept in a file: what the ESME binds with and the SMSC checks.

SMPP 3.4 §5.2 gives the password field 9 octets with its NUL, so at most 8 characters. The file
is owner-only; generated passwords come from :mod:`secrets`.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

PASSWORD_CHARS_MAX = 8
_ALPHABET = string.ascii_letters + string.digits


def read_password(path: Path) -> str:
    return path.read_text(encoding="ascii").strip()


def ensure_password(path: Path) -> str:
    """Read the password, generating it first if the file does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        value = "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_CHARS_MAX))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(value + "\n")
    value = read_password(path)
    if not value or len(value) > PASSWORD_CHARS_MAX:
        raise ValueError(f"SMSC password in {path} must be 1..{PASSWORD_CHARS_MAX} characters")
    return value
