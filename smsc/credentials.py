"""Where the embedded SMSC keeps its data and its bind password, for the SMSC and the gateway.

``smsc.password_file`` names the password; when empty the SMSC generates one into its data
folder on first start (:func:`smpp.credentials.ensure_password`: 8 characters, owner-only).
"""

from __future__ import annotations

import os
from pathlib import Path


def smsc_data_dir(data_dir: str | os.PathLike[str]) -> Path:
    """The embedded SMSC's own folder inside the gateway's data folder."""
    return Path(data_dir) / "smsc"


def password_path(password_file: str, smsc_dir: str | os.PathLike[str]) -> Path:
    return Path(password_file) if password_file else Path(smsc_dir) / "password"
