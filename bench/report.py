"""The benchmark report: one run, every figure beside the baseline measured in the same run.

    .venv/bin/python -m bench.report [--quick] [--out DIR]      (default DIR: bench/results)
    .venv/bin/python -m bench.report --render DIR/report.json   (re-render a run's figures)

Writes ``report.md`` (Markdown tables), ``report.png`` (the chart) and ``report.json`` (the raw
figures) and shows its progress while it runs. It measures, reusing the other benchmarks'
functions:

- **baselines**: raw ``os.fsync`` of the disk (``bench.ledger.fsync_rate``), the raw omniORB
  call (``setCallback(nil)``) and the trivial gRPC call (``Health/Check``) at every client
  count, the raw SMPP ``submit_sm`` rate (``bench.sms.raw_submit_rate``);
- **handshake latency**: the whole Parlay 4 handshake (``client.connect`` + ``obtain_service`` +
  ``terminate``) beside one ORB round trip (``bench.handshake._run``);
- **charges**: ``chargeAmount`` over CORBA and ``ChargeAmount`` over gRPC at 1/8/32/128 clients
  (``bench.loadgen``, clients in their own processes), against one and against two gateway
  processes on one PostgreSQL (``bench.cluster``), and one gateway on SQLite, the default;
- **SMS**: ``sendSms`` to DeliveredToTerminal through the embedded SMSC (``bench.sms.scf_rate``).

``--quick`` measures fewer points for less time (a smoke run, ~1.5 minutes): its figures are not
for publishing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.cluster import APP_ID, KEY_KIND, SECRET, Cluster
from bench.pgserver import PostgresServer

RESULTS = Path(__file__).resolve().parent / "results"
FULL = {"levels": [1, 8, 32, 128], "seconds": 3.0, "handshakes": 120, "sms": 800}
QUICK = {"levels": [1, 8], "seconds": 1.0, "handshakes": 20, "sms": 200}
TOPOLOGIES = [("postgresql", 1), ("postgresql", 2), ("sqlite", 1)]
QUICK_TOPOLOGIES = [("postgresql", 1), ("postgresql", 2)]
_runs = itertools.count(1)


class Progress:
    """``[k/N] what (elapsed m:ss)``, then the step's figures, as the run goes."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()

    def step(self, what: str) -> None:
        self.done += 1
        elapsed = int(time.monotonic() - self.started)
        print(
            f"[{self.done:>2}/{self.total}] {what} ({elapsed // 60}:{elapsed % 60:02d})", flush=True
        )

    @staticmethod
    def said(text: str) -> None:
        print(f"        {text}", flush=True)


def steps_in(plan: dict[str, Any], topologies: list[tuple[str, int]]) -> int:
    charges = len(topologies) * 2 * len(plan["levels"]) * 2
    return 1 + 2 + charges + 2  # fsync, handshake x2, charges, SMS x2


# -- handshake -------------------------------------------------------------------------------------
def handshake_figures(cluster: Cluster, count: int, progress: Progress) -> list[dict[str, Any]]:
    from org.csapi import P_INVALID_VERSION
    from org.csapi.fw.fw_access import trust_and_security as ts

    import client
    from bench.handshake import NO_DOMAIN, _percentile, _run
    from bench.keys import private_key
    from client.orb import client_orb

    corbaloc = cluster.running[0].corbaloc
    key = private_key(KEY_KIND)
    initial = client_orb().orb.string_to_object(corbaloc)._narrow(ts.IpInitial)

    def round_trip() -> None:  # bench.handshake's baseline: refused before any state
        with contextlib.suppress(P_INVALID_VERSION):
            initial.initiateAuthenticationWithVersion(NO_DOMAIN, "P_OSA_AUTHENTICATION", "")

    def handshake() -> None:
        session = client.connect(corbaloc, APP_ID, SECRET, key)
        session.obtain_service("P_PAYMENT")
        session.terminate()

    handshake()  # warm-up
    rows = []
    for clients in (1, 8):
        progress.step(f"framework handshake, {clients} concurrent")
        per = max(1, count // clients)
        base, base_s = _run(clients, per * 20, round_trip)
        full, full_s = _run(clients, per, handshake)
        row = {
            "clients": clients,
            "p50_ms": statistics.median(full) * 1000,
            "p99_ms": _percentile(full, 0.99) * 1000,
            "rate_per_s": len(full) / full_s,
            "baseline_p50_ms": statistics.median(base) * 1000,
            "baseline_p99_ms": _percentile(base, 0.99) * 1000,
            "baseline_rate_per_s": len(base) / base_s,
        }
        progress.said(
            f"handshake p50 {row['p50_ms']:.1f} ms p99 {row['p99_ms']:.1f} ms; "
            f"ORB round trip p50 {row['baseline_p50_ms']:.2f} ms"
        )
        rows.append(row)
    return rows


# -- charges ---------------------------------------------------------------------------------------
def charge_figures(
    cluster: Cluster, ledger: str, plan: dict[str, Any], progress: Progress
) -> list[dict[str, Any]]:
    n = len(cluster.running)
    targets = {
        "corba": [{"ior": cluster.corba_payment(i)} for i in range(n)],
        "grpc": [
            {"grpc": gw.grpc_target, "token": cluster.grpc_token(i)}
            for i, gw in enumerate(cluster.running)
        ],
    }
    rows = []
    for surface in ("corba", "grpc"):
        for clients in plan["levels"]:
            measured, cpu_us = {}, {}
            for operation in ("raw", "charge"):
                what = "baseline call" if operation == "raw" else "charge"
                progress.step(f"{surface} {what}, {clients} clients, {n} gateway(s) on {ledger}")
                before = gateways_cpu_s(cluster)
                measured[operation] = loadgen.measure(
                    targets[surface], surface, operation, clients, plan["seconds"]
                )
                r = measured[operation]
                calls = max(round(r.rate_per_s * plan["seconds"]), 1)
                cpu_us[operation] = (gateways_cpu_s(cluster) - before) / calls * 1e6
                progress.said(
                    f"{r.rate_per_s:,.0f}/s p50 {r.p50_ms:.2f} ms p99 {r.p99_ms:.2f} ms, "
                    f"gateway CPU {cpu_us[operation]:.0f} us per call"
                    + (f" ({r.errors} errors)" if r.errors else "")
                )
            rows.append(
                {
                    "surface": surface,
                    "ledger": ledger,
                    "gateways": n,
                    "clients": clients,
                    "charge": asdict(measured["charge"]),
                    "baseline": asdict(measured["raw"]),
                    "charge_cpu_us": cpu_us["charge"],
                    "baseline_cpu_us": cpu_us["raw"],
                }
            )
    return rows


def gateways_cpu_s(cluster: Cluster) -> float:
    """CPU seconds the gateway processes have used so far (their own: the figure noise on
    other cores does not move much; the load processes are not counted)."""
    import psutil

    return sum(sum(psutil.Process(gw.pid).cpu_times()[:2]) for gw in cluster.running)


def topology(
    folder: Path,
    ledger: str,
    gateways: int,
    pg: PostgresServer | None,
    run: Callable[[Cluster], Any],
) -> Any:
    name = f"{ledger}-{gateways}gw-{next(_runs)}"
    url = (
        pg.create_database(name.replace("-", "_"))
        if ledger == "postgresql" and pg is not None
        else f"sqlite:///{folder / name / 'ledger.db'}"
    )
    with Cluster(folder / name, url, gateways=gateways) as cluster:
        return run(cluster)


# -- SMS -------------------------------------------------------------------------------------------
def sms_figures(messages: int, progress: Progress) -> dict[str, Any]:
    from bench.sms import raw_submit_rate, scf_rate
    from gateway.config import load_config
    from smpp.credentials import read_password
    from smsc.embedded import spawn_smsc

    with tempfile.TemporaryDirectory(prefix="bench-report-sms-") as tmp:
        data = Path(tmp)
        config = load_config(env={"MICROPAY_DATA_DIR": str(data)})
        window = int(config["sms"]["submit_window_max"])
        smsc = spawn_smsc(data / "smsc", port=0)
        try:
            progress.step(f"SMS baseline: raw submit_sm, window {window}")
            raw = asyncio.run(
                raw_submit_rate(
                    smsc.port, read_password(data / "smsc" / "password"), messages * 2, window
                )
            )
            progress.said(f"{raw:,.0f} submit_sm/s")
            progress.step("SMS: sendSms -> DeliveredToTerminal, 1 and 16 senders")
            scf = {}
            for senders in (1, 16):
                rate, p50, p99 = scf_rate(config, smsc.port, senders, max(messages // senders, 1))
                scf[senders] = {"rate_per_s": rate, "p50_ms": p50, "p99_ms": p99}
                progress.said(f"{senders:>2} sender(s): {rate:,.0f} messages/s p50 {p50:.0f} ms")
        finally:
            smsc.stop()
    return {"window": window, "raw_submit_per_s": raw, "senders": scf}


# -- the run ---------------------------------------------------------------------------------------
def run(quick: bool) -> dict[str, Any]:
    from bench.ledger import fsync_rate

    plan = QUICK if quick else FULL
    topologies = QUICK_TOPOLOGIES if quick else TOPOLOGIES
    progress = Progress(steps_in(plan, topologies))
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "plan": plan,
        "charges": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp, PostgresServer() as pg:
        folder = Path(tmp)
        progress.step("baseline: raw fsync (PostgreSQL's data folder and the SQLite folder)")
        results["fsync_per_s"] = {"postgresql": fsync_rate(pg.root), "sqlite": fsync_rate(folder)}
        progress.said(", ".join(f"{k} {v:,.0f}/s" for k, v in results["fsync_per_s"].items()))
        results["handshake"] = topology(
            folder,
            "postgresql",
            1,
            pg,
            lambda c: handshake_figures(c, plan["handshakes"], progress),
        )
        for ledger, gateways in topologies:
            results["charges"] += topology(
                folder,
                ledger,
                gateways,
                pg,
                lambda c, lg=ledger: charge_figures(c, lg, plan, progress),
            )
    results["sms"] = sms_figures(plan["sms"], progress)
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer points, shorter: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for report.md/.png/.json")
    parser.add_argument("--render", type=Path, help="re-render the figures of a report.json")
    args = parser.parse_args(argv)
    from bench.render import write_report

    results = json.loads(args.render.read_text()) if args.render else run(args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(results, indent=1))
    paths = write_report(results, args.out)
    print("wrote " + ", ".join(str(p) for p in paths), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
