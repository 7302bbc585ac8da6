"""The summary table printed when a run ends, and the same run as JSON (``--json``)."""

from __future__ import annotations

import time
from typing import Any

from apps.interop.model import SUITES, Verdict
from apps.interop.runner import Run

ORDER = (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.ERROR)


def suite_counts(run: Run) -> list[tuple[str, dict[Verdict, int]]]:
    rows = []
    for suite in SUITES:
        results = [r for r in run.results if r.purpose.suite == suite]
        if results:
            rows.append((suite, {v: sum(1 for r in results if r.verdict is v) for v in ORDER}))
    return rows


def table(run: Run) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started_at))
    lines = [
        f"micropay interop: {run.transport} {run.endpoint}",
        f"application {run.app_id}, run {run.run_id}, {when}, {run.duration_s:.1f} s",
        "",
        f"{'suite':<12}{'pass':>7}{'fail':>7}{'inconc':>8}{'error':>7}{'total':>8}",
    ]
    total = {v: 0 for v in ORDER}
    for suite, counts in suite_counts(run):
        lines.append(
            f"{suite:<12}"
            + "".join(f"{counts[v]:>{w}}" for v, w in zip(ORDER, (7, 7, 8, 7), strict=True))
            + f"{sum(counts.values()):>8}"
        )
        for v in ORDER:
            total[v] += counts[v]
    lines.append(
        f"{'total':<12}"
        + "".join(f"{total[v]:>{w}}" for v, w in zip(ORDER, (7, 7, 8, 7), strict=True))
        + f"{sum(total.values()):>8}"
    )
    failed = [r for r in run.results if r.verdict is not Verdict.PASS]
    if failed:
        lines += ["", "not passed:"]
        lines += [f"  {r.verdict.value.upper():<7}{r.purpose.id:<15}{r.reason}" for r in failed]
    moved = [b for b in run.balances if b[1] != b[2]]
    if run.balances:
        lines.append("")
        lines.append(
            f"test accounts: {len(run.balances)} checked, "
            + ("all left as found" if not moved else f"{len(moved)} changed: " + "; ".join(
                f"{a} {was} -> {now}" for a, was, now in moved))
        )  # fmt: skip
    lines += ["", "verdict: " + ("PASSED" if run.passed else "NOT PASSED")]
    return "\n".join(lines)


def as_json(run: Run) -> dict[str, Any]:
    return {
        "transport": run.transport,
        "endpoint": run.endpoint,
        "app_id": run.app_id,
        "run_id": run.run_id,
        "duration_s": round(run.duration_s, 3),
        "passed": run.passed,
        "counts": {v.value: run.count(v) for v in ORDER},
        "balances": [{"address": a, "before": b, "after": c} for a, b, c in run.balances],
        "results": [
            {
                "id": r.purpose.id,
                "suite": r.purpose.suite,
                "title": r.purpose.title,
                "clause": r.purpose.clause,
                "verdict": r.verdict.value,
                "reason": r.reason,
                "duration_ms": round(r.duration_s * 1000, 1),
                "notes": r.notes,
                "cleanup": r.cleanup,
            }
            for r in run.results
        ],
    }
