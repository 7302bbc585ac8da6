"""Framework handshake benchmark: full Parlay 4 handshakes per second, beside a raw ORB round trip.

A full handshake is what an application does before its first SCF call: initiateAuthentication-
WithVersion, selectAuthenticationMechanism, the mutual CHAP challenge (both directions, with the
framework's callback), requestAccess, selectSigningAlgorithm, obtainInterface(×2), discovery,
selectService, initiateSignServiceAgreement (with the framework's signServiceAgreement callback
and signature check), signServiceAgreement (countersignature, durable agreement record, SCF
manager) and the signed terminateAccess. The baseline is one plain request/reply through the
same ORBs and Python servant dispatch (initiateAuthenticationWithVersion refused at once with
P_INVALID_VERSION), measured in the same run against the same gateway process.

    .venv/bin/python -m bench.handshake [--count N] [--key rsa2048|ed25519]

The gateway is ``micropay serve`` (``bench.cluster``: one gateway, SQLite ledger, free loopback
ports, a temporary folder) and the service selected is P_PAYMENT, as an application does before
its first charge; client and gateway share the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import org.csapi as csapi
import org.csapi.fw as fw
from org.csapi.fw.fw_access import trust_and_security as ts

import client
from bench.cluster import APP_ID, SECRET, Cluster
from bench.keys import private_key
from client.orb import client_orb

NO_DOMAIN = fw.TpAuthDomain(fw.TpDomainID(ClientAppID=APP_ID), None)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(fraction * len(ordered) + 0.999999) - 1))]


def _run(concurrency: int, per_thread: int, once: Callable[[], None]) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker() -> None:
        mine = []
        for _ in range(per_thread):
            started = time.perf_counter()
            try:
                once()
            except BaseException as exc:  # reported after the run
                failures.append(exc)
                return
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} failed, first: {failures[0]!r}")
    return latencies, elapsed


def _line(label: str, latencies: list[float], elapsed: float) -> str:
    return (
        f"{label:<34} median {statistics.median(latencies) * 1000:8.2f} ms   "
        f"p99 {_percentile(latencies, 0.99) * 1000:8.2f} ms   "
        f"{len(latencies) / elapsed:9.1f} /s   (n={len(latencies)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.handshake", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=160, help="handshakes per concurrency level")
    parser.add_argument("--key", default="rsa2048", choices=["rsa2048", "ed25519"])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-handshake-") as tmp:
        folder = Path(tmp)
        cluster = Cluster(
            folder, f"sqlite:///{folder / 'ledger.db'}", accounts=0, key_kind=args.key
        )
        with cluster:
            corbaloc = cluster.running[0].corbaloc
            key = private_key(args.key)  # an application parses its key once
            initial = client_orb().orb.string_to_object(corbaloc)._narrow(ts.IpInitial)

            def round_trip() -> None:
                # the cheapest call the framework answers: refused before any state
                with contextlib.suppress(csapi.P_INVALID_VERSION):
                    initial.initiateAuthenticationWithVersion(NO_DOMAIN, "P_OSA_AUTHENTICATION", "")

            def handshake() -> None:
                session = client.connect(corbaloc, APP_ID, SECRET, key)
                session.obtain_service("P_PAYMENT")
                session.terminate()

            handshake()  # warm-up: connections, caches
            algorithm = "P_ED25519" if args.key == "ed25519" else "P_SHA256_RSA_2048"
            print(
                f"framework handshake ({algorithm}, P_OSA_HMAC_SHA256; client and gateway on one host)"
            )
            for concurrency in (1, 16):
                per_thread = max(1, args.count // concurrency)
                base, base_s = _run(concurrency, per_thread * 20, round_trip)
                print(_line(f"baseline ORB round trip  c={concurrency}", base, base_s))
                full, full_s = _run(concurrency, per_thread, handshake)
                print(_line(f"full handshake           c={concurrency}", full, full_s))
                ratio = statistics.median(full) / statistics.median(base)
                print(f"{'':<34} handshake = {ratio:.0f} round trips (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
