"""One-time codes that confirm a payment, the way Korean carrier billing does it.

When getAccountStatus says a payment is above the account's confirmation threshold (the
subscriber sets it: ``OTP <amount>``), checkout holds the amount (reserveAmount), texts a
6-digit code to the account's phone, and charges the hold only when the code is typed within
``CODE_TTL_S``; ``CODE_ATTEMPTS_MAX`` wrong codes or the time running out release the hold.

Codes are drawn with ``secrets`` (uniform over 000000-999999), used once, and only their
HMAC-SHA256 under the shop's own key (``<data>/confirmation-key``, mode 0600) is stored -- bound
to the order, so a code is worth nothing for another order and a copy of ``shop.db`` alone
cannot be searched for it. Comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

CODE_DIGITS = 6
CODE_TTL_S = 180  # 3 minutes
CODE_ATTEMPTS_MAX = 5  # wrong codes before the hold is released
KEY_BYTES = 32


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def digest(key: bytes, order_id: str, code: str) -> str:
    return hmac.new(key, f"{order_id}:{code}".encode(), hashlib.sha256).hexdigest()


def matches(key: bytes, order_id: str, code: str, stored: str) -> bool:
    typed = code.strip()
    if len(typed) != CODE_DIGITS or not typed.isdigit():
        typed = "x"  # still compared, so a malformed code takes as long as a wrong one
    return hmac.compare_digest(digest(key, order_id, typed), stored)


def load_key(path: Path) -> bytes:
    """The shop's code key, made once (mode 0600)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
