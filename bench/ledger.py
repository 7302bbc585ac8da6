"""Durable charges per second, with and without group commit, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.ledger [--seconds S]

Each client charges its own prepaid account in a loop, measured twice: as threads (omniORB's worker
threads, one per call in progress) and as asyncio tasks on one event loop (the gRPC shim's async
server, ``Ledger.charge_async``: the writer wakes the loop once per batch, not each caller's
thread). A charge counts once ``Ledger.charge`` has returned, i.e. once its commit is durable (SQLite
WAL with synchronous=FULL; PostgreSQL with fsync=on, synchronous_commit=on, started here as a
throwaway server like the tests). Printed beside two baselines from the same run and the same
folder: the raw ``os.fsync`` rate of the disk, and one charge per transaction
(``group_commit_batch_max=1``, i.e. group commit disabled). Beside each rate: this process's
CPU time per durable charge (the client threads included, as a gateway's ORB threads are) and,
on PostgreSQL, the round trips per transaction. Targets at 32 clients: SQLite 15,000/s and
PostgreSQL 8,000/s, each at least 10x its one-charge-per-transaction rate.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.pgserver import PostgresServer
from charging.ledger import Ledger

CLIENTS = (1, 8, 32)
CALLERS = ("threads", "asyncio")
SECONDS_PER_RUN = 2.0
FSYNC_SECONDS = 1.0
TARGETS = {"sqlite": (15_000, 10), "postgresql": (8_000, 10)}  # at 32 clients: rate, ratio

_msisdns = itertools.count(1)


def fsync_rate(folder: Path, seconds: float = FSYNC_SECONDS) -> float:
    """Writes+fsyncs per second of a small file in ``folder``: what one commit costs the disk."""
    path = folder / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            os.write(fd, b"x" * 512)
            os.fsync(fd)
            count += 1
        return count / (time.perf_counter() - start)
    finally:
        os.close(fd)
        path.unlink()


@dataclass(frozen=True)
class Rate:
    """One measurement: durable charges per second, charges per transaction, this process's
    CPU time per charge (client threads included, as a gateway's ORB threads are), and round
    trips to the database per transaction (PostgreSQL)."""

    per_s: float
    batch: float
    cpu_us: float
    round_trips: float


def charge_rate(
    url: str, clients: int, batch_max: int, seconds: float, run: str, callers: str = "threads"
) -> Rate:
    """What ``clients`` threads (or asyncio tasks) charging their own accounts in a loop achieve."""
    with Ledger.open(url, group_commit_batch_max=batch_max) as ledger:
        numbers = [f"{run}-{i}" for i in range(clients)]
        for number in numbers:
            ledger.create_account(
                number,
                msisdn=f"tel:+8210{next(_msisdns):08d}",
                currency="KRW",
                balance_minor=10**12,
            )
        for number in numbers:  # warm: accounts read once, the settlement account opened
            ledger.charge(
                app_id="bench",
                reference_code=f"{number}-warm",
                account=number,
                amount_minor=1,
                currency="KRW",
                description="bench",
            )
        committer = ledger._committer
        counts = [0] * clients
        batches0, requests0 = committer.batches_committed, committer.requests_committed
        trips0 = ledger.db.round_trips.count
        run_callers = _run_threads if callers == "threads" else _run_tasks
        began, cpu0 = run_callers(ledger, numbers, counts, seconds)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu0
        batches = max(committer.batches_committed - batches0, 1)
        requests = committer.requests_committed - requests0
        charges = max(sum(counts), 1)
        trips = (ledger.db.round_trips.count - trips0) / batches
        return Rate(charges / elapsed, requests / batches, cpu / charges * 1e6, trips)


def _run_threads(
    ledger: Ledger, numbers: list[str], counts: list[int], seconds: float
) -> tuple[float, float]:
    """One thread per client; returns when they have stopped: (start time, start CPU)."""
    stop = threading.Event()
    start_line = threading.Barrier(len(numbers) + 1)

    def client(index: int) -> None:
        number, n = numbers[index], 0
        start_line.wait()
        while not stop.is_set():
            ledger.charge(
                app_id="bench",
                reference_code=f"{number}-{n}",
                account=number,
                amount_minor=100,
                currency="KRW",
                description="bench",
            )
            n += 1
        counts[index] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(numbers))]
    for t in threads:
        t.start()
    start_line.wait()
    began, cpu0 = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return began, cpu0


def _run_tasks(
    ledger: Ledger, numbers: list[str], counts: list[int], seconds: float
) -> tuple[float, float]:
    """One asyncio task per client on one event loop: (start time, start CPU)."""

    async def client(index: int, stop: asyncio.Event) -> None:
        number, n = numbers[index], 0
        while not stop.is_set():
            await ledger.charge_async(
                app_id="bench",
                reference_code=f"{number}-{n}",
                account=number,
                amount_minor=100,
                currency="KRW",
                description="bench",
            )
            n += 1
        counts[index] = n

    async def run() -> tuple[float, float]:
        stop = asyncio.Event()
        began, cpu0 = time.perf_counter(), time.process_time()
        tasks = [asyncio.create_task(client(i, stop)) for i in range(len(numbers))]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
        return began, cpu0

    return asyncio.run(run())


def measure(name: str, url: str, seconds: float) -> list[tuple[str, str, int, Rate, Rate]]:
    rows = []
    for callers in CALLERS:
        for clients in CLIENTS:
            run = f"{callers[0]}{clients}"
            grouped = charge_rate(url, clients, 256, seconds, f"g{run}", callers)
            single = charge_rate(url, clients, 1, seconds, f"s{run}", callers)
            rows.append((name, callers, clients, grouped, single))
            _print_row(name, callers, clients, grouped, single)
    return rows


def _print_row(name: str, callers: str, clients: int, grouped: Rate, single: Rate) -> None:
    trips = f"{grouped.round_trips:>6.1f}" if name == "postgresql" else f"{'-':>6}"
    print(
        f"  {name:<10} {callers:<8} {clients:>7} {grouped.per_s:>14,.0f} {single.per_s:>14,.0f} "
        f"{grouped.per_s / single.per_s:>7.1f}x {grouped.batch:>10.1f} "
        f"{grouped.cpu_us:>10.0f} {single.cpu_us:>9.0f} {trips}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.ledger", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS_PER_RUN, help="per measurement")
    args = parser.parse_args(argv)
    print("ledger: durable charges per second (a charge counts when its commit is durable)")
    with tempfile.TemporaryDirectory(prefix="micropay-bench-") as tmp:
        folder = Path(tmp)
        print(f"  baseline: raw os.fsync in {folder}: {fsync_rate(folder):,.0f}/s")
        print(
            f"  {'backend':<10} {'callers':<8} {'clients':>7} {'group commit/s':>14} {'1 per txn/s':>14} "
            f"{'ratio':>8} {'avg batch':>10} {'CPU us/ch':>10} {'(1/txn)':>9} {'RT/txn':>6}"
        )
        rows = measure("sqlite", f"sqlite:///{folder / 'ledger.db'}", args.seconds)
        with PostgresServer() as pg:
            print(f"  baseline: raw os.fsync in {pg.root}: {fsync_rate(pg.root):,.0f}/s")
            rows += measure("postgresql", pg.create_database("bench"), args.seconds)
    for name, callers, clients, grouped, single in rows:
        if clients != 32:
            continue
        rate, ratio = TARGETS[name]
        got = grouped.per_s / single.per_s
        verdict = "met" if grouped.per_s >= rate and got >= ratio else "NOT met"
        print(
            f"  target at 32 clients on {name} ({callers}): >= {rate:,}/s and >= {ratio}x one "
            f"per transaction: {grouped.per_s:,.0f}/s, {got:.1f}x -- {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
