"""The subscriber's side of the ledger's API: self-care (``charging.selfcare``), the escalating
PIN lock-out's settings, and the alert outbox (``charging.alerts``).

Each write validates in the caller's thread and is one isolated command of the batch kernel; a
PIN, where one is needed, is verified first by ``verify_pin`` (slow hashing in the caller's
thread, its attempt counted toward the same lock-out as every other surface).
"""

from __future__ import annotations

from typing import Any

from charging import alerts, clock, pins, selfcare, validate
from charging.alerts import Alert
from charging.batch import BatchState, Command
from charging.engine import SETTINGS, LedgerEngine
from charging.errors import InvalidInput, PinRequired, UnregisteredAccount
from charging.selfcare import LimitChange, SelfCareSettings
from storage.database import Transaction

# The [ledger] settings of this part (beside charging.engine.SETTINGS).
SELFCARE_SETTINGS = (
    "pin_lockout_s_max",
    "pin_lockout_window_s",
    "pin_lockouts_to_suspend",
    "limit_raise_delay_s",
)
LEDGER_SETTINGS = SETTINGS + SELFCARE_SETTINGS  # every keyword setting of Ledger.open


class SelfCareOperations(LedgerEngine):
    def __init__(
        self,
        db: Any,
        *,
        pin_lockout_s_max: int = pins.PIN_LOCKOUT_S_MAX,
        pin_lockout_window_s: int = pins.PIN_LOCKOUT_WINDOW_S,
        pin_lockouts_to_suspend: int = pins.PIN_LOCKOUTS_TO_SUSPEND,
        limit_raise_delay_s: int = selfcare.LIMIT_RAISE_DELAY_S,
        **settings: Any,
    ) -> None:
        super().__init__(db, **settings)
        self.lockout_policy = pins.LockoutPolicy(
            failures_max=self.pin_failures_max,
            lockout_s=self.pin_lockout_s,
            lockout_s_max=int(pin_lockout_s_max),
            window_s=int(pin_lockout_window_s),
            lockouts_to_suspend=int(pin_lockouts_to_suspend),
        )
        self.limit_raise_delay_s = int(limit_raise_delay_s)

    # -- self-care (the selfcare grant) ----------------------------------------------------------
    def _selfcare(self, run: Any, operation: str, app_id: str, account: str, **more: Any) -> Any:
        number = validate.account_number(account)
        command = Command(run, operation, app_id=validate.app_id(app_id), account=number,
                          accounts=(number,), isolated=True, **more)  # fmt: skip
        return self._submit(command)

    def suspend_by_subscriber(self, app_id: str, account: str) -> bool:
        """STOP: suspend at once (True when it was active)."""
        return self._selfcare(selfcare.suspend, "self_suspend", app_id, account)

    def resume_by_subscriber(self, app_id: str, account: str, *, pin: str | None) -> bool:
        """RESUME: with the PIN, resume a suspension the subscriber or the lock-out made
        (True when it was suspended)."""
        if pin is None:
            raise PinRequired(account=account, operation="resume the account")
        self.verify_pin(account, pin)
        return self._selfcare(selfcare.resume, "self_resume", app_id, account)

    def request_monthly_limit(
        self, app_id: str, account: str, limit_minor: int, pin: str | None = None
    ) -> LimitChange:
        """LIMIT: lower the monthly limit now; raise it (PIN needed) after the cooling-off."""
        limit = validate.limit_minor(limit_minor, "monthly_limit")
        if limit is None:
            raise InvalidInput(field="monthly_limit", reason="an amount")
        verified = False
        if pin is not None:
            self.verify_pin(account, pin)
            verified = True
        return self._selfcare(
            selfcare.request_limit, "self_limit", app_id, account, amount_minor=limit,
            args=(verified, self.limit_raise_delay_s),
        )  # fmt: skip

    def set_threshold(
        self, app_id: str, account: str, *, which: str, amount_minor: int | None
    ) -> int | None:
        """ALERT / OTP: the amount above which a payment raises an alert (``which`` "alert") or
        needs a one-time code ("confirm"; 0 = every payment); None turns it off."""
        if which not in selfcare.THRESHOLD_COLUMNS:
            raise InvalidInput(field="threshold", reason="alert or confirm")
        amount = validate.limit_minor(amount_minor, "threshold")
        return self._selfcare(
            selfcare.set_threshold, "self_settings", app_id, account, args=(which, amount)
        )

    def selfcare_settings(self, account: str) -> SelfCareSettings:
        number = validate.account_number(account)
        found = self._read(lambda tx: selfcare.settings_of(tx, number))
        if found is None:
            raise UnregisteredAccount(account=number)
        return found

    def apply_due_limits(self) -> int:
        """Apply the raised monthly limits whose cooling-off ended (the gateway's alert loop
        calls this); returns how many."""
        return self._submit(Command(selfcare.apply_due_limits, "apply_due_limits", isolated=True))

    # -- the alert outbox ------------------------------------------------------------------------
    def scan_large_payments(self) -> int:
        """Queue the alerts of charges above their accounts' alert amounts since the last scan."""

        def scan(state: BatchState, _c: Command) -> int:
            return alerts.scan_large_payments(state.tx, state.at_text)

        return self._submit(Command(scan, "scan_large_payments", isolated=True))

    def pending_alerts(self, limit: int = alerts.PENDING_READ_MAX) -> list[Alert]:
        return self._read(lambda tx: alerts.pending(tx, limit))

    def alerts_of(self, account: str, limit: int = 100) -> list[Alert]:
        number = validate.account_number(account)
        return self._read(lambda tx: alerts.of_account(tx, number, limit))

    def alert_sent(self, seq: int) -> bool:
        at = clock.to_text(self._clock())

        def mark(tx: Transaction) -> bool:
            return alerts.mark_sent(tx, seq, at)

        with self.db.transaction() as tx:
            return mark(tx)
