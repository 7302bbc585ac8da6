"""Closed-loop load from separate client processes, with every call's latency.

``measure(targets, protocol, operation, clients, seconds)`` spreads ``clients`` concurrent clients
over at most ``CLIENT_PROCESSES_MAX`` processes (so the clients do not share the gateway's -- or
one another's -- GIL), each client calling in a loop for ``seconds`` from one common start time,
and returns the rate of completed calls and their latency percentiles. Client ``n`` uses
benchmark account ``n`` (``bench.cluster.user``) so that the figures measure the gateway and its
ledger, not contention on one row; clients are dealt round-robin over ``targets`` (one per
gateway).

Protocols and operations (the baseline beside each charge is the trivial call of the same
stack, in the same run, against the same gateways):

- ``corba`` ``raw``: ``setCallback(nil)`` on the Payment manager -- omniORB and the servant
  dispatch, nothing else; ``charge``: ``chargeAmount`` (durable when it returns).
- ``grpc`` ``raw``: ``grpc.health.v1.Health/Check``; ``charge``: ``PaymentService/ChargeAmount``.

A target is ``{"ior": ...}`` (CORBA) or ``{"grpc": host:port, "token": ...}`` (gRPC).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLIENT_PROCESSES_MAX = 8
START_DELAY_S = 3.0  # processes start, connect and warm up before the common start time
CALL_TIMEOUT_S = 30


@dataclass(frozen=True)
class Result:
    clients: int
    calls: int
    errors: int
    rate_per_s: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (the same definition as bench.handshake)."""
    from bench.handshake import _percentile

    return _percentile(values, fraction) if values else 0.0


def measure(
    targets: list[dict[str, str]], protocol: str, operation: str, clients: int, seconds: float
) -> Result:
    processes = min(clients, CLIENT_PROCESSES_MAX)
    plans: list[list[dict[str, Any]]] = [[] for _ in range(processes)]
    for n in range(clients):
        plans[n % processes].append({"user": n, **targets[n % len(targets)]})
    start_at = time.time() + START_DELAY_S
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen", json.dumps(
                {"protocol": protocol, "operation": operation, "clients": plan,
                 "start_at": start_at, "seconds": seconds})],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        for plan in plans
    ]  # fmt: skip
    latencies: list[float] = []
    calls = errors = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=START_DELAY_S + seconds + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"a {protocol} client process failed")
        got = json.loads(out)
        calls += got["calls"]
        errors += got["errors"]
        latencies += got["latencies_ms"]
    return Result(
        clients,
        calls,
        errors,
        calls / seconds,
        statistics.median(latencies) if latencies else 0.0,
        percentile(latencies, 0.99),
    )


# -- the client processes ------------------------------------------------------------------------
def corba_worker(plan: dict[str, Any]) -> dict[str, Any]:
    import omniORB
    from omniORB import CORBA
    from org.csapi.parlayx import common, payment

    from bench.cluster import user

    orb = CORBA.ORB_init([sys.argv[0], "-ORBclientCallTimeOutPeriod", "30000"], CORBA.ORB_ID)
    clients = plan["clients"]
    managers = {}
    for c in clients:
        if c["ior"] not in managers:
            mgr = orb.string_to_object(c["ior"])._narrow(payment.IpPaymentManager)
            omniORB.setClientCallTimeout(mgr, CALL_TIMEOUT_S * 1000)
            mgr.setCallback(None)  # connect before the clock starts
            managers[c["ior"]] = mgr
    info = common.ChargingInformation("bench", "KRW", "1", "")
    results: list[tuple[int, int, list[float]]] = []
    lock = threading.Lock()

    def client(spec: dict[str, Any]) -> None:
        mgr, msisdn = managers[spec["ior"]], user(spec["user"])[1]
        n = errors = 0
        mine: list[float] = []
        while time.time() < plan["start_at"]:
            time.sleep(0.001)
        end = plan["start_at"] + plan["seconds"]
        while (now := time.perf_counter()) and time.time() < end:
            try:
                if plan["operation"] == "raw":
                    mgr.setCallback(None)
                else:
                    mgr.chargeAmount(msisdn, info, f"{plan['start_at']}-{spec['user']}-{n}")
                mine.append((time.perf_counter() - now) * 1000)
            except (CORBA.Exception, common.ServiceException, common.PolicyException):
                errors += 1
            n += 1
        with lock:
            results.append((len(mine), errors, mine))

    threads = [threading.Thread(target=client, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return _summary(results)


def grpc_worker(plan: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    return asyncio.run(_grpc_clients(plan))


async def _grpc_clients(plan: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from micropay.v1 import common_pb2, payment_pb2, payment_pb2_grpc

    from bench.cluster import user

    channels = {c["grpc"]: grpc.aio.insecure_channel(c["grpc"]) for c in plan["clients"]}
    charge = common_pb2.ChargingInformation(
        description="bench", amount=common_pb2.Money(currency_code="KRW", amount_minor=1)
    )
    for channel in channels.values():  # connect before the clock starts
        await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=30)
    results: list[tuple[int, int, list[float]]] = []

    async def client(spec: dict[str, Any]) -> None:
        channel = channels[spec["grpc"]]
        health, pay = (
            health_pb2_grpc.HealthStub(channel),
            payment_pb2_grpc.PaymentServiceStub(channel),
        )
        metadata = (("authorization", f"Bearer {spec.get('token', '')}"),)
        msisdn = user(spec["user"])[1]
        n = errors = 0
        mine: list[float] = []
        await asyncio.sleep(max(0.0, plan["start_at"] - time.time()))
        end = plan["start_at"] + plan["seconds"]
        while time.time() < end:
            started = time.perf_counter()
            try:
                if plan["operation"] == "raw":
                    await health.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT_S)
                else:
                    await pay.ChargeAmount(
                        payment_pb2.ChargeAmountRequest(
                            end_user_identifier=msisdn,
                            charge=charge,
                            reference_code=f"{plan['start_at']}-{spec['user']}-{n}",
                        ),
                        metadata=metadata,
                        timeout=CALL_TIMEOUT_S,
                    )
                mine.append((time.perf_counter() - started) * 1000)
            except grpc.RpcError:
                errors += 1
            n += 1
        results.append((len(mine), errors, mine))

    await asyncio.gather(*(client(c) for c in plan["clients"]))
    for channel in channels.values():
        await channel.close()
    return _summary(results)


def _summary(results: list[tuple[int, int, list[float]]]) -> dict[str, Any]:
    return {
        "calls": sum(r[0] for r in results),
        "errors": sum(r[1] for r in results),
        "latencies_ms": [round(x, 3) for r in results for x in r[2]],
    }


def main(argv: list[str]) -> int:
    """A client process of ``measure``: ``python -m bench.loadgen PLAN_JSON`` (not run by hand)."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m bench.loadgen PLAN_JSON\n\n" + (__doc__ or "").split("\n\n")[0])
        return 0 if argv else 2
    plan = json.loads(argv[0])
    worker = corba_worker if plan["protocol"] == "corba" else grpc_worker
    print(json.dumps(worker(plan)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
