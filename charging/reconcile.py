"""Reconciliation: does the ledger still add up? Read-only; safe to run while gateways write.

``reconcile(ledger)`` reads the whole ledger in ONE snapshot (SQLite WAL read transaction;
PostgreSQL ``REPEATABLE READ``) and checks the invariants the writers keep by construction, so that
a fault -- a killed gateway, a lost database connection, a bug -- that broke one shows up as a
named finding instead of a silently wrong balance:

==========================  =====================================================================
check                       what must hold
==========================  =====================================================================
zero_sum                    for each currency, the postings of every account sum to zero
transfer_balanced           every movement is two postings, one kind and currency, summing to zero
balance_is_history          an account's ledger balance is the sum of its entries
running_balance             each entry's balance-after is the previous one's plus its amount
entry_sign                  the account that pays a movement is debited, the account paid credited
                            (``charging.movements``: e.g. a charge debits the subscriber)
entry_currency              an entry is in its account's currency
prepaid_not_overdrawn       a prepaid account's balance less what it holds is never negative
float_not_overdrawn         an application's top-up float is never negative
reserved_is_reservations    what an account holds is the sum of its open reservations
reservation_charged         a reservation's charged figure is the sum of the charges against it
reservation_closed_empty    a released or expired reservation holds nothing
month_spend_is_history      this month's spend is the replay of the month's debits and refunds
one_entry_per_request       one (application, referenceCode) moved an account at most once
request_recorded            every entry with a referenceCode has its idempotency record
vouchers_credited           every redeemed voucher was credited once, for its amount
voucher_liability           the voucher liability is what the vouchers not yet redeemed are worth
event_counter               the event sequence counter is not behind the events it numbered
==========================  =====================================================================

The checks themselves live in ``charging.invariants``. A *note* is a state the rules allow but
an operator may want to see: ``over_monthly_limit`` (an operator lowered a limit below what was
already spent or reserved -- the ledger refuses new spending then but undoes nothing, see
``charging.admin.set_limits``). Notes do not make a report unclean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from charging import invariants
from storage import Database, Dialect

FINDINGS_MAX = 1000  # findings kept per report; the count goes on past it


@dataclass(frozen=True)
class Finding:
    check: str
    account: str | None
    detail: str


@dataclass
class Report:
    """What :func:`reconcile` found. ``clean`` when no invariant is broken."""

    accounts: int = 0  # subscribers' accounts
    system_accounts: int = 0  # the operator's (settlement, floats, funding, vouchers)
    entries: int = 0  # entries on subscribers' accounts (what getHistory shows)
    postings: int = 0  # entries on every account: two per movement
    transfers: int = 0  # movements
    open_reservations: int = 0
    requests: int = 0
    events: int = 0
    balance_by_currency_minor: dict[str, int] = field(default_factory=dict)  # subscribers' total
    system_balance_by_currency_minor: dict[str, int] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    problem_count: int = 0

    @property
    def clean(self) -> bool:
        return self.problem_count == 0

    def problem(self, check: str, account: str | None, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < FINDINGS_MAX:
            self.problems.append(Finding(check, account, detail))

    def note(self, check: str, account: str | None, detail: str) -> None:
        self.notes.append(Finding(check, account, detail))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["clean"] = self.clean
        return data

    def summary(self) -> str:
        state = "clean" if self.clean else f"{self.problem_count} problem(s)"
        return (
            f"ledger reconciliation: {state}; {self.accounts} accounts "
            f"(+{self.system_accounts} system), {self.transfers} movements, {self.entries} "
            f"subscriber entries, {self.open_reservations} open reservations, "
            f"{self.requests} requests, {self.events} events, {len(self.notes)} note(s)"
        )


def reconcile(ledger: Any) -> Report:
    """Check a :class:`charging.ledger.Ledger` (its database and time zone)."""
    return reconcile_database(ledger.db, ledger.tz)


def reconcile_database(db: Database, tz: ZoneInfo) -> Report:
    """Check the ledger tables of ``db``; months are counted in ``tz`` (``ledger.timezone``)."""
    report = Report()
    with db.transaction(write=False) as tx:
        if tx.dialect is Dialect.POSTGRESQL:
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # one snapshot
        invariants.check_all(tx, tz, report)
    return report
