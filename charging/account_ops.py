"""The account side of the ledger's API: administration (the operator's command line), PINs, and
the reads of Account Management (status, history) and of the event outbox.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from charging import (
    accounts,
    admin,
    clock,
    entries,
    events,
    grants,
    movements,
    pins,
    selfcare,
    settlement,
    validate,
)
from charging.batch import BatchState, Command
from charging.clock import Moment
from charging.errors import InvalidInput, PinLocked, UnregisteredAccount, WrongPin
from charging.model import (
    Account,
    AccountStatus,
    ChargingEvent,
    HistoryEntry,
    Kind,
    Status,
    SystemAccount,
    SystemKind,
)
from charging.selfcare_ops import SelfCareOperations

UNSET: Any = object()  # "leave as it is" in set_limits


class AccountOperations(SelfCareOperations):
    def create_account(
        self,
        number: str,
        *,
        msisdn: str,
        currency: str,
        kind: Kind | str = Kind.PREPAID,
        balance_minor: int = 0,
        monthly_limit_minor: int | None = None,
        transaction_limit_minor: int | None = None,
        low_balance_minor: int = 0,
        valid_until: date | None = None,
        pin: str | None = None,
    ) -> Account:
        """Open an account (active). A postpaid account needs a monthly limit and no balance."""
        moment = self._moment()
        try:
            kind = Kind(kind)
        except ValueError:
            raise InvalidInput(field="kind", reason="prepaid or postpaid") from None
        account = admin.new_account(
            moment,
            number=validate.account_number(number),
            msisdn=validate.tel_uri(msisdn),
            currency=validate.currency(currency),
            kind=kind,
            balance_minor=validate.limit_minor(balance_minor, "balance") or 0,
            monthly_limit_minor=validate.limit_minor(monthly_limit_minor, "monthly_limit"),
            transaction_limit_minor=validate.limit_minor(
                transaction_limit_minor, "transaction_limit"
            ),
            low_balance_minor=validate.limit_minor(low_balance_minor, "low_balance") or 0,
            valid_until=validate.future_date(valid_until, "valid_until", moment.today),
            has_pin=pin is not None,
        )
        pin_hash = None if pin is None else pins.hash_pin(validate.pin(pin))
        command = Command(
            admin.create, "create_account", args=(account, pin_hash),
            accounts=(account.number, movements.funding(account.currency)),
            transfers=1, isolated=True,
        )  # fmt: skip
        return self._submit(command)

    def get_account(self, number: str) -> Account:
        number = validate.account_number(number)
        month = self._moment().month
        found = self._read(lambda tx: accounts.load(tx, number, month))
        if found is None:
            raise UnregisteredAccount(account=number)
        return found

    def account_for_msisdn(self, tel_uri: str) -> Account:
        """The open account of an MSISDN (else its most recently closed one)."""
        msisdn = validate.tel_uri(tel_uri)
        month = self._moment().month
        found = self._read(lambda tx: accounts.by_msisdn(tx, msisdn, month))
        if found is None:
            raise UnregisteredAccount(msisdn=msisdn)
        return found

    def list_accounts(self) -> list[Account]:
        month = self._moment().month
        return self._read(lambda tx: accounts.list_all(tx, month))

    # -- grants: what an application may do beyond payments (charging.grants) -------------------
    def grant(
        self,
        app_id: str,
        operation: str,
        *,
        currency: str | None = None,
        cap_minor: int | None = None,
        daily_cap_minor: int | None = None,
    ) -> grants.Grant:
        """Let ``app_id`` ``recharge`` (in ``currency``, within the caps), redeem vouchers
        (``voucher``) or act for subscribers (``selfcare``); granting again changes the caps
        and keeps today's use."""
        app = validate.app_id(app_id)
        if operation not in grants.OPERATIONS:
            raise InvalidInput(field="operation", reason=" or ".join(grants.OPERATIONS))
        if operation == "recharge":
            cur = validate.currency(currency)
            cap = validate.limit_minor(cap_minor, "cap")
            daily = validate.limit_minor(daily_cap_minor, "daily_cap")
            if cap == 0 or daily == 0:
                raise InvalidInput(field="cap", reason="a cap is greater than zero (or none)")
        elif currency is not None or cap_minor is not None or daily_cap_minor is not None:
            raise InvalidInput(field="operation", reason=f"{operation} takes no currency or caps")
        else:
            cur, cap, daily = grants.ANY_CURRENCY, None, None

        def put(state: BatchState, _c: Command) -> grants.Grant:
            grants.put(state.tx, app, operation, cur, cap, daily, state.at_text)
            return next(
                g
                for g in grants.list_all(state.tx, app)
                if (g.operation, g.currency) == (operation, cur)
            )

        return self._submit(Command(put, "grant", isolated=True))

    def revoke(self, app_id: str, operation: str, *, currency: str | None = None) -> int:
        """Take a grant back (in ``currency``, or in every currency); returns how many."""
        app = validate.app_id(app_id)
        cur = None if currency is None else validate.currency(currency)
        if operation not in grants.OPERATIONS:
            raise InvalidInput(field="operation", reason=" or ".join(grants.OPERATIONS))
        command = Command(
            lambda state, _c: grants.remove(state.tx, app, operation, cur), "revoke", isolated=True
        )
        return self._submit(command)

    def entitled(self, app_id: str, operation: str) -> bool:
        """Whether ``app_id`` holds a grant of ``operation`` in any currency (the operator always
        may recharge). A quick first answer for the surfaces; the writing transaction checks
        the grant of the request's currency again."""
        app = validate.app_id(app_id)
        if operation == "recharge" and app == movements.OPERATOR_APP_ID:
            return True
        return any(g.operation == operation for g in self.list_grants(app))

    def system_accounts(
        self, kind: SystemKind | str | None = None, app_id: str | None = None
    ) -> list[SystemAccount]:
        """The operator's own accounts (``charging.movements``), by number; ``kind`` and
        ``app_id`` filter (e.g. the floats of one application)."""
        wanted = None if kind is None else SystemKind(kind)
        return [
            a
            for a in self._read(accounts.system_accounts)
            if (wanted is None or a.kind is wanted) and (app_id is None or a.app_id == app_id)
        ]

    def settlement(self, month: str, app_id: str | None = None) -> list[settlement.Statement]:
        """What each application (or ``app_id``) collected and had refunded in ``month``
        (``YYYY-MM`` in the ledger's zone): what the operator owes it (``charging.settlement``)."""
        app = None if app_id is None else validate.app_id(app_id)
        return self._read(lambda tx: settlement.statements(tx, month, self.tz, app))

    def list_grants(self, app_id: str | None = None) -> list[grants.Grant]:
        app = None if app_id is None else validate.app_id(app_id)
        return self._read(lambda tx: grants.list_all(tx, app))

    def set_status(self, number: str, status: Status | str) -> Account:
        """Suspend, resume or close (closing is final and releases open reservations)."""
        number = validate.account_number(number)
        try:
            status = Status(status)
        except ValueError:
            raise InvalidInput(field="status", reason="active, suspended or closed") from None
        return self._admin(admin.set_status, number, status)

    def set_limits(
        self,
        number: str,
        *,
        monthly_limit_minor: int | None = UNSET,
        transaction_limit_minor: int | None = UNSET,
        low_balance_minor: int = UNSET,
        valid_until: date | None = UNSET,
    ) -> Account:
        """Change what is given; ``None`` removes a limit or the expiry date."""
        number = validate.account_number(number)
        changes: dict[str, Any] = {}
        for name, value in (
            ("monthly_limit_minor", monthly_limit_minor),
            ("transaction_limit_minor", transaction_limit_minor),
        ):
            if value is not UNSET:
                changes[name] = validate.limit_minor(value, name.removesuffix("_minor"))
        if low_balance_minor is not UNSET:
            changes["low_balance_minor"] = (
                validate.limit_minor(low_balance_minor, "low_balance") or 0
            )
        if valid_until is not UNSET:
            today = self._moment().today
            changes["valid_until"] = validate.future_date(valid_until, "valid_until", today)
        return self._admin(admin.set_limits, number, changes)

    def set_pin(self, number: str, pin: str | None) -> None:
        """Set or change the PIN (``None`` removes it); clears a lockout."""
        number = validate.account_number(number)
        pin_hash = None if pin is None else pins.hash_pin(validate.pin(pin))
        self._admin(admin.set_pin, number, pin_hash)

    def _admin(self, run: Any, number: str, args: Any) -> Any:
        command = Command(run, run.__name__, account=number, args=args, accounts=(number,),
                          isolated=True)  # fmt: skip
        return self._submit(command)

    def verify_pin(self, account: str, pin: str) -> None:
        """Return if ``pin`` is the account's PIN; else raise WrongPin -- or PinLocked once
        ``pin_failures_max`` wrong PINs in a row have locked PIN use (for ``pin_lockout_s``,
        doubling with each lock-out of the window; ``charging.pins``). An account without a PIN
        matches no PIN."""
        number = validate.account_number(account)
        pin = validate.pin(pin)
        state = self._read(lambda tx: accounts.load_pin(tx, number))
        if state is None:
            raise UnregisteredAccount(account=number)
        if pins.is_locked(state, self._moment()):
            assert state.locked_until is not None
            raise PinLocked(account=number, locked_until=clock.to_text(state.locked_until))
        matched = pins.matches(state.pin_hash, pin)  # slow on purpose: not on the writer thread

        def record(batch: BatchState, _command: Command) -> pins.Verdict:
            return pins.record_attempt(batch, number, state.pin_hash, matched, self.lockout_policy)

        verdict = self._submit(Command(record, "pin_attempt", isolated=True))
        if verdict is pins.Verdict.LOCKED:
            raise PinLocked(account=number)
        if verdict is pins.Verdict.WRONG:
            raise WrongPin(account=number)

    # -- Account Management reads ----------------------------------------------------------------
    def status(self, account: str) -> AccountStatus:
        """What Account Management reports; an unknown account is ``registered=False``."""
        number = validate.account_number(account)
        moment = self._moment()

        def read(tx: Any) -> tuple[Account | None, Any]:
            return accounts.load(tx, number, moment.month), selfcare.settings_of(tx, number)

        found, own = self._read(read)
        if found is None:
            return AccountStatus(account=number, registered=False)
        return _status(found, moment, own)

    def history(
        self, account: str, since: datetime | date | None = None, entries_max: int | None = None
    ) -> list[HistoryEntry]:
        """getHistory: the most recent ``entries_max`` entries from ``since`` on, newest first.
        A date means its midnight in the ledger's time zone."""
        number = validate.account_number(account)
        count = validate.positive_count(
            entries.HISTORY_DEFAULT_ENTRIES if entries_max is None else entries_max,
            "max_entries",  # getHistory's maxEntries, as refusals have always named it
            entries.HISTORY_ENTRIES_MAX,
        )
        start = self._since_text(since)
        month = self._moment().month

        def read(tx: Any) -> list[HistoryEntry]:
            if accounts.load(tx, number, month) is None:
                raise UnregisteredAccount(account=number)
            return entries.history(tx, number, start, count)

        return self._read(read)

    def events_after(self, cursor: int, limit: int = 100) -> list[ChargingEvent]:
        """Charging events with a sequence number above ``cursor``, in sequence order."""
        if isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0:
            raise InvalidInput(field="cursor", reason="a non-negative integer")
        count = validate.positive_count(limit, "limit", events.EVENTS_READ_MAX)
        return self._read(lambda tx: events.after(tx, cursor, count))

    def latest_event_seq(self) -> int:
        """The sequence number of the newest charging event (a cursor that skips the past)."""
        return self._read(events.latest)

    def app_has_charged(self, app_id: str, account: str) -> bool:
        """Whether ``app_id`` ever charged ``account`` (who may watch an account's events)."""
        app = validate.app_id(app_id)
        number = validate.account_number(account)
        return self._read(lambda tx: entries.app_has_charged(tx, number, app))

    def _since_text(self, since: datetime | date | None) -> str | None:
        if since is None:
            return None
        if isinstance(since, datetime):
            if since.tzinfo is None:
                raise InvalidInput(field="since", reason="a time zone is required")
            return clock.to_text(since)
        if isinstance(since, date):
            return clock.to_text(datetime(since.year, since.month, since.day, tzinfo=self.tz))
        raise InvalidInput(field="since", reason="a date or datetime is expected")


def _status(account: Account, moment: Moment, own: selfcare.SelfCareSettings) -> AccountStatus:
    if account.status is not Status.ACTIVE:
        state = account.status.value
    elif clock.is_expired(account.valid_until, moment.at, moment.tz):
        state = "expired"
    else:
        state = "active"
    return AccountStatus(
        account=account.number,
        registered=True,
        state=state,
        kind=account.kind,
        msisdn=account.msisdn,
        currency=account.currency,
        balance_minor=account.balance_minor,
        ledger_balance_minor=account.ledger_balance_minor,
        reserved_minor=account.reserved_minor,
        month_spent_minor=account.month_spent_minor,
        headroom_minor=account.headroom_minor,
        monthly_limit_minor=account.monthly_limit_minor,
        transaction_limit_minor=account.transaction_limit_minor,
        low_balance_minor=account.low_balance_minor,
        valid_until=account.valid_until,
        pin_required=account.has_pin,
        confirm_above_minor=own.confirm_above_minor,
        alert_above_minor=own.alert_above_minor,
        pending_monthly_limit_minor=own.pending_monthly_limit_minor,
        pending_limit_at=own.pending_limit_at,
        suspended_by=own.suspended_by if account.status is Status.SUSPENDED else None,
    )
