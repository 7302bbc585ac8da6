"""Runs the selected test purposes one after another, each bounded in time, and cleans up.

Each purpose runs in a worker thread so a hung IUT costs at most the purpose's ``timeout_s``;
afterwards the context undoes the purpose's money movements and ends the sessions it opened,
whatever the verdict. Before the first purpose and after the last, the balances of the named
test accounts are read, so the report can say whether the accounts were left as found.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.interop.context import Context
from apps.interop.model import Inconclusive, Purpose, Result, Verdict
from apps.interop.refusals import Refusal


@dataclass
class Run:
    transport: str
    endpoint: str
    app_id: str
    run_id: str
    started_at: float
    results: list[Result] = field(default_factory=list)
    duration_s: float = 0.0
    balances: list[tuple[str, str, str]] = field(default_factory=list)  # address, before, after
    notes: list[str] = field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.results if r.verdict is verdict)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.verdict is Verdict.PASS for r in self.results)


def _balances(ctx: Context) -> dict[str, str]:
    try:
        am = ctx.raw_face("main", "P_ACCOUNT_MANAGEMENT")
    except Inconclusive:
        return {}
    found: dict[str, str] = {}
    for account in ctx.profile.accounts:
        try:
            balances = am.getBalance(account.address, "")
            found[account.address] = f"{balances[0][1]:f}" if balances else "?"
        except Refusal as refusal:
            found[account.address] = f"refused ({refusal.name})"
        except Exception as exc:  # keep the report going
            found[account.address] = type(exc).__name__
    return found


def run_one(ctx: Context, purpose: Purpose) -> Result:
    outcome: dict[str, Any] = {}
    ctx.notes = []

    def work() -> None:
        try:
            purpose.run(ctx)
            outcome["verdict"] = (Verdict.PASS, "", "")
        except Inconclusive as exc:
            outcome["verdict"] = (Verdict.INCONCLUSIVE, str(exc), "")
        except AssertionError as exc:
            outcome["verdict"] = (Verdict.FAIL, str(exc) or "assertion failed",
                                  traceback.format_exc(limit=-3))  # fmt: skip
        except Refusal as exc:
            outcome["verdict"] = (Verdict.FAIL, f"unexpected refusal: {exc.describe()}",
                                  traceback.format_exc(limit=-3))  # fmt: skip
        except Exception as exc:
            outcome["verdict"] = (Verdict.ERROR, f"{type(exc).__name__}: {exc}",
                                  traceback.format_exc())  # fmt: skip

    started = time.monotonic()
    worker = threading.Thread(target=work, name=f"purpose {purpose.id}", daemon=True)
    worker.start()
    worker.join(purpose.timeout_s)
    duration = time.monotonic() - started
    if worker.is_alive():
        verdict, reason, detail = (Verdict.ERROR, f"timed out after {purpose.timeout_s:.0f} s", "")
    else:
        verdict, reason, detail = outcome["verdict"]
    notes = list(ctx.notes)
    try:
        cleanup = ctx.finish_purpose()
    except Exception as exc:
        cleanup = [f"FAILED clean-up: {exc!r}"]
    if verdict is Verdict.PASS and any(line.startswith("FAILED") for line in cleanup):
        verdict, reason = Verdict.ERROR, "the harness could not undo what the purpose did"
    return Result(purpose, ctx.transport, verdict, duration, reason, detail, notes, cleanup)


def run(
    ctx: Context,
    purposes: list[Purpose],
    on_start: Callable[[int, Purpose], None] = lambda i, p: None,
    on_done: Callable[[int, Result], None] = lambda i, r: None,
) -> Run:
    started = time.time()
    report = Run(ctx.transport, ctx.options.endpoint, ctx.creds.app_id, ctx.run_id, started)
    before = _balances(ctx) if ctx.profile.accounts else {}
    try:
        for index, purpose in enumerate(purposes):
            on_start(index, purpose)
            result = run_one(ctx, purpose)
            report.results.append(result)
            on_done(index, result)
        after = _balances(ctx) if ctx.profile.accounts else {}
        report.balances = [
            (a, before.get(a, "?"), after.get(a, "?")) for a in sorted(set(before) | set(after))
        ]
        for address, was, now in report.balances:
            if was != now and _numeric(was) and _numeric(now):
                report.notes.append(f"{address}: balance {was} at the start, {now} at the end")
    finally:
        ctx.close()
    report.duration_s = time.time() - started
    return report


def _numeric(text: str) -> bool:
    try:
        Decimal(text)
    except Exception:
        return False
    return True
