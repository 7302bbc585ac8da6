"""One-time codes that validate a prepared payment (``pending_validation`` -> validatePayment).

Codes are 6 digits drawn with ``secrets``, sent to the payer's phone by the SMS SCF, and only
their HMAC-SHA256 under the gateway's code key (``<data>/camara-code-key``, mode 0600) is kept,
bound to the payment: a code is worth nothing for another payment, and a copy of the database
alone cannot be searched for it. Comparison is constant-time, and a malformed code is compared
too, so it takes as long as a wrong one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from camara import limits

KEY_FILE = "camara-code-key"
KEY_BYTES = 32


def new_code() -> str:
    return f"{secrets.randbelow(10**limits.code_digits):0{limits.code_digits}d}"


def digest(key: bytes, payment_id: str, code: str) -> str:
    return hmac.new(key, f"{payment_id}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, *, payment_id: str, code: str, stored: str) -> bool:
    typed = code.strip() if isinstance(code, str) else ""
    if len(typed) != limits.code_digits or not typed.isascii() or not typed.isdigit():
        typed = "x"
    return hmac.compare_digest(digest(key, payment_id, typed), stored)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def load_key(folder: Path) -> bytes:
    """The gateway's code key, made once (mode 0600); the same file on every start."""
    path = folder / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another gateway of this data folder made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
