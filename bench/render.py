"""The report's figures as Markdown tables and one PNG chart (``bench.report`` writes both).

``write_report(results, folder)`` takes the dict ``bench.report.run`` returns (also stored as
``report.json``) and writes ``report.md`` and ``report.png``; it measures nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SURFACES = {"corba": "CORBA chargeAmount", "grpc": "gRPC ChargeAmount"}
BASELINES = {"corba": "raw omniORB call", "grpc": "trivial gRPC call"}


def _topology(row: dict[str, Any]) -> str:
    n = row["gateways"]
    return f"{n} gateway{'s' if n > 1 else ''}, {'PostgreSQL' if row['ledger'] == 'postgresql' else 'SQLite'}"


def _us(row: dict[str, Any], key: str) -> str:
    """A CPU figure, or "-" for a run recorded before it was measured."""
    return f"{row[key]:,.0f} us" if key in row else "-"


def markdown(results: dict[str, Any]) -> str:
    plan = results["plan"]
    lines = [
        "# micropay benchmark report",
        "",
        f"Run {results['started']} ({results['mode']}, {results.get('seconds', '?')} s), "
        f"{results['machine']}; clients, gateways, PostgreSQL and the SMSC share the machine, "
        f"on loopback. {plan['seconds']:g} s per load measurement; the clients spread over at most 8 "
        "client processes; a charge counts once it is durable (fsync on).",
        "",
        "## Baselines of this run",
        "",
        "| baseline | figure |",
        "|---|---|",
    ]
    for ledger, rate in results["fsync_per_s"].items():
        lines.append(f"| raw `os.fsync`, {ledger} folder | {rate:,.0f} /s |")
    lines.append(
        f"| raw SMPP `submit_sm` -> resp, window {results['sms']['window']} | "
        f"{results['sms']['raw_submit_per_s']:,.0f} /s |"
    )
    lines += [
        "| raw omniORB call, trivial gRPC call | beside each charge figure below |",
        "",
        "## Framework handshake (Parlay 4, P_OSA_HMAC_SHA256, P_SHA256_RSA_2048)",
        "",
        "| concurrent | handshake p50 | p99 | handshakes/s | ORB round trip p50 | p99 | handshake / round trip |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for h in results["handshake"]:
        lines.append(
            f"| {h['clients']} | {h['p50_ms']:.1f} ms | {h['p99_ms']:.1f} ms | {h['rate_per_s']:,.1f} "
            f"| {h['baseline_p50_ms']:.2f} ms | {h['baseline_p99_ms']:.2f} ms "
            f"| {h['p50_ms'] / h['baseline_p50_ms']:,.0f}x |"
        )
    lines += [
        "",
        "## Charges",
        "",
        "Baseline: the trivial call of the same surface (CORBA `setCallback(nil)` on the Payment "
        "manager, gRPC `Health/Check`) at the same client count against the same gateways.",
        "",
        "Gateway CPU: the gateway processes' own CPU time (user + system) per call, from "
        "`/proc`; the load processes are not counted.",
        "",
        "| surface | gateways, ledger | clients | charges/s | p50 | p99 | baseline calls/s | baseline p50 | baseline p99 | charges / baseline | gateway CPU per charge | per baseline call |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["charges"]:
        c, b = row["charge"], row["baseline"]
        ratio = c["rate_per_s"] / b["rate_per_s"] if b["rate_per_s"] else 0.0
        errors = f" ({c['errors']} errors)" if c["errors"] else ""
        lines.append(
            f"| {SURFACES[row['surface']]} | {_topology(row)} | {row['clients']} "
            f"| {c['rate_per_s']:,.0f}{errors} | {c['p50_ms']:.1f} ms | {c['p99_ms']:.1f} ms "
            f"| {b['rate_per_s']:,.0f} | {b['p50_ms']:.2f} ms | {b['p99_ms']:.2f} ms | {ratio:.0%} "
            f"| {_us(row, 'charge_cpu_us')} | {_us(row, 'baseline_cpu_us')} |"
        )
    sms = results["sms"]
    lines += [
        "",
        "## SMS",
        "",
        "| measurement | messages/s | p50 | p99 |",
        "|---|---:|---:|---:|",
        f"| baseline: raw `submit_sm` -> resp, window {sms['window']} (no database, no receipt) "
        f"| {sms['raw_submit_per_s']:,.0f} | | |",
    ]
    for senders, s in sms["senders"].items():
        lines.append(
            f"| `sendSms` -> DeliveredToTerminal, {senders} sender(s), SQLite outbox "
            f"| {s['rate_per_s']:,.0f} | {s['p50_ms']:.0f} ms | {s['p99_ms']:.0f} ms |"
        )
    lines += ["", "![chart](report.png)", ""]
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    rate_ax, p99_ax, hs_ax, sms_ax = axes.flat
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in results["charges"]:
        series.setdefault((row["surface"], _topology(row)), []).append(row)
    baselines_drawn = set()
    for (surface, topo), rows in series.items():
        xs = [r["clients"] for r in rows]
        style = "-" if surface == "corba" else "--"
        rate_ax.plot(xs, [r["charge"]["rate_per_s"] for r in rows], style, marker="o",
                     label=f"{SURFACES[surface]}, {topo}")  # fmt: skip
        p99_ax.plot(xs, [r["charge"]["p99_ms"] for r in rows], style, marker="o",
                    label=f"{SURFACES[surface]}, {topo}")  # fmt: skip
        if surface not in baselines_drawn:
            baselines_drawn.add(surface)
            rate_ax.plot(xs, [r["baseline"]["rate_per_s"] for r in rows], ":", color="grey",
                         marker="x", label=f"baseline: {BASELINES[surface]} ({topo})")  # fmt: skip
    for ax, title, unit in (
        (rate_ax, "charges per second", "/s"),
        (p99_ax, "charge latency p99", "ms"),
    ):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("concurrent clients")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    hs = results["handshake"]
    labels = [f"{h['clients']} concurrent" for h in hs]
    xs = range(len(hs))
    hs_ax.bar([x - 0.2 for x in xs], [h["p50_ms"] for h in hs], 0.4, label="handshake p50")
    hs_ax.bar([x + 0.2 for x in xs], [h["p99_ms"] for h in hs], 0.4, label="handshake p99")
    hs_ax.plot(
        list(xs), [h["baseline_p50_ms"] for h in hs], "kx", label="baseline: ORB round trip p50"
    )
    hs_ax.set_xticks(list(xs), labels)
    hs_ax.set_yscale("log")
    hs_ax.set_ylabel("ms")
    hs_ax.set_title("framework handshake latency")
    hs_ax.legend(fontsize=7)
    sms = results["sms"]
    names = ["raw submit_sm\n(baseline)"] + [f"sendSms, {s} sender(s)" for s in sms["senders"]]
    rates = [sms["raw_submit_per_s"]] + [s["rate_per_s"] for s in sms["senders"].values()]
    sms_ax.bar(names, rates, color=["grey"] + ["tab:blue"] * len(sms["senders"]))
    sms_ax.set_ylabel("messages/s")
    sms_ax.set_title("SMS to DeliveredToTerminal vs raw SMPP")
    fig.suptitle(
        f"micropay, {results['started']} ({results['mode']}), {results['machine']}", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(results: dict[str, Any], folder: Path) -> list[Path]:
    md, png = folder / "report.md", folder / "report.png"
    md.write_text(markdown(results))
    chart(results, png)
    return [md, png]
