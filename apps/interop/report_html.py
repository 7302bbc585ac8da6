"""The self-contained HTML report: one file, inline CSS, no scripts, fonts or links to fetch.

Sections: the verdict and the run's facts, counts per suite, the test accounts before and after,
every purpose (expandable: clause, precondition, stimulus, expected result, what was observed,
the clean-up) and the coverage of operations and faults. A checkbox hides what passed, in CSS.
"""

from __future__ import annotations

import html
import time
from collections import defaultdict
from pathlib import Path

from apps.interop.model import Result, Verdict
from apps.interop.report_text import ORDER, suite_counts
from apps.interop.runner import Run

LABEL = {Verdict.PASS: "pass", Verdict.FAIL: "fail", Verdict.INCONCLUSIVE: "inconclusive",
         Verdict.ERROR: "error"}  # fmt: skip
TITLES = {"framework": "Framework (TS 29.198-3)", "payment": "Payment (TS 29.199-6)",
          "account": "Account Management (TS 29.199-7)", "sms": "Short Messaging (TS 29.199-4)",
          "camara": "CAMARA Carrier Billing (r3.2)"}  # fmt: skip

CSS = """
:root { --pass:#1b7f3b; --fail:#c62828; --inconc:#b26a00; --error:#6a1b9a; --ink:#1d2330;
  --muted:#5b6475; --line:#dde2ea; --bg:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--ink); background:var(--bg); }
header { background:#fff; border-bottom:1px solid var(--line); padding:20px 32px; }
h1 { margin:0 0 6px; font-size:22px; } h2 { font-size:17px; margin:28px 0 10px; }
.wrap { padding:0 32px 40px; max-width:1400px; }
.banner { display:inline-block; padding:4px 12px; border-radius:14px; color:#fff; font-weight:600;
  letter-spacing:.03em; margin-left:8px; font-size:13px; vertical-align:middle; }
.banner.ok { background:var(--pass); } .banner.bad { background:var(--fail); }
dl.meta { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:10px 0 0;
  color:var(--muted); } dl.meta dt { font-weight:600; } dl.meta dd { margin:0; font-family:ui-monospace,monospace; }
.cards { display:flex; gap:12px; margin:20px 0 4px; flex-wrap:wrap; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 18px; min-width:120px; }
.card b { display:block; font-size:26px; } .card span { color:var(--muted); }
.card.pass b { color:var(--pass); } .card.fail b { color:var(--fail); }
.card.inconc b { color:var(--inconc); } .card.error b { color:var(--error); }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f6; font-weight:600; font-size:13px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.badge { display:inline-block; min-width:86px; text-align:center; border-radius:10px; padding:1px 8px;
  color:#fff; font-size:12px; font-weight:600; text-transform:uppercase; white-space:nowrap; }
.badge.pass { background:var(--pass); } .badge.fail { background:var(--fail); }
.badge.inconc { background:var(--inconc); } .badge.error { background:var(--error); }
code, .id { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:12.5px; }
.id { white-space:nowrap; } .muted { color:var(--muted); } .reason { color:var(--fail); }
tr.v-inconc .reason { color:var(--inconc); } tr.v-error .reason { color:var(--error); }
details summary { cursor:pointer; } details dl { display:grid; grid-template-columns:110px 1fr;
  gap:3px 12px; margin:8px 0 4px; } details dt { color:var(--muted); } details dd { margin:0; }
pre { white-space:pre-wrap; background:#f3f4f7; padding:8px; border-radius:6px; margin:4px 0; font-size:12px; }
#only { margin:18px 4px 0 32px; } .toggle-row { color:var(--muted); }
#only:checked ~ .wrap tr.v-pass { display:none; }
footer { color:var(--muted); padding:0 32px 30px; font-size:12px; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _purpose_row(r: Result) -> str:
    p = r.purpose
    v = r.verdict.value
    facts = [("clause", p.clause), ("precondition", p.precondition), ("stimulus", p.stimulus),
             ("expected", p.expected)]  # fmt: skip
    if p.destructive:
        facts.append(("destructive", "yes: runs on named test accounts, undone afterwards"))
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(val)}</dd>" for k, val in facts)
    if r.notes:
        dl += "<dt>observed</dt><dd>" + "<br>".join(_e(n) for n in r.notes) + "</dd>"
    if r.cleanup:
        dl += "<dt>clean-up</dt><dd>" + "<br>".join(_e(c) for c in r.cleanup) + "</dd>"
    if r.detail and r.verdict is not Verdict.PASS:
        dl += f"<dt>detail</dt><dd><pre>{_e(r.detail)}</pre></dd>"
    reason = f'<div class="reason">{_e(r.reason)}</div>' if r.reason else ""
    return (
        f'<tr class="v-{v}"><td><span class="badge {v}">{_e(LABEL[r.verdict])}</span></td>'
        f'<td class="id">{_e(p.id)}</td>'
        f"<td><details><summary>{_e(p.title)}</summary><dl>{dl}</dl></details>{reason}</td>"
        f'<td class="muted">{_e(p.clause)}</td><td class="num">{r.duration_s * 1000:.0f} ms</td></tr>'
    )


def _coverage(run: Run) -> str:
    by_target: dict[str, list[Result]] = defaultdict(list)
    for r in run.results:
        for target in r.purpose.covers:
            by_target[target].append(r)
    rows = []
    for target in sorted(by_target, key=lambda t: (t[:3] not in ("SVC", "POL"), t)):
        results = by_target[target]
        ok = all(r.verdict is Verdict.PASS for r in results)
        ids = ", ".join(
            f'<span class="id">{_e(r.purpose.id)}</span>'
            + ("" if r.verdict is Verdict.PASS else f" ({_e(LABEL[r.verdict])})")
            for r in results
        )
        badge = "pass" if ok else "fail"
        rows.append(
            f'<tr class="v-{badge}"><td><code>{_e(target)}</code></td>'
            f'<td><span class="badge {badge}">{"covered" if ok else "not passed"}</span></td>'
            f"<td>{ids}</td></tr>"
        )
    return (
        "<table><thead><tr><th>operation or fault</th><th>status</th><th>test purposes</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render(run: Run) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(run.started_at))
    verdict = ("ok", "ALL PASSED") if run.passed else ("bad", "NOT PASSED")
    cards = "".join(
        f'<div class="card {v.value}"><b>{run.count(v)}</b><span>{_e(LABEL[v])}</span></div>'
        for v in ORDER
    )
    suite_rows = "".join(
        f"<tr><td>{_e(TITLES.get(s, s))}</td>"
        + "".join(f'<td class="num">{c[v]}</td>' for v in ORDER)
        + f'<td class="num">{sum(c.values())}</td></tr>'
        for s, c in suite_counts(run)
    )
    accounts = (
        "".join(
            f"<tr><td><code>{_e(a)}</code></td><td class='num'>{_e(b)}</td><td class='num'>{_e(c)}</td>"
            f"<td>{'left as found' if b == c else '<span class=reason>changed</span>'}</td></tr>"
            for a, b, c in run.balances
        )
        or '<tr><td colspan="4" class="muted">no test accounts named</td></tr>'
    )
    sections = []
    for suite, _ in suite_counts(run):
        rows = "".join(_purpose_row(r) for r in run.results if r.purpose.suite == suite)
        sections.append(
            f'<h2 id="{_e(suite)}">{_e(TITLES.get(suite, suite))}</h2><table><thead><tr>'
            "<th>verdict</th><th>test purpose</th><th>title (open for the purpose)</th>"
            f'<th>clause</th><th class="num">time</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    notes = "".join(f"<li>{_e(n)}</li>" for n in run.notes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>micropay interop: {_e(run.transport)} {verdict[1].lower()}</title>
<style>{CSS}</style></head>
<body>
<header><h1>micropay interop report <span class="banner {verdict[0]}">{verdict[1]}</span></h1>
<dl class="meta"><dt>transport</dt><dd>{_e(run.transport)}</dd><dt>endpoint</dt><dd>{_e(run.endpoint)}</dd>
<dt>application</dt><dd>{_e(run.app_id)}</dd><dt>run</dt><dd>{_e(run.run_id)}, {_e(when)}, {run.duration_s:.1f} s</dd></dl>
</header>
<input type="checkbox" id="only"><label for="only" class="toggle-row"> show only what did not pass</label>
<div class="wrap">
<div class="cards">{cards}</div>
<h2>Suites</h2>
<table><thead><tr><th>suite</th>{"".join(f'<th class="num">{_e(LABEL[v])}</th>' for v in ORDER)}<th class="num">total</th></tr></thead>
<tbody>{suite_rows}</tbody></table>
<h2>Test accounts</h2>
<table><thead><tr><th>account</th><th class="num">balance before</th><th class="num">after</th><th></th></tr></thead>
<tbody>{accounts}</tbody></table>
{f"<ul>{notes}</ul>" if notes else ""}
{"".join(sections)}
<h2>Coverage of operations and faults</h2>
{_coverage(run)}
</div>
<footer>Test purposes in the ETSI TSS&amp;TP style (identifier, clause, precondition, stimulus,
expected result). Verdicts: pass; fail (the implementation answered otherwise); inconclusive
(a precondition was missing); error (the harness could not complete the purpose).</footer>
</body></html>
"""


def write(run: Run, path: str | Path) -> None:
    Path(path).write_text(render(run), encoding="utf-8")
