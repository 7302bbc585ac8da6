"""Random interleavings of every ledger operation, against a small model of what must happen.

After every step: no prepaid balance is overspent, no monthly limit is exceeded, each account's
history sums to its balance, the ledger agrees with the model on balance, reservations and
month-to-date spend, every movement is two postings that cancel out, and each currency sums to
zero. An application "topper" recharges from a float the operator funds, within a daily cap. Each refusal must be one the model expects, and each success too. Replays of
earlier requests return their first outcome and change nothing.

Runs on SQLite (the PostgreSQL backend runs the same operations in the other tests); argon2 runs
with cheap parameters here -- this test is about money, not hashing.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from charging import clock as ledger_clock
from charging import pins
from charging.errors import DomainError, UnknownReservation
from charging.ledger import Ledger
from tests.charging.conftest import FakeClock
from tests.charging.helpers import assert_reconciles, table_counts

TTL_S = 60
ACCOUNTS = {
    # number: (kind, opening balance, monthly limit, per-transaction limit)
    "1001": ("prepaid", 5_000, 6_000, 2_000),
    "1002": ("postpaid", 0, 5_000, 3_000),
}
AMOUNTS = st.integers(min_value=1, max_value=3_000)
TOPPER_DAILY_CAP = 5_000  # what "topper" may recharge per day
NUMBERS = st.sampled_from(sorted(ACCOUNTS))


@dataclass
class Held:
    account: str
    remaining: int
    expires_at: datetime
    charged: int = 0
    open: bool = True


class LedgerMachine(RuleBasedStateMachine):
    reservations = Bundle("reservations")
    vouchers = Bundle("vouchers")

    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="ledger-sm-")
        self.clock = FakeClock()
        self.ledger = Ledger.open(
            f"sqlite:///{self.dir}/ledger.db", clock=self.clock, reservation_ttl_s=TTL_S
        )
        self.balance: dict[str, int] = {}
        self.spent: dict[str, int] = {}
        self.charged: dict[str, int] = {}  # what the app charged, net of refunds
        self.ledger.grant("app", "voucher")
        self.ledger.grant("topper", "recharge", currency="KRW", daily_cap_minor=TOPPER_DAILY_CAP)
        self.float = 0  # topper's float
        self.topped: dict[str, int] = {}  # day -> what topper recharged that day
        self.month = ledger_clock.month_key(self.clock.now, self.ledger.tz)
        self.active: dict[str, bool] = {}
        self.held: dict[str, Held] = {}
        self.done: list[tuple[str, dict[str, object], object]] = []
        self.serial = 0
        for number, (kind, balance, monthly, per_tx) in ACCOUNTS.items():
            self.ledger.create_account(
                number,
                msisdn=f"tel:+8210{int(number):08d}",
                currency="KRW",
                kind=kind,
                balance_minor=balance,
                monthly_limit_minor=monthly,
                transaction_limit_minor=per_tx,
                low_balance_minor=1_000,
            )
            self.balance[number], self.spent[number], self.charged[number] = balance, 0, 0
            self.active[number] = True

    def teardown(self) -> None:
        self.ledger.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- the model ------------------------------------------------------------------------------
    def ref(self) -> str:
        self.serial += 1
        return f"ref-{self.serial}"

    def reserved(self, number: str) -> int:
        return sum(h.remaining for h in self.held.values() if h.account == number and h.open)

    def may_spend(self, number: str, amount: int, transaction_total: int | None = None) -> bool:
        kind, _, monthly, per_tx = ACCOUNTS[number]
        return (
            self.active[number]
            and (transaction_total or amount) <= per_tx
            and self.spent[number] + self.reserved(number) + amount <= monthly
            and (kind == "postpaid" or self.balance[number] - self.reserved(number) >= amount)
        )

    def call(self, method: str, *, expect: bool, **kwargs) -> object | None:
        """Call the ledger; the model's ``expect`` must match whether it succeeded."""
        try:
            result = getattr(self.ledger, method)(**kwargs)
        except DomainError as exc:
            assert not expect, f"{method}{kwargs} refused unexpectedly: {exc!r}"
            return None
        assert expect, f"{method}{kwargs} succeeded but the model expected a refusal"
        if method in ("charge", "refund", "recharge"):
            self.done.append((method, kwargs, result))
        return result

    # -- rules ------------------------------------------------------------------------------------
    @rule(number=NUMBERS, amount=AMOUNTS)
    def charge(self, number: str, amount: int) -> None:
        ok = self.may_spend(number, amount)
        if self.call(
            "charge",
            app_id="app",
            reference_code=self.ref(),
            account=number,
            amount_minor=amount,
            currency="KRW",
            description="x",
            expect=ok,
        ):
            self.balance[number] -= amount
            self.spent[number] += amount
            self.charged[number] += amount

    @rule(number=NUMBERS, amount=AMOUNTS)
    def refund(self, number: str, amount: int) -> None:
        ok = amount <= self.charged[number]
        if self.call(
            "refund",
            app_id="app",
            reference_code=self.ref(),
            account=number,
            amount_minor=amount,
            currency="KRW",
            description="x",
            expect=ok,
        ):
            self.balance[number] += amount
            self.spent[number] = max(0, self.spent[number] - amount)
            self.charged[number] -= amount

    @rule(amount=AMOUNTS)
    def recharge(self, amount: int) -> None:
        self.call(
            "recharge",
            app_id="operator",
            reference_code=self.ref(),
            account="1001",
            amount_minor=amount,
            currency="KRW",
            expect=True,
        )
        self.balance["1001"] += amount

    @rule(amount=AMOUNTS)
    def fund_float(self, amount: int) -> None:
        self.ledger.fund_float(
            app_id="topper", amount_minor=amount, currency="KRW", reference_code=self.ref()
        )
        self.float += amount

    @rule(amount=AMOUNTS)
    def recharge_from_the_float(self, amount: int) -> None:
        day = self.clock.now.astimezone(self.ledger.tz).date().isoformat()
        ok = amount <= self.float and self.topped.get(day, 0) + amount <= TOPPER_DAILY_CAP
        if self.call(
            "recharge",
            app_id="topper",
            reference_code=self.ref(),
            account="1001",
            amount_minor=amount,
            currency="KRW",
            expect=ok,
        ):
            self.balance["1001"] += amount
            self.float -= amount
            self.topped[day] = self.topped.get(day, 0) + amount

    @rule(target=reservations, number=NUMBERS, amount=AMOUNTS)
    def reserve(self, number: str, amount: int) -> str:
        ok = self.may_spend(number, amount)
        rid = self.call(
            "reserve",
            app_id="app",
            account=number,
            amount_minor=amount,
            currency="KRW",
            description="r",
            expect=ok,
        )
        if rid is None:
            return "no-such-reservation"
        self.held[rid] = Held(number, amount, self.clock.now + timedelta(seconds=TTL_S))
        return rid

    def usable(self, rid: str) -> Held | None:
        held = self.held.get(rid)
        return held if held and held.open and self.clock.now < held.expires_at else None

    @rule(rid=reservations, amount=AMOUNTS)
    def reserve_additional(self, rid: str, amount: int) -> None:
        held = self.usable(rid)
        # The per-transaction limit bounds the whole reservation, charged part included.
        total = None if held is None else held.remaining + held.charged + amount
        ok = held is not None and self.may_spend(held.account, amount, total)
        if self.call(
            "reserve_additional",
            app_id="app",
            reservation_id=rid,
            amount_minor=amount,
            currency="KRW",
            description="more",
            expect=ok,
        ):
            assert held is not None
            held.remaining += amount
            held.expires_at = self.clock.now + timedelta(seconds=TTL_S)

    @rule(rid=reservations, amount=st.one_of(st.integers(min_value=1, max_value=400), AMOUNTS))
    def charge_reservation(self, rid: str, amount: int) -> None:
        held = self.usable(rid)
        ok = held is not None and self.active[held.account] and amount <= held.remaining
        if self.call(
            "charge_reservation",
            app_id="app",
            reference_code=self.ref(),
            reservation_id=rid,
            amount_minor=amount,
            currency="KRW",
            description="c",
            expect=ok,
        ):
            assert held is not None
            held.remaining -= amount
            self.balance[held.account] -= amount
            self.spent[held.account] += amount
            self.charged[held.account] += amount
            held.charged += amount

    @rule(rid=consumes(reservations))
    def release(self, rid: str) -> None:
        held = self.held.get(rid)
        try:
            info = self.ledger.release_reservation("app", rid)
        except UnknownReservation:
            assert held is None
            return
        assert held is not None and info.reserved_minor == 0
        held.open = False

    @rule()
    def sweep(self) -> None:
        due = [h for h in self.held.values() if h.open and h.expires_at <= self.clock.now]
        assert self.ledger.sweep_expired_reservations() == len(due)
        for held in due:
            held.open = False

    @rule(seconds=st.sampled_from([1, 30, 61, 86_400 * 20]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)
        month = ledger_clock.month_key(self.clock.now, self.ledger.tz)
        if month != self.month:
            self.month = month
            self.spent = dict.fromkeys(self.spent, 0)

    @rule(number=NUMBERS, active=st.booleans())
    def suspend_or_resume(self, number: str, active: bool) -> None:
        self.ledger.set_status(number, "active" if active else "suspended")
        self.active[number] = active

    @rule(target=vouchers, amount=AMOUNTS)
    def issue_voucher(self, amount: int) -> tuple[str, str, int]:
        voucher_id, pin = self.ledger.issue_voucher(amount, "KRW")
        return voucher_id, pin, amount

    @rule(voucher=consumes(vouchers))
    def redeem_voucher(self, voucher: tuple[str, str, int]) -> None:
        voucher_id, pin, amount = voucher
        self.call(
            "redeem_voucher",
            app_id="app",
            reference_code=self.ref(),
            account="1001",
            voucher_id=voucher_id,
            voucher_pin=pin,
            expect=True,
        )
        self.balance["1001"] += amount

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        method, kwargs, first = data.draw(st.sampled_from(self.done))
        before = (table_counts(self.ledger), [self.ledger.status(n) for n in ACCOUNTS])
        again = getattr(self.ledger, method)(**kwargs)
        assert again == replace(first, replayed=True)
        assert (table_counts(self.ledger), [self.ledger.status(n) for n in ACCOUNTS]) == before

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def agrees_with_the_model(self) -> None:
        for number in ACCOUNTS:
            assert_reconciles(self.ledger, number)  # history sums to balance; nothing overspent
            status = self.ledger.status(number)
            assert status.ledger_balance_minor == self.balance[number]
            assert status.reserved_minor == self.reserved(number)
            assert status.month_spent_minor == self.spent[number]

    @invariant()
    def every_movement_has_a_source_and_a_destination(self) -> None:
        with self.ledger.db.transaction(write=False) as tx:
            unbalanced = tx.all(
                "SELECT transfer_id FROM ledger_entries GROUP BY transfer_id "
                "HAVING COUNT(*) <> 2 OR SUM(amount_minor) <> 0"
            )
            totals = tx.all(
                "SELECT currency, SUM(amount_minor) FROM ledger_entries GROUP BY currency"
            )
            balances = tx.all(
                "SELECT currency, SUM(ledger_balance_minor) FROM ledger_accounts GROUP BY currency"
            )
            [(float_balance,)] = tx.all(
                "SELECT COALESCE(SUM(ledger_balance_minor), 0) FROM ledger_accounts "
                "WHERE kind = 'float'"
            )
        assert unbalanced == []
        assert all(int(total) == 0 for _, total in totals)
        assert all(int(total) == 0 for _, total in balances)
        assert int(float_balance) == self.float


def test_random_interleavings_never_overspend(monkeypatch):
    monkeypatch.setattr(
        pins, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    )
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
