"""PINs: salted argon2 hashes only, and a lockout so that a lost card cannot be brute-forced.

Hashing is slow on purpose, so it never runs on the ledger's writer thread: the caller's thread
hashes or verifies, and the writer only stores the verdict. After ``pin_failures_max`` wrong PINs
in a row the account's PIN use locks for ``pin_lockout_s``; while locked every attempt -- right
or wrong -- is refused with ``PinLocked`` and nothing is learnt from it. The counter and the lock
are checked again inside the writing transaction, so parallel guesses cannot get more than
``pin_failures_max`` verdicts either.

The lock-out escalates (:class:`LockoutPolicy`): each lock-out in a window of
``pin_lockout_window_s`` lasts twice the one before (``pin_lockout_s``, then 2x, 4x ... at most
``pin_lockout_s_max``), and the ``pin_lockouts_to_suspend``-th suspends the account as well, so
PIN guessing ends with the subscriber (who is told by SMS) rather than with the clock. A right
PIN clears the count of wrong ones, not the lock-outs of the window.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from charging import accounts, alerts, clock
from charging.accounts import PinState
from charging.clock import Moment

if TYPE_CHECKING:
    from charging.batch import BatchState

PIN_FAILURES_MAX = 3
PIN_LOCKOUT_S = 900  # the first lock-out of a window
PIN_LOCKOUT_S_MAX = 86_400  # no lock-out is longer
PIN_LOCKOUT_WINDOW_S = 86_400  # lock-outs count towards suspension within this window
PIN_LOCKOUTS_TO_SUSPEND = 3  # the lock-out that also suspends the account
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


@dataclass(frozen=True)
class LockoutPolicy:
    failures_max: int = PIN_FAILURES_MAX
    lockout_s: int = PIN_LOCKOUT_S
    lockout_s_max: int = PIN_LOCKOUT_S_MAX
    window_s: int = PIN_LOCKOUT_WINDOW_S
    lockouts_to_suspend: int = PIN_LOCKOUTS_TO_SUSPEND

    def lockout_of(self, nth: int) -> int:
        """How long the ``nth`` lock-out of a window lasts, in seconds."""
        return min(self.lockout_s * 2 ** (nth - 1), self.lockout_s_max)


def is_locked(state: PinState, moment: Moment) -> bool:
    return state.locked_until is not None and state.locked_until > moment.at


def record_attempt(
    batch: BatchState,
    number: str,
    pin_hash: str | None,
    matched: bool,
    policy: LockoutPolicy,
) -> Verdict:
    """Store the outcome of one verification made outside the transaction against ``pin_hash``.

    Returns the verdict rather than raising, so that the failure count commits with it. The
    ``failures_max``-th wrong PIN in a row locks PIN use (and queues the "PIN locked" alert);
    the ``lockouts_to_suspend``-th lock-out of the window suspends the account too.
    """
    tx, moment = batch.tx, batch.moment
    state = accounts.load_pin(tx, number, lock=True)
    assert state is not None, "the caller read this account a moment ago and accounts stay"
    if is_locked(state, moment):
        return Verdict.LOCKED
    if matched and state.pin_hash == pin_hash:
        if state.failures:
            accounts.save_pin(tx, number, PinState(state.pin_hash, 0, None, state.lockouts,
                                                   state.window_start))  # fmt: skip
        return Verdict.OK
    failures = state.failures + 1
    if failures < policy.failures_max:
        accounts.save_pin(tx, number, PinState(state.pin_hash, failures, None, state.lockouts,
                                               state.window_start))  # fmt: skip
        return Verdict.WRONG
    window_start, lockouts = state.window_start, state.lockouts
    if window_start is None or moment.at - window_start >= timedelta(seconds=policy.window_s):
        window_start, lockouts = moment.at, 0
    lockouts += 1
    seconds = policy.lockout_of(lockouts)
    until = moment.at + timedelta(seconds=seconds)
    accounts.save_pin(tx, number, PinState(state.pin_hash, 0, until, lockouts, window_start))
    book = batch.book(number)
    assert book is not None and book.msisdn is not None
    alerts.add(
        tx,
        at=batch.at_text,
        number=number,
        msisdn=book.msisdn,
        kind=alerts.PIN_LOCKED,
        app_id=None,
        failures=failures,
        minutes=seconds // 60,
        locked_until=clock.to_text(until),
        lockouts=lockouts,
    )
    if lockouts >= policy.lockouts_to_suspend:
        from charging import selfcare  # selfcare builds on this module

        selfcare.suspend_book(batch, book, selfcare.BY_PIN_LOCKOUT, None)
    return Verdict.WRONG
