"""Rates of several request kinds against one gateway, measured so that they can be compared.

A benchmark that measures kind A for a while and then kind B is at the mercy of the machine: a
drift of its speed during the run, or the work A left behind (a payment's SMS, outbox rounds)
landing in B's measurement, moved single ratios by ten points on the shared 2-CPU machine. Here
the kinds alternate ``rounds`` times at each level, each figure is the sum over its rounds, and
after every measurement the gateway is left to finish what the requests left it (until its CPU
use stays under ``QUIET_SHARE`` of a CPU for ``QUIET_PROBE_S``): no measurement pays for another's
work, and each kind's CPU figure includes its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import psutil

Call = Callable[[int, int], Awaitable[None]]  # (client number, request number)

ROUNDS = 3
QUIET_PROBE_S = 0.2
QUIET_SHARE = 0.1
QUIET_WAIT_S_MAX = 10


@dataclass(frozen=True)
class Rate:
    per_s: float  # completed requests per second
    cpu_ms: float  # the gateway's CPU per request (user + system), milliseconds


def cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def quiet(gateway: psutil.Process) -> float:
    """Wait until ``gateway`` is quiet (module docstring); its CPU seconds at that moment."""
    began = time.perf_counter()
    last = cpu_s(gateway)
    while True:
        await asyncio.sleep(QUIET_PROBE_S)
        now = cpu_s(gateway)
        settled = now - last < QUIET_SHARE * QUIET_PROBE_S
        if settled or time.perf_counter() - began > QUIET_WAIT_S_MAX:
            return now
        last = now


async def loops(call: Call, clients: int, seconds: float) -> tuple[int, float]:
    """``clients`` concurrent loops of ``call`` for ``seconds``: (requests done, seconds taken)."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def loop(n: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop_at:
            await call(n, i)
            i += 1
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(n) for n in range(clients)))
    return done, time.perf_counter() - started


async def alternate(
    calls: dict[str, Call],
    clients: int,
    seconds: float,
    gateway: psutil.Process,
    rounds: int = ROUNDS,
) -> dict[str, Rate]:
    """Each of ``calls`` for ``seconds`` in all, in ``rounds`` alternations at ``clients``."""
    totals = {name: [0, 0.0, 0.0] for name in calls}  # requests, seconds, CPU seconds
    await quiet(gateway)
    for _round in range(rounds):
        for name, call in calls.items():
            cpu0 = cpu_s(gateway)
            done, took = await loops(call, clients, seconds / rounds)
            total = totals[name]
            total[0] += done
            total[1] += took
            total[2] += await quiet(gateway) - cpu0
    return {
        name: Rate(n / max(took, 1e-9), cpu / max(n, 1) * 1e3)
        for name, (n, took, cpu) in totals.items()
    }
