"""The Account Management SCF (Parlay X Part 7, plus micropay's three extensions) as a domain
service: no CORBA, no gRPC.

Reading an account is every application's right under its agreement; putting money in is not:
balanceUpdate needs the operator's ``recharge`` grant (and is paid from the application's
float), voucherUpdate the ``voucher`` grant (``charging.grants``). Without it the answer is
``NotEntitled`` (POL1105), before anything is said about the account.

Every operation names the calling application first (the idempotency namespace of balanceUpdate
and voucherUpdate, and the boundary of what getHistory and notifications show) and takes the
optional ``end_user_pin``: when given it is verified first (wrong: ``WrongPin``, SVC0250; after
``pin_failures_max`` wrong PINs in a row PIN use locks for ``pin_lockout_s``: ``PinLocked``).
When absent, the application's signed agreement is the authority (docs/payment-and-account.md).

The self-care extension (suspendAccount, resumeAccount, changeMonthlyLimit, setThreshold) acts
for the subscriber and needs the ``selfcare`` grant (``charging.selfcare``), checked first like
the recharge grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from charging import validate
from charging.entries import HISTORY_ENTRIES_MAX
from charging.errors import (
    CurrencyMismatch,
    InvalidInput,
    NotEntitled,
    UnregisteredAccount,
    VoucherInvalid,
    VouchersNotAccepted,
)
from charging.ledger import Ledger
from charging.model import Account, AccountStatus, HistoryEntry, Kind, TransactionResult
from charging.money import from_minor, to_minor
from charging.selfcare import LimitChange
from scf.account import end_user
from scf.account.notifications import Assignment, Criteria, NotificationRegistry

BALANCE_TYPE = "MICROPAY"  # the one balance of a micro-payment account (Parlay X balanceType)
THRESHOLDS = {"LargePaymentAlert": "alert", "PaymentConfirmation": "confirm"}  # the IDL's names


@dataclass(frozen=True)
class Balance:
    balance_type: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class CreditExpiry:
    balance_type: str
    expires_at: datetime | None  # the first instant the balance is no longer valid; None: never


@dataclass(frozen=True)
class DatedTransaction:
    transaction_date: datetime
    transaction_details: str


@dataclass(frozen=True)
class EligibilityStatus:
    """getAccountStatus: the ledger's status plus the largest charge possible right now."""

    end_user: str
    status: AccountStatus
    expires_at: datetime | None
    remaining_headroom_minor: int | None  # None when unregistered


def remaining_headroom(status: AccountStatus) -> int:
    """The largest single charge possible now: the least of the available balance (prepaid),
    the monthly headroom and the per-transaction limit; zero unless the account is active."""
    if status.state != "active":
        return 0
    bounds = [status.headroom_minor, status.transaction_limit_minor]
    if status.kind is Kind.PREPAID:
        bounds.append(status.balance_minor)
    known = [b for b in bounds if b is not None]
    return max(0, min(known)) if known else 0


class AccountService:
    def __init__(
        self,
        ledger: Ledger,
        notifications: NotificationRegistry | None = None,
        *,
        vouchers_accepted: bool = True,
    ) -> None:
        self.ledger = ledger
        self.notifications = notifications or NotificationRegistry(ledger)
        self.vouchers_accepted = vouchers_accepted

    # -- helpers -------------------------------------------------------------------------------
    def _authorised(self, end_user_identifier: str, pin: str | None) -> Account:
        """The end user's account, once the PIN (when one is given) is verified."""
        account = end_user.account_of(self.ledger, end_user_identifier)
        if pin is not None:
            self.ledger.verify_pin(account.number, pin)
        return account

    def _expires_at(self, valid_until: date | None) -> datetime | None:
        """An account is valid through its whole valid_until day in the ledger's time zone."""
        if valid_until is None:
            return None
        return datetime.combine(valid_until + timedelta(days=1), time(), tzinfo=self.ledger.tz)

    # -- Parlay X AccountManagement ------------------------------------------------------------
    def get_balance(
        self, app_id: str, end_user_identifier: str, *, pin: str | None
    ) -> list[Balance]:
        account = self._authorised(end_user_identifier, pin)
        return [Balance(BALANCE_TYPE, account.balance_minor, account.currency)]

    def get_credit_expiry_date(
        self, app_id: str, end_user_identifier: str, *, pin: str | None
    ) -> list[CreditExpiry]:
        account = self._authorised(end_user_identifier, pin)
        return [CreditExpiry(BALANCE_TYPE, self._expires_at(account.valid_until))]

    def get_balance_types(
        self, app_id: str, end_user_identifier: str, *, pin: str | None
    ) -> list[str]:
        self._authorised(end_user_identifier, pin)
        return [BALANCE_TYPE]

    def balance_update(
        self,
        app_id: str,
        end_user_identifier: str,
        *,
        pin: str | None,
        reference_code: str,
        balance_type: str,
        amount: Decimal,
        period_days: int | None,
        currency: str | None = None,
    ) -> TransactionResult:
        """A direct recharge of a prepaid account; ``period_days`` makes it valid for at least
        that many days from today (never shorter than it was). ``currency``: the amount's, when
        the surface carries one (gRPC Money); it must be the account's. Parlay X's decimal
        amount is in the account's currency."""
        if not self.ledger.entitled(app_id, "recharge"):  # before anything about the account
            raise NotEntitled(app_id=app_id, operation="balanceUpdate")
        if balance_type != BALANCE_TYPE:
            raise InvalidInput(field="balanceType", reason=f"the balance type is {BALANCE_TYPE}")
        account = self._authorised(end_user_identifier, pin)
        if currency is not None and currency != account.currency:
            raise CurrencyMismatch(currency=currency, account_currency=account.currency)
        if account.kind is not Kind.PREPAID:
            raise InvalidInput(
                field="endUserIdentifier", reason="only prepaid accounts take credit"
            )
        return self.ledger.recharge(
            app_id=app_id,
            reference_code=reference_code,
            account=account.number,
            amount_minor=to_minor(amount, account.currency),
            currency=account.currency,
            description="balanceUpdate",
            extend_days=period_days,
        )

    def voucher_update(
        self,
        app_id: str,
        end_user_identifier: str,
        *,
        pin: str | None,
        reference_code: str,
        voucher_id: str,
        voucher_pin: str | None,
    ) -> TransactionResult:
        if not self.ledger.entitled(app_id, "voucher"):  # before anything about the account
            raise NotEntitled(app_id=app_id, operation="voucherUpdate")
        account = self._authorised(end_user_identifier, pin)
        if not self.vouchers_accepted or account.kind is not Kind.PREPAID:
            raise VouchersNotAccepted(account=account.number)
        if voucher_pin is None:  # every voucher micropay issues has a PIN
            raise VoucherInvalid(voucher_id=voucher_id)
        try:
            validate.pin(voucher_pin)
        except InvalidInput as exc:  # the ledger's "pin" is the end user's; this one is not
            raise InvalidInput(part="voucherPin", reason=exc.variables.get("reason", "")) from None
        return self.ledger.redeem_voucher(
            app_id=app_id,
            reference_code=reference_code,
            account=account.number,
            voucher_id=voucher_id,
            voucher_pin=voucher_pin,
        )

    def get_history(
        self,
        app_id: str,
        end_user_identifier: str,
        *,
        pin: str | None,
        since: datetime | None,
        entries_max: int | None,
    ) -> list[DatedTransaction]:
        """The most recent entries from ``since`` on, newest first. Entries another application
        made show their kind and amount, but not that application's texts or referenceCode."""
        if entries_max is not None and not 1 <= entries_max <= HISTORY_ENTRIES_MAX:
            raise InvalidInput(field="maxEntries", reason=f"from 1 to {HISTORY_ENTRIES_MAX}")
        account = self._authorised(end_user_identifier, pin)
        entries = self.ledger.history(account.number, since, entries_max)
        return [DatedTransaction(e.date, details(e, app_id)) for e in entries]

    # -- EXTENSION 1: getAccountStatus ---------------------------------------------------------
    def get_account_status(
        self, app_id: str, end_user_identifier: str, *, pin: str | None
    ) -> EligibilityStatus:
        """Is this account usable for a payment? An unregistered account is an answer."""
        who = end_user.parse(end_user_identifier)
        try:
            account = end_user.resolve(self.ledger, who)
        except UnregisteredAccount:
            return EligibilityStatus(who.uri, AccountStatus(who.uri, registered=False), None, None)
        if pin is not None:
            self.ledger.verify_pin(account.number, pin)
        status = self.ledger.status(account.number)
        expires_at = self._expires_at(status.valid_until)
        return EligibilityStatus(who.uri, status, expires_at, remaining_headroom(status))

    # -- EXTENSION 2: charging-event notifications --------------------------------------------
    def create_notification(
        self, app_id: str, callback: str, events: Sequence[str], users: Sequence[str]
    ) -> int:
        return self.notifications.create(app_id, callback, self.criteria(events, users))

    def change_notification(
        self, app_id: str, assignment_id: int, events: Sequence[str], users: Sequence[str]
    ) -> None:
        self.notifications.change(app_id, assignment_id, self.criteria(events, users))

    def get_notifications(self, app_id: str) -> list[Assignment]:
        return self.notifications.of_app(app_id)

    def destroy_notification(self, app_id: str, assignment_id: int) -> None:
        self.notifications.destroy(app_id, assignment_id)

    # -- EXTENSION 3: subscriber self-care (the selfcare grant) --------------------------------
    def _for_subscriber(self, app_id: str, end_user_identifier: str, operation: str) -> Account:
        if not self.ledger.entitled(app_id, "selfcare"):  # before anything about the account
            raise NotEntitled(app_id=app_id, operation=operation)
        return end_user.account_of(self.ledger, end_user_identifier)

    def suspend_account(self, app_id: str, end_user_identifier: str, *, pin: str | None) -> bool:
        account = self._for_subscriber(app_id, end_user_identifier, "suspendAccount")
        if pin is not None:
            self.ledger.verify_pin(account.number, pin)
        return self.ledger.suspend_by_subscriber(app_id, account.number)

    def resume_account(self, app_id: str, end_user_identifier: str, *, pin: str | None) -> bool:
        account = self._for_subscriber(app_id, end_user_identifier, "resumeAccount")
        return self.ledger.resume_by_subscriber(app_id, account.number, pin=pin)

    def change_monthly_limit(
        self, app_id: str, end_user_identifier: str, *, pin: str | None, limit: Decimal
    ) -> LimitChange:
        account = self._for_subscriber(app_id, end_user_identifier, "changeMonthlyLimit")
        return self.ledger.request_monthly_limit(
            app_id, account.number, to_minor(limit, account.currency), pin
        )

    def set_threshold(
        self,
        app_id: str,
        end_user_identifier: str,
        *,
        pin: str | None,
        kind: str,
        amount: Decimal | None,
    ) -> None:
        """``kind``: LargePaymentAlert or PaymentConfirmation; ``amount`` None turns it off."""
        account = self._for_subscriber(app_id, end_user_identifier, "setThreshold")
        if kind not in THRESHOLDS:
            raise InvalidInput(field="kind", reason=" or ".join(THRESHOLDS))
        if pin is not None:
            self.ledger.verify_pin(account.number, pin)
        minor = None if amount is None else to_minor(amount, account.currency)
        self.ledger.set_threshold(
            app_id, account.number, which=THRESHOLDS[kind], amount_minor=minor
        )

    def criteria(self, events: Sequence[str], users: Sequence[str]) -> Criteria:
        """Checked criteria: known event names; users that name registered accounts."""
        criteria = Criteria.parse(events, users)
        for user in criteria.end_users():
            end_user.resolve(self.ledger, user)  # UnregisteredAccount (POL1009) if not
        return criteria


def details(entry: HistoryEntry, app_id: str) -> str:
    """One DatedTransaction's text: ``charge -1500 KRW; balance 8500; Song 42; ref order-1``."""
    amount = from_minor(entry.amount_minor, entry.currency)
    after = from_minor(entry.ledger_balance_after_minor, entry.currency)
    parts = [f"{entry.kind.value} {amount:+} {entry.currency}", f"balance {after}"]
    if entry.app_id is not None and entry.app_id != app_id:
        parts.append("by another application")
    else:
        if entry.description:
            parts.append(entry.description)
        if entry.reference_code:
            parts.append(f"ref {entry.reference_code}")
    parts.append(f"id {entry.transaction_id}")
    return "; ".join(parts)
