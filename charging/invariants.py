"""The ledger's invariants, each one query (or a few) over one read snapshot, for
``charging.reconcile``: every broken one is reported as a named finding, never raised.

"Subscriber postings" are the entries on subscribers' accounts (what getHistory shows); the
operator's system accounts (``charging.movements``) hold the other side of every movement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from charging import clock, movements
from charging.entries import DEBITS
from charging.model import EntryKind
from storage.database import Transaction

if TYPE_CHECKING:
    from charging.reconcile import Report

_DEBIT_KINDS = tuple(k.value for k in DEBITS)
_SUBSCRIBER = "kind IN ('prepaid', 'postpaid')"
_ON_SUBSCRIBERS = f"account_number IN (SELECT number FROM ledger_accounts WHERE {_SUBSCRIBER})"


def check_all(tx: Transaction, tz: ZoneInfo, report: Report) -> None:
    """Run every check of the table in ``charging.reconcile`` into ``report``."""
    accounts = _accounts(tx)
    report.accounts = sum(1 for a in accounts.values() if a.subscriber)
    report.system_accounts = len(accounts) - report.accounts
    _check_accounts(tx, accounts, report)
    _check_transfers(tx, report)
    _check_entries(tx, accounts, report)
    _check_reservations(tx, accounts, report)
    _check_month_spend(tx, accounts, tz, report)
    _check_requests(tx, report)
    _check_vouchers(tx, report)
    _check_events(tx, report)


@dataclass(frozen=True)
class _Account:
    number: str
    kind: str
    currency: str
    ledger_balance_minor: int
    reserved_minor: int
    month_key: str
    month_spent_minor: int
    monthly_limit_minor: int | None

    @property
    def subscriber(self) -> bool:
        return self.kind in ("prepaid", "postpaid")


def _accounts(tx: Transaction) -> dict[str, _Account]:
    rows = tx.all(
        "SELECT number, kind, currency, ledger_balance_minor, reserved_minor, month_key, "
        "month_spent_minor, monthly_limit_minor FROM ledger_accounts"
    )
    return {
        r[0]: _Account(
            r[0],
            r[1],
            r[2],
            int(r[3]),
            int(r[4]),
            r[5],
            int(r[6]),
            None if r[7] is None else int(r[7]),
        )
        for r in rows
    }


def _check_accounts(tx: Transaction, accounts: dict[str, _Account], report: Report) -> None:
    sums = {
        r[0]: (int(r[1]), int(r[2]))
        for r in tx.all(
            "SELECT account_number, COALESCE(SUM(amount_minor), 0), COUNT(*) FROM ledger_entries "
            "GROUP BY account_number"
        )
    }
    subscribers: dict[str, int] = defaultdict(int)
    system: dict[str, int] = defaultdict(int)
    for number, a in accounts.items():
        total, count = sums.get(number, (0, 0))
        report.postings += count
        if a.subscriber:
            report.entries += count
            subscribers[a.currency] += a.ledger_balance_minor
        else:
            system[a.currency] += a.ledger_balance_minor
        if total != a.ledger_balance_minor:
            report.problem(
                "balance_is_history",
                number,
                f"ledger balance {a.ledger_balance_minor} but its entries sum to {total}",
            )
        if a.kind == "prepaid" and a.ledger_balance_minor - a.reserved_minor < 0:
            report.problem(
                "prepaid_not_overdrawn",
                number,
                f"balance {a.ledger_balance_minor} less reserved {a.reserved_minor} is negative",
            )
        if a.kind == "float" and a.ledger_balance_minor < 0:
            report.problem("float_not_overdrawn", number, f"balance {a.ledger_balance_minor}")
        if a.monthly_limit_minor is not None and (
            a.month_spent_minor + a.reserved_minor > a.monthly_limit_minor
        ):
            report.note(
                "over_monthly_limit",
                number,
                f"spent {a.month_spent_minor} + reserved {a.reserved_minor} in {a.month_key} "
                f"above the limit {a.monthly_limit_minor} (lowered after spending?)",
            )
    for number in sums.keys() - accounts.keys():
        report.problem("balance_is_history", number, "entries of an account that does not exist")
    report.balance_by_currency_minor = dict(sorted(subscribers.items()))
    report.system_balance_by_currency_minor = dict(sorted(system.items()))
    # With every balance its history (above), postings that sum to zero are accounts that do.
    for currency, total in tx.all(
        "SELECT currency, SUM(amount_minor) FROM ledger_entries GROUP BY currency "
        "HAVING SUM(amount_minor) <> 0 ORDER BY currency"
    ):
        report.problem("zero_sum", None, f"the {currency} postings sum to {total}, not 0")


def _check_transfers(tx: Transaction, report: Report) -> None:
    """Every movement is two postings of one kind and currency that cancel out."""
    report.transfers = int(
        tx.one("SELECT COUNT(DISTINCT transfer_id) FROM ledger_entries")[0]  # type: ignore[index]
    )
    for transfer, count, total, kinds, currencies in tx.all(
        "SELECT transfer_id, COUNT(*), SUM(amount_minor), COUNT(DISTINCT kind), "
        "COUNT(DISTINCT currency) FROM ledger_entries GROUP BY transfer_id "
        "HAVING COUNT(*) <> 2 OR SUM(amount_minor) <> 0 OR COUNT(DISTINCT kind) <> 1 "
        "OR COUNT(DISTINCT currency) <> 1 OR transfer_id IS NULL ORDER BY transfer_id"
    ):
        report.problem(
            "transfer_balanced",
            None,
            f"transfer {transfer}: {count} postings summing to {total} "
            f"({kinds} kinds, {currencies} currencies)",
        )


def _expected_sign(kind: str, role: str) -> int:
    """+1 when ``role`` is paid by a movement of ``kind``, -1 when it pays, 0 when it has no
    part in such a movement."""
    try:
        sources, destination = movements.MOVEMENTS[EntryKind(kind)]
    except ValueError:
        return 0
    if role == destination:
        return 1
    return -1 if role in sources else 0


def _check_entries(tx: Transaction, accounts: dict[str, _Account], report: Report) -> None:
    broken = tx.all(
        "SELECT account_number, id, amount_minor, after_minor, before_minor FROM ("
        " SELECT account_number, id, amount_minor, ledger_balance_after_minor AS after_minor,"
        " COALESCE(LAG(ledger_balance_after_minor) OVER"
        " (PARTITION BY account_number ORDER BY id), 0) AS before_minor FROM ledger_entries"
        ") AS chain WHERE before_minor + amount_minor <> after_minor ORDER BY id"
    )
    for number, entry_id, amount, after, before in broken:
        report.problem(
            "running_balance",
            number,
            f"entry {entry_id}: {before} + {amount} recorded as {after}",
        )
    for number, entry_id, kind, amount in tx.all(
        "SELECT account_number, id, kind, amount_minor FROM ledger_entries ORDER BY id"
    ):
        account = accounts.get(number)
        if account is None:
            continue  # reported as balance_is_history
        sign = _expected_sign(kind, movements.role(account.kind))
        if sign == 0 or (amount > 0) != (sign > 0) or amount == 0:
            report.problem("entry_sign", number, f"entry {entry_id}: {kind} of {amount}")
    for number, entry_id, currency in tx.all(
        "SELECT e.account_number, e.id, e.currency FROM ledger_entries e "
        "JOIN ledger_accounts a ON a.number = e.account_number WHERE e.currency <> a.currency"
    ):
        wanted = accounts[number].currency if number in accounts else "?"
        report.problem("entry_currency", number, f"entry {entry_id} in {currency}, not {wanted}")


def _check_reservations(tx: Transaction, accounts: dict[str, _Account], report: Report) -> None:
    held: dict[str, int] = defaultdict(int)
    for number, reserved, count in tx.all(
        "SELECT account_number, SUM(reserved_minor), COUNT(*) FROM ledger_reservations "
        "WHERE state = 'open' GROUP BY account_number"
    ):
        held[number] = int(reserved)
        report.open_reservations += int(count)
    for number, a in accounts.items():
        if a.reserved_minor != held.get(number, 0):
            report.problem(
                "reserved_is_reservations",
                number,
                f"account holds {a.reserved_minor}, open reservations {held.get(number, 0)}",
            )
    charged = {
        r[0]: -int(r[1])
        for r in tx.all(
            "SELECT reservation_id, SUM(amount_minor) FROM ledger_entries "
            f"WHERE kind = ? AND reservation_id IS NOT NULL AND {_ON_SUBSCRIBERS} "
            "GROUP BY reservation_id",
            (EntryKind.RESERVATION_CHARGE.value,),
        )
    }
    for rid, number, state, reserved, charged_minor in tx.all(
        "SELECT id, account_number, state, reserved_minor, charged_minor FROM ledger_reservations"
    ):
        if int(charged_minor) != charged.get(rid, 0):
            report.problem(
                "reservation_charged",
                number,
                f"reservation {rid[:8]}…: charged {charged_minor}, entries {charged.get(rid, 0)}",
            )
        if state != "open" and int(reserved) != 0:
            report.problem(
                "reservation_closed_empty",
                number,
                f"{state} reservation {rid[:8]}… holds {reserved}",
            )


def _check_month_spend(
    tx: Transaction, accounts: dict[str, _Account], tz: ZoneInfo, report: Report
) -> None:
    """Replay each subscriber's stored month as ``charging.entries.record`` does: debits add to
    the spend, refunds take from it but never below zero, everything else leaves it."""
    by_month: dict[str, list[str]] = defaultdict(list)
    for number, a in accounts.items():
        if a.subscriber:
            by_month[a.month_key].append(number)
    for month, numbers in by_month.items():
        start, end = clock.month_bounds(month, tz)
        spent: dict[str, int] = defaultdict(int)
        for number, kind, amount in tx.all(
            "SELECT account_number, kind, amount_minor FROM ledger_entries "
            f"WHERE created_at >= ? AND created_at < ? AND kind IN (?, ?, ?) AND {_ON_SUBSCRIBERS} "
            "ORDER BY id",
            (start, end, *_DEBIT_KINDS, EntryKind.REFUND.value),
        ):
            if kind == EntryKind.REFUND.value:
                spent[number] = max(0, spent[number] - int(amount))
            else:
                spent[number] += -int(amount)
        for number in numbers:
            stored = accounts[number].month_spent_minor
            if stored != spent.get(number, 0):
                report.problem(
                    "month_spend_is_history",
                    number,
                    f"{month}: spend {stored}, its entries replay to {spent.get(number, 0)}",
                )


def _check_requests(tx: Transaction, report: Report) -> None:
    report.requests = int(tx.one("SELECT COUNT(*) FROM ledger_requests")[0])  # type: ignore[index]
    for app_id, reference_code, number, count in tx.all(
        "SELECT app_id, reference_code, account_number, COUNT(*) FROM ledger_entries "
        f"WHERE reference_code IS NOT NULL AND {_ON_SUBSCRIBERS} "
        "GROUP BY app_id, reference_code, account_number HAVING COUNT(*) > 1"
    ):
        report.problem(
            "one_entry_per_request",
            number,
            f"{app_id}/{reference_code} moved the account {count} times",
        )
    for app_id, reference_code, number in tx.all(
        "SELECT e.app_id, e.reference_code, e.account_number FROM ledger_entries e "
        "LEFT JOIN ledger_requests r ON r.app_id = e.app_id AND r.reference_code = e.reference_code "
        "WHERE e.reference_code IS NOT NULL AND r.app_id IS NULL"
    ):
        report.problem("request_recorded", number, f"{app_id}/{reference_code} has no record")


def _check_vouchers(tx: Transaction, report: Report) -> None:
    redeemed = tx.one(
        "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0) FROM ledger_vouchers "
        "WHERE state = 'redeemed'"
    )
    credited = tx.one(
        "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0) FROM ledger_entries "
        f"WHERE kind = ? AND {_ON_SUBSCRIBERS}",
        (EntryKind.VOUCHER.value,),
    )
    assert redeemed is not None and credited is not None
    if (int(redeemed[0]), int(redeemed[1])) != (int(credited[0]), int(credited[1])):
        report.problem(
            "vouchers_credited",
            None,
            f"{redeemed[0]} vouchers redeemed for {redeemed[1]}, "
            f"{credited[0]} voucher credits for {credited[1]}",
        )
    outstanding = {
        r[0]: int(r[1])
        for r in tx.all(
            "SELECT currency, SUM(amount_minor) FROM ledger_vouchers WHERE state = 'issued' "
            "GROUP BY currency"
        )
    }
    liability = {
        r[0]: int(r[1])
        for r in tx.all(
            "SELECT currency, SUM(ledger_balance_minor) FROM ledger_accounts "
            "WHERE kind = 'voucher_liability' GROUP BY currency"
        )
    }
    for currency in sorted(outstanding.keys() | liability.keys()):
        owed, held = outstanding.get(currency, 0), liability.get(currency, 0)
        if owed != held:
            report.problem(
                "voucher_liability",
                None,
                f"{currency}: vouchers not yet redeemed {owed}, voucher liability {held}",
            )


def _check_events(tx: Transaction, report: Report) -> None:
    row = tx.one("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM ledger_events")
    counter = tx.one("SELECT value FROM ledger_counters WHERE name = 'event_seq'")
    assert row is not None
    report.events = int(row[0])
    if counter is None or int(counter[0]) < int(row[1]):
        report.problem(
            "event_counter",
            None,
            f"counter {None if counter is None else counter[0]} behind event {row[1]}",
        )
