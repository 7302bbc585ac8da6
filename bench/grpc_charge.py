"""gRPC shim throughput: ChargeAmount RPCs per second beside the trivial unary RPC (health Check).

One real gateway process (``micropay serve`` with every SCF; TLS on with its self-signed
certificate; SQLite ledger, durable commits), one client process with a grpc.aio channel. At 1,
8 and 32 concurrent clients, in the same run against the same server:

- baseline: ``grpc.health.v1.Health/Check`` -- TLS, HTTP/2 and the grpc.aio server, no token,
  no domain work: the ceiling of the stack;
- ``PaymentService/ChargeAmount`` -- bearer token lookup, rate limit, a worker thread, the
  Payment SCF and a durable ledger charge (each client charges its own account, every request
  with its own reference_code).

The three alternate three times per level, the gateway left to finish its work between
measurements (``bench.alternate``); printed with the gateway's CPU per request. Target: the
charge rate at least 50% of the trivial rate. Run:
``.venv/bin/python -m bench.grpc_charge [--seconds S] [--levels 1,8,32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
import psutil
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from grpc_health.v1 import health_pb2, health_pb2_grpc
from micropay.v1 import account_pb2, account_pb2_grpc, common_pb2, payment_pb2, payment_pb2_grpc

from bench.alternate import Rate, alternate, loops
from bench.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "bench-grpc"
START_TIMEOUT_S = 60
WARM_UP_CLIENTS = 4


def serve(config_path: str) -> int:
    """The gateway process: ``micropay serve``, plus the charging SCFs if not yet built in."""
    from gateway.cli.serve import serve as run
    from gateway.components import COMPONENTS
    from gateway.config import load_config
    from scf.payment.component import start_charging_scfs

    extra = [] if start_charging_scfs in COMPONENTS else [start_charging_scfs]
    return run(load_config(config_path), extra)


def write_config(folder: Path) -> tuple[Path, int]:
    grpc_port = free_port()
    sections = {
        "data": {"dir": str(folder / "data")},
        "corba": {"port": free_port()},
        "health": {"port": free_port()},
        "smsc": {"port": free_port()},
        "shop": {"port": free_port()},
        "grpc": {"port": grpc_port, "tls": "on", "app_rate_limit_per_s": 0, "workers_max": 64},
    }
    text = "".join(
        f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in items.items())
        for name, items in sections.items()
    )
    path = folder / "micropay.toml"
    path.write_text(text)
    path.chmod(0o600)  # micropay refuses a configuration others may read
    return path, grpc_port


def prepare(data_dir: Path, accounts: int) -> tuple[bytes, bytes]:
    """Register the application and its accounts; (secret, private key PEM)."""
    from charging.ledger import Ledger
    from framework.core.sealing import MASTER_KEY_FILE, Keyring
    from framework.core.store import FrameworkStore
    from storage import open_database

    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'ledger.db'}"
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    secret = os.urandom(32)
    db = open_database(url)
    FrameworkStore(db, Keyring.load(data_dir / MASTER_KEY_FILE)).register_application(
        APP_ID,
        secret,
        public.decode(),
        ["P_OSA_HMAC_SHA256"],
        ["P_PAYMENT", "P_ACCOUNT_MANAGEMENT"],
        datetime.now(UTC),
    )
    db.close()
    with Ledger.open(url) as ledger:
        for n in range(accounts):
            ledger.create_account(
                f"B{n:06d}", msisdn=f"tel:+8210{n:08d}", currency="KRW", balance_minor=10**12
            )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return secret, pem


def start_gateway(config_path: Path, log: Path, ready: str = "grpc: ") -> subprocess.Popen:
    """The gateway of ``config_path`` in its own process, returned once it has printed the
    endpoint line starting with ``ready`` (the surface the caller measures)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.grpc_charge", "--serve", str(config_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if line is None:
            raise RuntimeError(f"the gateway exited: {log.read_text()[-2000:]}")
        if line.startswith(ready):
            return proc


def stop_gateway(proc: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL if it has not ended in 30 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


async def measure(
    target: str, ca: bytes, tokens: tuple[str, str], levels: list[int], seconds: float,
    gateway: psutil.Process,
) -> list[tuple[int, Rate, Rate, Rate]]:  # fmt: skip
    credentials = grpc.ssl_channel_credentials(ca)
    results = []
    async with grpc.aio.secure_channel(target, credentials) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        payment = payment_pb2_grpc.PaymentServiceStub(channel)
        account = account_pb2_grpc.AccountServiceStub(channel)
        metadata = (("authorization", f"Bearer {tokens[0]}"),)
        account_metadata = (("authorization", f"Bearer {tokens[1]}"),)
        charge = common_pb2.ChargingInformation(
            description="bench", amount=common_pb2.Money(currency_code="KRW", amount_minor=1)
        )
        run = str(time.time_ns())

        async def check(n: int, i: int) -> None:
            await health.Check(health_pb2.HealthCheckRequest(), timeout=30)

        async def charge_one(n: int, i: int) -> None:
            await payment.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier=f"tel:+8210{n:08d}",
                    charge=charge,
                    reference_code=f"{run}-{n}-{i}",
                ),
                metadata=metadata,
                timeout=30,
            )

        async def balance(n: int, i: int) -> None:
            await account.GetBalance(
                account_pb2.GetBalanceRequest(end_user_identifier=f"tel:+8210{n:08d}"),
                metadata=account_metadata,
                timeout=30,
            )

        for call in (check, balance, charge_one):  # warm up every path
            await loops(call, WARM_UP_CLIENTS, 0.5)
        for clients in levels:
            calls = {"check": check, "balance": balance, "charge": charge_one}
            got = await alternate(calls, clients, seconds, gateway)
            results.append((clients, got["check"], got["balance"], got["charge"]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="per request kind and level, split over the rounds")  # fmt: skip
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve)
    levels = [int(x) for x in args.levels.split(",")]
    from client.grpc_session import connect

    with tempfile.TemporaryDirectory(prefix="bench-grpc-") as tmp:
        folder = Path(tmp)
        config_path, port = write_config(folder)
        secret, pem = prepare(folder / "data", max(*levels, WARM_UP_CLIENTS))
        proc = start_gateway(config_path, folder / "server.log")
        try:
            ca = (folder / "data" / "grpc-tls" / "cert.pem").read_bytes()
            target = f"127.0.0.1:{port}"
            session = connect(f"grpcs://{target}", APP_ID, secret, pem, root_certificates=ca)
            tokens = (
                session.obtain_service("P_PAYMENT").token,
                session.obtain_service("P_ACCOUNT_MANAGEMENT").token,
            )
            results = asyncio.run(
                measure(target, ca, tokens, levels, args.seconds, psutil.Process(proc.pid))
            )
            session.terminate()
        finally:
            stop_gateway(proc)
    print("gRPC shim over TLS on loopback, SQLite ledger (durable commits), one client process")
    print(
        f"{'clients':>8} {'Health/Check /s':>16} {'GetBalance /s':>14} {'ChargeAmount /s':>16}"
        f" {'charge/trivial':>15} {'CPU/Check':>10} {'CPU/charge':>11}"
    )
    worst = 1.0
    for clients, trivial, read, charged in results:
        ratio = charged.per_s / trivial.per_s
        worst = min(worst, ratio)
        print(f"{clients:>8} {trivial.per_s:>16.0f} {read.per_s:>14.0f} {charged.per_s:>16.0f}"
              f" {ratio:>15.0%} {trivial.cpu_ms:>8.2f}ms {charged.cpu_ms:>9.2f}ms")  # fmt: skip
    print(
        f"target: ChargeAmount >= 50% of Health/Check at every level: {'met' if worst >= 0.5 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
