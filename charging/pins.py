"""PINs: salted argon2 hashes only, and a lockout so that a lost card cannot be brute-forced.

Hashing is slow on purpose, so it never runs on the ledger's writer thread: the caller's thread
hashes or verifies, and the writer only stores the verdict. After ``pin_max_failures`` wrong PINs
in a row the account's PIN use locks for ``pin_lockout_s``; while locked every attempt -- right
or wrong -- is refused with ``PinLocked`` and nothing is learnt from it. The counter and the lock
are checked again inside the writing transaction, so parallel guesses cannot get more than
``pin_max_failures`` verdicts either.
"""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from charging import accounts
from charging.accounts import PinState
from charging.clock import Moment
from storage.database import Transaction

PIN_MAX_FAILURES = 3
PIN_LOCKOUT_S = 900
VOUCHER_PIN_DIGITS = 16  # 53 bits: guessing through the API is hopeless even without a lockout

_hasher = PasswordHasher()


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def matches(pin_hash: str | None, pin: str) -> bool:
    if pin_hash is None:
        return False
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_voucher_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(VOUCHER_PIN_DIGITS))


class Verdict(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


def is_locked(state: PinState, moment: Moment) -> bool:
    return state.locked_until is not None and state.locked_until > moment.at


def record_attempt(
    tx: Transaction,
    moment: Moment,
    number: str,
    pin_hash: str | None,
    matched: bool,
    *,
    max_failures: int,
    lockout_s: int,
) -> Verdict:
    """Store the outcome of one verification made outside the transaction against ``pin_hash``.

    Returns the verdict rather than raising, so that the failure count commits with it.
    """
    state = accounts.load_pin(tx, number, lock=True)
    assert state is not None, "the caller read this account a moment ago and accounts stay"
    if is_locked(state, moment):
        return Verdict.LOCKED
    if matched and state.pin_hash == pin_hash:
        if state.failures:
            accounts.save_pin(tx, number, PinState(state.pin_hash, 0, None))
        return Verdict.OK
    failures = state.failures + 1
    if failures >= max_failures:
        locked = PinState(state.pin_hash, 0, moment.at + timedelta(seconds=lockout_s))
        accounts.save_pin(tx, number, locked)
    else:
        accounts.save_pin(tx, number, PinState(state.pin_hash, failures, None))
    return Verdict.WRONG
