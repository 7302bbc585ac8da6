"""Where the embedded SMSC's bind password lives, for the SMSC and for the gateway's sender.

``smsc.password_file`` names it; when empty the SMSC generates one into its data folder on first
start (8 characters: the SMPP 3.4 password field holds at most 8) with owner-only permissions.
"""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

PASSWORD_CHARS_MAX = 8
_ALPHABET = string.ascii_letters + string.digits


def smsc_data_dir(data_dir: str | os.PathLike[str]) -> Path:
    """The embedded SMSC's own folder inside the gateway's data folder."""
    return Path(data_dir) / "smsc"


def password_path(password_file: str, smsc_dir: str | os.PathLike[str]) -> Path:
    return Path(password_file) if password_file else Path(smsc_dir) / "password"


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
