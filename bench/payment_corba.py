"""chargeAmount over CORBA per second at 1, 8 and 32 concurrent clients, beside the raw omniORB
call rate of the same server in the same run, the two alternating three times per level.

    .venv/bin/python -m bench.payment_corba [--seconds S] [--end-user tel|acct]

The server is ONE process (``python -m scf.payment.direct``: the Payment servant on a durable
SQLite ledger -- WAL, synchronous=FULL -- with group commit), as the gateway runs it. Clients are
separate processes (at most ``CLIENT_PROCESSES_MAX``, the clients spread over them as threads),
so the client side does not share the server's GIL. Each client charges its own account (the
benchmark measures the SCF and the ledger, not contention on one row); a charge counts once
``chargeAmount`` has returned, i.e. once it is durable. The baseline is ``setCallback(nil)`` on
the same manager: a call that does nothing, i.e. what omniORB and the machine allow. Target: at
32 clients, chargeAmount reaches at least half the raw call rate.

A second figure shows where the ceiling is: ``bench.ledger``'s durable charges per second of the
ledger alone (the same number of threads calling ``Ledger.charge`` in one process, no CORBA, no
SCF), measured in the same run on the same disk.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CLIENTS = (1, 8, 32)
CLIENT_PROCESSES_MAX = 8
SECONDS_PER_RUN = 6.0  # per kind and level, split over the rounds
ROUNDS = 3  # raw calls and charges alternate this many times per level
START_DELAY_S = 2.5  # clients start together this long after they are launched
TARGET_RATIO_AT_32 = 0.5
ROOT = Path(__file__).resolve().parent.parent


def worker(ior: str, operation: str, users: list[str], start_at: float, seconds: float) -> None:
    """One client process: a thread per end user, calling until the run ends; prints counts."""
    from omniORB import CORBA
    from org.csapi.parlayx import common, payment

    orb = CORBA.ORB_init([sys.argv[0], "-ORBclientCallTimeOutPeriod", "30000"], CORBA.ORB_ID)
    mgr = orb.string_to_object(ior)._narrow(payment.IpPaymentManager)
    mgr.setCallback(None)  # connect before the clock starts
    counts = [0] * len(users)
    info = common.ChargingInformation("bench", "KRW", "100", "")

    def client(index: int) -> None:
        user, n = users[index], 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        if operation == "raw":
            while time.time() < end:
                mgr.setCallback(None)
                n += 1
        else:
            while time.time() < end:
                mgr.chargeAmount(user, info, f"{user}-{start_at}-{n}")
                n += 1
        counts[index] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(counts), flush=True)


def run(
    ior: str, operation: str, users: list[str], seconds: float, server: int
) -> tuple[float, float]:
    """(calls per second, the server process's CPU microseconds per call) of ``len(users)``
    clients spread over client processes."""
    import psutil

    cpu = psutil.Process(server)
    processes = min(len(users), CLIENT_PROCESSES_MAX)
    groups = [users[i::processes] for i in range(processes)]
    start_at = time.time() + START_DELAY_S
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.payment_corba", "--worker", ior, operation,
             json.dumps(group), str(start_at), str(seconds)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]  # fmt: skip
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = sum(cpu.cpu_times()[:2])
    total = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=START_DELAY_S + seconds + 60)
        if proc.returncode != 0:
            raise RuntimeError("a client process failed")
        total += sum(json.loads(out))
    used = sum(cpu.cpu_times()[:2]) - cpu0  # (the wait for the last client is idle time)
    return total / seconds, used / max(total, 1) * 1e6


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    ready = folder / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scf.payment.direct", f"sqlite:///{folder / 'ledger.db'}",
         str(ready), "--apps", "bench", "--threads", "64"],
        cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the SCF server did not start")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())["apps"]["bench"]["payment"]


def alternated(
    ior: str, users: list[str], seconds: float, server: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(calls/s, server CPU us per call) of raw calls and of charges, the two alternating
    ``ROUNDS`` times for ``seconds`` each in all: a drift of the machine's speed during the run
    weighs on both alike (one measurement of each moved the 32-client raw rate by 2x)."""
    totals = {"raw": [0.0, 0.0], "charge": [0.0, 0.0]}  # calls, server CPU us
    for _round in range(ROUNDS):
        for operation, total in totals.items():
            rate, cpu_us = run(ior, operation, users, seconds / ROUNDS, server)
            calls = rate * seconds / ROUNDS
            total[0] += calls
            total[1] += cpu_us * calls
    (raw, raw_cpu), (charges, cpu) = totals["raw"], totals["charge"]
    return (raw / seconds, raw_cpu / max(raw, 1)), (charges / seconds, cpu / max(charges, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS_PER_RUN)
    parser.add_argument("--end-user", choices=("tel", "acct"), default="tel")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        ior, operation, users, start_at, seconds = args.worker
        worker(ior, operation, json.loads(users), float(start_at), float(seconds))
        return 0

    from bench.ledger import charge_rate
    from charging.ledger import Ledger

    with tempfile.TemporaryDirectory(prefix="bench-payment-") as tmp:
        folder = Path(tmp)
        users = []
        with Ledger.open(f"sqlite:///{folder / 'ledger.db'}") as ledger:
            for i in range(max(CLIENTS)):
                number, msisdn = f"B{i:04d}", f"tel:+82109{i:07d}"
                ledger.create_account(number, msisdn=msisdn, currency="KRW", balance_minor=10**12)
                users.append(msisdn if args.end_user == "tel" else f"acct:{number}")
        server, ior = start_server(folder)
        try:
            print(
                f"chargeAmount over CORBA (end users as {args.end_user}: URIs), durable SQLite "
                f"ledger, one server process, {args.seconds:g} s per kind and level in "
                f"{ROUNDS} alternations"
            )
            print(
                f"{'clients':>8} {'raw calls/s':>12} {'charges/s':>10} {'ratio':>6} "
                f"{'ledger alone/s':>15} {'server CPU us/raw':>18} {'us/charge':>10}"
            )
            ratio_at_32 = 0.0
            for clients in CLIENTS:
                (raw, raw_cpu), (charges, cpu) = alternated(
                    ior, users[:clients], args.seconds, server.pid
                )
                ledger_only = charge_rate(
                    f"sqlite:///{folder / 'alone.db'}", clients, 256, args.seconds, f"l{clients}"
                ).per_s
                ratio = charges / raw if raw else 0.0
                if clients == 32:
                    ratio_at_32 = ratio
                print(
                    f"{clients:>8} {raw:>12.0f} {charges:>10.0f} {ratio:>6.2f} {ledger_only:>15.0f} "
                    f"{raw_cpu:>18.0f} {cpu:>10.0f}",
                    flush=True,
                )
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    met = ratio_at_32 >= TARGET_RATIO_AT_32
    print(
        f"target: at 32 clients charges/s >= {TARGET_RATIO_AT_32:.0%} of the raw call rate: "
        f"{'met' if met else 'NOT met'} ({ratio_at_32:.0%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
