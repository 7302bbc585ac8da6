"""Soak: mixed traffic for a long while; the gateway's memory and file descriptors stay flat.

    .venv/bin/python -m bench.soak [--seconds 600] [--ledger sqlite|postgresql] [--clients 8]

One gateway (``bench.cluster``) takes paced mixed traffic from client processes for
``--seconds`` (default 600): charges over CORBA and gRPC, reserve -> chargeReservation ->
release, getBalance, sendSms, and whole framework handshakes over both surfaces (sessions and
agreements made and ended). Every ``--sample-s`` the gateway's resident memory (VmRSS in
``/proc/<pid>/status``), open file descriptors (``/proc/<pid>/fd``) and threads are sampled and
printed. At the end: every SMS is final, ``charging.reconcile`` runs over the ledger, and the
verdict says whether RSS and descriptors were flat after the warm-up (the first
``WARMUP_FRACTION`` of the run): the median of the last window against the median of the first
window after warm-up. Writes ``soak.md``, ``soak.png`` and ``soak.json`` to ``--out``
(default bench/results).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.cluster import APP_ID, SECRET, Cluster, user

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
WARMUP_FRACTION = 0.2
WINDOW_FRACTION = 0.2  # the windows compared after the warm-up
RSS_GROWTH_MB_MAX = 16
RSS_GROWTH_RATIO_MAX = 0.10
FDS_GROWTH_MAX = 4
PACE_S = 0.02  # a client's pause between operations: a steady load, not a saturating one
SMS_DRAIN_S = 120
OPERATIONS = {  # weight of each operation in the mix
    "charge_corba": 30,
    "charge_grpc": 20,
    "reservation_corba": 10,
    "balance_grpc": 15,
    "sms_corba": 10,
    "handshake_corba": 2,
    "handshake_grpc": 2,
}


def sample(pid: int, health_port: int) -> dict[str, float]:
    """The gateway's memory, descriptors and threads, and the framework's live objects (access
    sessions and the CORBA objects they hold: these must come and go with the handshakes)."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    found = {
        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(fields["Threads"]),
    }
    try:
        url = f"http://127.0.0.1:{health_port}/readyz"
        with urllib.request.urlopen(url, timeout=5) as response:
            detail = json.load(response)["checks"]["framework"]["detail"]
        found.update({k: int(v) for k, v in (item.split("=") for item in detail.split())})
    except (OSError, KeyError, ValueError):
        pass  # the figures above still count
    return found


# -- a client process ----------------------------------------------------------------------------
def worker(spec: dict[str, Any]) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from org.csapi.parlayx import common, payment
    from org.csapi.parlayx import sms as sms_idl

    import client
    from client.grpc_session import connect as grpc_connect

    key = load_pem_private_key(Path(spec["key_path"]).read_bytes(), None)
    rng = random.Random(spec["seed"])
    corba = client.connect(spec["corbaloc"], APP_ID, SECRET, key)
    pay = corba.obtain_service("P_PAYMENT")._narrow(payment.IpPaymentManager)
    sms = corba.obtain_service("P_SMS")._narrow(sms_idl.IpSmsManager)
    grpc_session = grpc_connect(f"grpc://{spec['grpc']}", APP_ID, SECRET, key)
    gpay, gacc = (
        grpc_session.obtain_service("P_PAYMENT"),
        grpc_session.obtain_service("P_ACCOUNT_MANAGEMENT"),
    )
    from micropay.v1 import account_pb2, common_pb2, payment_pb2

    info = common.ChargingInformation("soak", "KRW", "1", "")
    money = common_pb2.ChargingInformation(
        description="soak", amount=common_pb2.Money(currency_code="KRW", amount_minor=1)
    )
    names, weights = list(OPERATIONS), list(OPERATIONS.values())
    counts = dict.fromkeys(names, 0)
    errors: dict[str, int] = {}
    sms_ids: list[str] = []
    n = 0
    while time.time() < spec["end_at"]:
        op = rng.choices(names, weights)[0]
        msisdn = user(rng.randrange(spec["accounts"]))[1]
        ref = f"soak-{spec['seed']}-{n}"
        n += 1
        try:
            if op == "charge_corba":
                pay.chargeAmount(msisdn, info, ref)
            elif op == "charge_grpc":
                gpay.ChargeAmount(
                    payment_pb2.ChargeAmountRequest(
                        end_user_identifier=msisdn, charge=money, reference_code=ref
                    )
                )
            elif op == "reservation_corba":
                rid = pay.reserveAmount(msisdn, common.ChargingInformation("soak", "KRW", "3", ""))
                pay.chargeReservation(rid, info, ref)
                pay.releaseReservation(rid)
            elif op == "balance_grpc":
                gacc.GetBalance(account_pb2.GetBalanceRequest(end_user_identifier=msisdn))
            elif op == "sms_corba":
                sms_ids.append(
                    sms.sendSms([f"tel:+8219{rng.randrange(10**8):08d}"], "", [], f"soak {ref}", [])
                )
            elif op == "handshake_corba":
                client.connect(spec["corbaloc"], APP_ID, SECRET, key).terminate()
            elif op == "handshake_grpc":
                grpc_connect(f"grpc://{spec['grpc']}", APP_ID, SECRET, key).terminate()
            counts[op] += 1
        except Exception as exc:  # noqa: BLE001 -- counted and reported, the soak goes on
            errors[f"{op}: {type(exc).__name__}"] = errors.get(f"{op}: {type(exc).__name__}", 0) + 1
        time.sleep(PACE_S)
    corba.terminate()
    grpc_session.terminate()
    return {"counts": counts, "errors": errors, "sms_ids": sms_ids}


# -- the run -------------------------------------------------------------------------------------
def drain_sms(url: str) -> dict[str, int]:
    """Wait until no SMS is on its way any more; the count of each final status."""
    from storage import open_database

    db = open_database(url)
    try:
        deadline = time.monotonic() + SMS_DRAIN_S
        while True:
            with db.transaction(write=False) as tx:
                rows = dict(tx.all("SELECT status, COUNT(*) FROM sms_address GROUP BY status"))
            pending = {
                s: c
                for s, c in rows.items()
                if s not in ("DeliveredToTerminal", "DeliveryImpossible")
            }
            if not pending or time.monotonic() > deadline:
                return {str(k): int(v) for k, v in rows.items()}
            time.sleep(1)
    finally:
        db.close()


def verdict(samples: list[dict[str, float]]) -> dict[str, Any]:
    after = samples[int(len(samples) * WARMUP_FRACTION) :]
    width = max(1, int(len(samples) * WINDOW_FRACTION))
    first, last = after[:width], after[-width:]
    rss0 = statistics.median(s["rss_mb"] for s in first)
    rss1 = statistics.median(s["rss_mb"] for s in last)
    fds0, fds1 = max(s["fds"] for s in first), max(s["fds"] for s in last)
    growth = rss1 - rss0
    rss_flat = growth <= max(RSS_GROWTH_MB_MAX, 0) and growth <= rss0 * RSS_GROWTH_RATIO_MAX + 1
    return {
        "rss_first_mb": rss0,
        "rss_last_mb": rss1,
        "rss_growth_mb": growth,
        "rss_flat": rss_flat,
        "fds_first": fds0,
        "fds_last": fds1,
        "fds_flat": fds1 - fds0 <= FDS_GROWTH_MAX,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.pgserver import PostgresServer
    from charging.ledger import Ledger
    from charging.reconcile import reconcile

    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        folder = Path(tmp)
        pg = PostgresServer().start() if args.ledger == "postgresql" else None
        try:
            url = pg.create_database("soak") if pg else f"sqlite:///{folder / 'ledger.db'}"
            with Cluster(folder / "cluster", url, gateways=1, accounts=args.accounts) as cluster:
                gw = cluster.running[0]
                end_at = time.time() + args.seconds
                procs = [
                    subprocess.Popen(
                        [sys.executable, "-m", "bench.soak", "--worker", json.dumps(
                            {"corbaloc": gw.corbaloc, "grpc": gw.grpc_target, "end_at": end_at,
                             "accounts": args.accounts, "seed": i, "key_path": str(cluster.key_path)})],
                        cwd=ROOT, stdout=subprocess.PIPE, text=True,
                    )
                    for i in range(args.clients)
                ]  # fmt: skip
                samples, started = [], time.monotonic()
                print(
                    f"soak: {args.seconds:g} s of mixed traffic, {args.clients} clients, gateway pid {gw.pid}, {args.ledger}",
                    flush=True,
                )
                while time.time() < end_at:
                    s = {
                        "t_s": round(time.monotonic() - started, 1),
                        **sample(gw.pid, gw.health_port),
                    }
                    samples.append(s)
                    print(
                        f"  t={s['t_s']:>6.0f}s  rss {s['rss_mb']:7.1f} MB  fds {s['fds']:4d}  "
                        f"threads {s['threads']:4d}  access sessions "
                        f"{s.get('access_sessions', '?')}  framework objects {s.get('objects', '?')}",
                        flush=True,
                    )
                    time.sleep(min(args.sample_s, max(0.0, end_at - time.time())))
                results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
                samples.append(
                    {"t_s": round(time.monotonic() - started, 1), **sample(gw.pid, gw.health_port)}
                )
                print("  traffic over; waiting for every SMS to be final", flush=True)
                sms = drain_sms(url)
            with Ledger.open(url) as ledger:
                report = reconcile(ledger)
        finally:
            if pg is not None:
                pg.stop()
    counts: dict[str, int] = {}
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r["counts"].items():
            counts[k] = counts.get(k, 0) + v
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    return {
        "seconds": args.seconds,
        "ledger": args.ledger,
        "clients": args.clients,
        "operations": counts,
        "errors": errors,
        "sms": sms,
        "samples": samples,
        "verdict": verdict(samples),
        "reconcile": {
            "clean": report.clean,
            "summary": report.summary(),
            "problems": [p.__dict__ for p in report.problems],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seconds", type=float, default=600, help="duration of the traffic")
    parser.add_argument("--ledger", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=8, help="client processes")
    parser.add_argument("--accounts", type=int, default=64)
    parser.add_argument("--sample-s", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0
    from bench.soak_report import write_soak

    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(results, indent=1))
    paths = write_soak(results, args.out)
    v = results["verdict"]
    print(results["reconcile"]["summary"])
    print(
        f"RSS {v['rss_first_mb']:.1f} -> {v['rss_last_mb']:.1f} MB ({'flat' if v['rss_flat'] else 'GROWING'}), "
        f"fds {v['fds_first']} -> {v['fds_last']} ({'flat' if v['fds_flat'] else 'GROWING'}); wrote "
        + ", ".join(str(p) for p in paths)
    )
    ok = v["rss_flat"] and v["fds_flat"] and results["reconcile"]["clean"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
