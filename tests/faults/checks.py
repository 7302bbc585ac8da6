"""What must hold after every fault, read from the ledger's own tables and the SMSC's handsets.

- :func:`assert_ledger_holds_book`: no acknowledged charge lost, none doubled, nothing in the
  ledger that was not acknowledged, no account overspent (balance or monthly limit), and
  ``charging.reconcile`` finds every invariant intact.
- :func:`wait_sms_final` / :func:`assert_sms_accounted`: every acknowledged SMS reaches a final
  status the application can read (DeliveredToTerminal or DeliveryImpossible), and a delivered
  one is in its handset's inbox at the SMSC.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from charging.ledger import Ledger
from charging.reconcile import reconcile
from smsc.store import read_inbox
from tests.faults.harness import APP_ID, Account, Rig
from tests.faults.load import Book

FINAL_SMS = frozenset({"DeliveredToTerminal", "DeliveryImpossible"})


def assert_ledger_holds_book(ledger_url: str, book: Book, accounts: list[Account]) -> None:
    """``ledger_url``: the database itself (not through a test's proxy)."""
    assert not book.unknown, "settle the load first"
    with Ledger.open(ledger_url) as ledger:
        with ledger.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT reference_code, account_number, COUNT(*), SUM(amount_minor) "
                "FROM ledger_entries WHERE app_id = ? AND kind = 'charge' AND amount_minor < 0 "
                "GROUP BY reference_code, account_number",  # the paying side of each charge
                (APP_ID,),
            )
        doubled = [r for r in rows if int(r[2]) > 1]
        assert not doubled, f"charges applied more than once: {doubled[:5]}"
        in_ledger = {r[0]: (r[1], -int(r[3])) for r in rows}
        lost = sorted(set(book.ok) - set(in_ledger))
        assert not lost, f"acknowledged charges missing from the ledger: {lost[:10]}"
        phantom = sorted(set(in_ledger) - set(book.ok))
        assert not phantom, f"charges in the ledger that were refused: {phantom[:10]}"
        for ref, (number, amount) in in_ledger.items():
            c = book.ok[ref]
            assert (number, amount) == (c.account.number, c.amount_minor), ref
        charged = Counter()
        for c in book.ok.values():
            charged[c.account.number] += c.amount_minor
        for account in accounts:
            now = ledger.get_account(account.number)
            assert now.ledger_balance_minor == account.opening_minor - charged[account.number]
            assert now.ledger_balance_minor - now.reserved_minor >= 0, f"{account} overdrawn"
            if account.monthly_limit_minor is not None:
                assert now.month_spent_minor <= account.monthly_limit_minor, f"{account} over limit"
        report = reconcile(ledger)
    assert report.clean, report.problems


def wait_sms_final(
    status_of: Callable[[str], str], request_ids: list[str], timeout_s: float = 30
) -> dict[str, str]:
    """The status of each request once all are final (DeliveredToTerminal / DeliveryImpossible);
    ``status_of`` may raise while the gateway recovers: that request is asked again later."""
    statuses: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    while True:
        for rid in request_ids:
            if statuses.get(rid) in FINAL_SMS:
                continue
            try:
                statuses[rid] = status_of(rid)
            except Exception as exc:  # noqa: BLE001 -- asked again until the deadline
                statuses[rid] = f"error {type(exc).__name__}"
        pending = {r: s for r, s in statuses.items() if s not in FINAL_SMS}
        if not pending:
            return statuses
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(pending)} SMS not final: {Counter(pending.values())}")
        time.sleep(0.25)


def corba_sms_status(manager: Callable[[], object]) -> Callable[[str], str]:
    def status(request_id: str) -> str:
        (info,) = manager().getSmsDeliveryStatus(request_id)  # type: ignore[attr-defined]
        return str(info.deliveryStatus)

    return status


def assert_sms_accounted(
    rig: Rig, sent: dict[str, tuple[str, str]], statuses: dict[str, str]
) -> None:
    """Each delivered SMS reached its handset with its text; failures were reported as such."""
    for rid, (address, text) in sent.items():
        if statuses[rid] == "DeliveredToTerminal":
            texts = [m["text"] for m in read_inbox(rig.smsc_dir, address)]
            assert text in texts, f"{rid} reported delivered, but {address} has {texts}"
