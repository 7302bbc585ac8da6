"""Private files: written 0600 without a window, and refused (like ssh) when others may read.

The gateway keeps keys, the master key and the databases holding agreements and PIN hashes;
``micropay`` sets its umask to 077 at start so everything it creates is its own. Secret files
it reads (keys, secret files, configuration) are refused when their mode gives the group or
others any access, with the ``chmod`` that fixes it, rather than silently trusted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class NotPrivate(PermissionError):
    """A secret file others can read (or write)."""


def check_private(path: Path, what: str) -> None:
    """Refuse ``path`` when its mode gives the group or others any access."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise NotPrivate(
            f"{what} {path} is open to the group or others (mode {mode:04o}); run: chmod 600 {path}"
        )


def _write_temp(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600) unless it exists; never overwrite, never half-written."""
    tmp = _write_temp(path, data)
    try:
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def replace(path: Path, data: bytes) -> None:
    """Write ``path`` (mode 0600) in one rename: readers see the old or the new content."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def tighten(folder: Path) -> list[Path]:
    """Make ``folder`` and everything under it private (folders 0700, files 0600); return
    what had to change (files left by an older version or a looser umask)."""
    changed: list[Path] = []
    folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
            changed.append(path)
    return changed
