"""Account Management: status, balances, history and the end user's PIN (TS 29.199-7 §8.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apps.interop.catalogue.common import AM_EXT, MALFORMED_TEL, MICROPAY_FAULTS, PX1, PX7
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

PIN_ATTEMPTS_MAX = 10


def _iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- getAccountStatus (extension) -------------------------------------------------------------
@tp("AM/STA/BV-01", "getAccountStatus of a usable account",
    clause=f"{AM_EXT}: getAccountStatus",
    pre="A funded test account",
    stimulus="getAccountStatus(account, '') and getBalance(account, '')",
    expected="registered, state Active, an ISO 4217 currency, and the balance getBalance reports",
    covers=("getAccountStatus",))  # fmt: skip
def status_active(ctx: Any) -> None:
    account = ctx.account("funded")
    status = ctx.status(account)
    assert status.registered and status.state == "Active", (
        f"{status.state}, registered={status.registered}"
    )
    assert len(status.currency) == 3 and status.currency.isalpha(), f"currency {status.currency!r}"
    balance = ctx.balance(account)
    assert status.balance == balance, f"status balance {status.balance} != getBalance {balance}"


@tp("AM/STA/BV-02", "An unregistered end user is an answer, not a fault",
    clause=f"{AM_EXT}: getAccountStatus ('an unregistered account is an answer')",
    pre="A test address without an account (role unregistered)",
    stimulus="getAccountStatus(address, '')",
    expected="registered FALSE, state Unregistered",
    covers=("getAccountStatus",))  # fmt: skip
def status_unregistered(ctx: Any) -> None:
    status = ctx.status(ctx.account("unregistered"))
    assert not status.registered and status.state == "Unregistered", (
        f"registered={status.registered}, state {status.state}"
    )


@tp("AM/STA/BV-03", "The remaining headroom is the least of balance and limits",
    clause=f"{AM_EXT}: AccountStatus.remainingHeadroom",
    pre="A test account with a per-transaction or monthly limit and no open reservation",
    stimulus="getAccountStatus(account, '')",
    expected="remainingHeadroom = min(balance, monthlyLimit - monthToDateSpend, transactionLimit)",
    covers=("getAccountStatus",))  # fmt: skip
def status_headroom(ctx: Any) -> None:
    accounts = ctx.accounts("limited") + ctx.accounts("monthly")
    if not accounts:
        raise Inconclusive("no test account with a limit (role limited or monthly)")
    for account in accounts:
        s = ctx.status(account)
        bounds = [s.balance]
        if s.monthly_limit is not None:
            bounds.append(s.monthly_limit - (s.month_to_date_spend or 0))
        if s.transaction_limit is not None:
            bounds.append(s.transaction_limit)
        expected = max(min(b for b in bounds if b is not None), 0)
        assert s.remaining_headroom == expected, (
            f"{account.address}: headroom {s.remaining_headroom}, expected {expected} from {bounds}"
        )


@tp("AM/STA/BV-04", "Accounts the operator suspended, expired or closed say so",
    clause=f"{AM_EXT}: AccountStatus.state",
    pre="Test accounts the profile declares suspended, expired or closed",
    stimulus="getAccountStatus(account, '') for each",
    expected="state Suspended, Expired or Closed as declared",
    covers=("getAccountStatus",))  # fmt: skip
def status_states(ctx: Any) -> None:
    checked = 0
    for account in ctx.profile.accounts:
        for role in {"suspended", "expired", "closed"} & account.roles:
            state = ctx.status(account).state
            assert state == role.capitalize(), f"{account.address}: state {state}, declared {role}"
            checked += 1
    if not checked:
        raise Inconclusive("the profile declares no suspended, expired or closed account")


@tp("AM/STA/BV-05", "getAccountStatus says when the end user's PIN is needed",
    clause=f"{AM_EXT}: AccountStatus.pinRequired",
    pre="A test account with a PIN (profile pin=...)",
    stimulus="getAccountStatus(account, '')",
    expected="pinRequired TRUE (the application must ask for the PIN before charging)",
    covers=("getAccountStatus",))  # fmt: skip
def status_pin(ctx: Any) -> None:
    account = ctx.account("pinned")
    required = ctx.status(account).pin_required
    if required is None:
        raise Inconclusive("the IUT's AccountStatus has no pinRequired")
    assert required, f"{account.address} has a PIN but pinRequired is FALSE"


@tp("AM/STA/BI-01", "getAccountStatus of a malformed address is refused",
    clause=f"{PX1} §5.1 addresses; SVC0002",
    pre="None",
    stimulus=f"getAccountStatus('{MALFORMED_TEL}', '')",
    expected="ServiceException SVC0002",
    covers=("SVC0002",))  # fmt: skip
def status_malformed(ctx: Any) -> None:
    expect_refusal(lambda: ctx.am.getAccountStatus(MALFORMED_TEL, ""), "SVC0002")


# -- balances ----------------------------------------------------------------------------------
@tp("AM/BAL/BV-01", "getBalance reports the account's balance",
    clause=f"{PX7} §8.1.1 getBalance",
    pre="A funded test account",
    stimulus="getBalance(account, '')",
    expected="At least one Balance with a balanceType and a decimal amount",
    covers=("getBalance",))  # fmt: skip
def balance(ctx: Any) -> None:
    found = ctx.am.getBalance(ctx.account("funded").address, "")
    assert found, "no Balance"
    for balance_type, amount in found:
        assert balance_type, "a Balance without balanceType"
        assert amount.is_finite(), amount
    ctx.note(f"balances {[(t, f'{a:f}') for t, a in found]}")


@tp("AM/BAL/BV-02", "getBalanceTypes names the balance types",
    clause=f"{PX7} §8.1.6 getBalanceTypes",
    pre="A funded test account",
    stimulus="getBalanceTypes(account, '')",
    expected="A non-empty list that includes every balanceType getBalance reports",
    covers=("getBalanceTypes",))  # fmt: skip
def balance_types(ctx: Any) -> None:
    account = ctx.account("funded")
    types = ctx.am.getBalanceTypes(account.address, "")
    assert types, "no balance type"
    for balance_type, _ in ctx.am.getBalance(account.address, ""):
        assert balance_type in types, f"{balance_type} is not in getBalanceTypes {types}"


@tp("AM/BAL/BV-03", "getCreditExpiryDate reports when each balance expires",
    clause=f"{PX7} §8.1.2 getCreditExpiryDate",
    pre="A funded test account",
    stimulus="getCreditExpiryDate(account, '')",
    expected="BalanceExpireDetails per balance type; date absent or ISO 8601 in the future",
    covers=("getCreditExpiryDate",))  # fmt: skip
def credit_expiry(ctx: Any) -> None:
    found = ctx.am.getCreditExpiryDate(ctx.account("funded").address, "")
    assert found, "no BalanceExpireDetails"
    for balance_type, date in found:
        assert balance_type, "no balanceType"
        if date:
            assert _iso(date) > datetime.now(UTC), f"a usable account expires in the past: {date}"


@tp("AM/BAL/BV-04", "The end user's right PIN is accepted",
    clause=f"{PX7} §8.1 (endUserPin)",
    pre="A test account with a PIN (profile pin=...)",
    stimulus="getBalance(account, the right PIN)",
    expected="The balance",
    covers=("getBalance",))  # fmt: skip
def right_pin(ctx: Any) -> None:
    account = ctx.account("pinned", exclude=tuple(ctx.accounts("lockable")))
    assert ctx.am.getBalance(account.address, account.pin), "no Balance"


@tp("AM/BAL/BI-01", "getBalance of an unregistered end user is refused",
    clause=f"{PX7} §8.1.1 getBalance; {MICROPAY_FAULTS} POL1009",
    pre="A test address without an account",
    stimulus="getBalance(address, '')",
    expected="PolicyException POL1009 (User has not been provisioned)",
    covers=("POL1009",))  # fmt: skip
def balance_unregistered(ctx: Any) -> None:
    expect_refusal(lambda: ctx.am.getBalance(ctx.account("unregistered").address, ""), "POL1009")


@tp("AM/BAL/BI-02", "getBalance of a malformed address is refused",
    clause=f"{PX7} §8.1.1 getBalance (SVC0002); {PX1} §5.1",
    pre="None",
    stimulus=f"getBalance('{MALFORMED_TEL}', '')",
    expected="ServiceException SVC0002",
    covers=("SVC0002",))  # fmt: skip
def balance_malformed(ctx: Any) -> None:
    expect_refusal(lambda: ctx.am.getBalance(MALFORMED_TEL, ""), "SVC0002")


@tp("AM/BAL/BI-03", "getBalanceTypes of an unregistered end user is refused",
    clause=f"{PX7} §8.1.6 getBalanceTypes; POL1009",
    pre="A test address without an account",
    stimulus="getBalanceTypes(address, '')",
    expected="PolicyException POL1009",
    covers=("POL1009",))  # fmt: skip
def types_unregistered(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.am.getBalanceTypes(ctx.account("unregistered").address, ""), "POL1009"
    )


@tp("AM/BAL/BI-04", "getCreditExpiryDate of an unregistered end user is refused",
    clause=f"{PX7} §8.1.2 getCreditExpiryDate; POL1009",
    pre="A test address without an account",
    stimulus="getCreditExpiryDate(address, '')",
    expected="PolicyException POL1009",
    covers=("POL1009",))  # fmt: skip
def expiry_unregistered(ctx: Any) -> None:
    address = ctx.account("unregistered").address
    expect_refusal(lambda: ctx.am.getCreditExpiryDate(address, ""), "POL1009")


# -- PIN ----------------------------------------------------------------------------------------
@tp("AM/PIN/BI-01", "A wrong end-user PIN is refused",
    clause=f"{PX7} §9 SVC0250 (End user authentication failed)",
    pre="A test account with a PIN",
    stimulus="getBalance(account, a wrong PIN); then the right PIN (resets the failure count)",
    expected="ServiceException SVC0250",
    covers=("SVC0250",))  # fmt: skip
def wrong_pin(ctx: Any) -> None:
    account = ctx.account("pinned", exclude=tuple(ctx.accounts("lockable")))
    wrong = "0000" if account.pin != "0000" else "1111"
    try:
        expect_refusal(lambda: ctx.am.getBalance(account.address, wrong), "SVC0250")
    finally:
        try:
            ctx.am.getBalance(account.address, account.pin)
        except Refusal as refusal:
            ctx.note(f"the right PIN afterwards: {refusal.describe()}")


@tp("AM/PIN/BO-01", "Repeated wrong PINs lock the end user's PIN",
    clause=f"{PX7} §8.1 (endUserPin); {MICROPAY_FAULTS} POL1103",
    pre="A test account the operator lets the harness lock (role lockable, with its PIN)",
    stimulus=f"getBalance(account, a wrong PIN) until refused otherwise (at most {PIN_ATTEMPTS_MAX})",
    expected="SVC0250 at first, then PolicyException POL1103; then even the right PIN is POL1103",
    destructive=True, covers=("POL1103",))  # fmt: skip
def pin_lockout(ctx: Any) -> None:
    account = ctx.account("lockable")
    if not account.pin:
        raise Inconclusive(f"{account.address} is lockable but the profile gives no PIN")
    wrong = "0000" if account.pin != "0000" else "1111"
    for attempt in range(1, PIN_ATTEMPTS_MAX + 1):
        try:
            ctx.am.getBalance(account.address, wrong)
        except Refusal as refusal:
            if refusal.name == "POL1103":
                expect_refusal(lambda: ctx.am.getBalance(account.address, account.pin), "POL1103")
                ctx.note(f"locked after {attempt} wrong PIN(s)")
                return
            assert refusal.name == "SVC0250", f"attempt {attempt}: {refusal.describe()}"
            continue
        raise AssertionError(f"attempt {attempt}: a wrong PIN was accepted")
    raise AssertionError(f"no lock-out after {PIN_ATTEMPTS_MAX} wrong PINs")


# -- history ------------------------------------------------------------------------------------
@tp("AM/HIS/BV-01", "getHistory returns at most maxEntries, newest first",
    clause=f"{PX7} §8.1.5 getHistory",
    pre="A funded test account",
    stimulus="getHistory(account, '', no date, maxEntries 5)",
    expected="At most 5 DatedTransactions with ISO 8601 dates, newest first",
    covers=("getHistory",))  # fmt: skip
def history(ctx: Any) -> None:
    entries = ctx.am.getHistory(ctx.account("funded").address, "", "", 5)
    assert len(entries) <= 5, f"{len(entries)} entries for maxEntries 5"
    dates = [_iso(d) for d, _ in entries]
    assert dates == sorted(dates, reverse=True), "not newest first"
    ctx.note(f"{len(entries)} entries")


@tp("AM/HIS/BV-02", "A charge appears in the history from its date on",
    clause=f"{PX7} §8.1.5 getHistory (date)",
    pre="A funded test account; Payment is offered to the application",
    stimulus="chargeAmount(small), then getHistory(account, '', a moment before it, no maximum)",
    expected="At least one entry, each dated at or after that moment (the charge is refunded after)",
    destructive=True, covers=("getHistory",))  # fmt: skip
def history_after_charge(ctx: Any) -> None:
    account = ctx.account("funded")
    since = datetime.now(UTC) - timedelta(seconds=2)
    ctx.pay.chargeAmount(account.address, ctx.charge(account, ctx.small(account)), ctx.ref())
    stamp = since.isoformat().replace("+00:00", "Z")
    entries = ctx.am.getHistory(account.address, "", stamp, None)
    assert entries, "the charge is not in the history"
    for date, _ in entries:
        assert _iso(date) >= since.replace(microsecond=0) - timedelta(seconds=1), (
            f"{date} is before {stamp}"
        )


@tp("AM/HIS/BV-03", "getHistory from a future date is empty",
    clause=f"{PX7} §8.1.5 getHistory (date)",
    pre="A funded test account",
    stimulus="getHistory(account, '', tomorrow, no maximum)",
    expected="No entries",
    covers=("getHistory",))  # fmt: skip
def history_future(ctx: Any) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    entries = ctx.am.getHistory(
        ctx.account("funded").address, "", tomorrow.isoformat().replace("+00:00", "Z"), None
    )
    assert entries == [], f"{len(entries)} entries dated in the future"


@tp("AM/HIS/BI-01", "getHistory of an unregistered end user is refused",
    clause=f"{PX7} §8.1.5 getHistory; POL1009",
    pre="A test address without an account",
    stimulus="getHistory(address, '', no date, no maximum)",
    expected="PolicyException POL1009",
    covers=("POL1009",))  # fmt: skip
def history_unregistered(ctx: Any) -> None:
    address = ctx.account("unregistered").address
    expect_refusal(lambda: ctx.am.getHistory(address, "", "", None), "POL1009")


@tp("AM/HIS/BI-02", "getHistory with maxEntries 0 is refused",
    clause=f"{PX7} §8.1.5 getHistory (maxEntries); {PX1} SVC0002",
    pre="A funded test account",
    stimulus="getHistory(account, '', no date, maxEntries 0)",
    expected="ServiceException SVC0002 naming maxEntries",
    covers=("SVC0002",))  # fmt: skip
def history_zero(ctx: Any) -> None:
    address = ctx.account("funded").address
    expect_refusal(lambda: ctx.am.getHistory(address, "", "", 0), "SVC0002", part="maxEntries")


@tp("AM/HIS/BI-03", "getHistory with a malformed date is refused",
    clause=f"{PX7} §8.1.5 getHistory (date: xsd:dateTime); SVC0002",
    pre="A funded test account",
    stimulus="getHistory(account, '', 'yesterday', no maximum)",
    expected="ServiceException SVC0002 naming date",
    transports=("corba",), covers=("SVC0002",))  # fmt: skip
def history_bad_date(ctx: Any) -> None:
    address = ctx.account("funded").address
    expect_refusal(
        lambda: ctx.am.getHistory(address, "", "yesterday", None), "SVC0002", part="date"
    )
