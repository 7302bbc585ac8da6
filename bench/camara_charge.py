"""CAMARA surface throughput: createPayment per second beside a trivial authenticated GET.

One real gateway process (``micropay serve`` with every SCF and ``[camara]`` on, TLS with its
self-signed certificate, SQLite ledger with durable commits), one client process with an
``httpx.AsyncClient`` (HTTP/1.1 keep-alive). At 1, 8 and 32 concurrent clients, in the same run
against the same server, the two alternating three times per level with the gateway left to
finish its work between measurements (``bench.alternate``):

- baseline: ``GET /whoami`` -- TLS, HTTP parsing, routing, the bearer-token lookup and a JSON
  answer: the ceiling of the stack for an authenticated request;
- ``POST /carrier-billing/v0.5/payments`` (createPayment, 1-step) -- the same, plus the body
  checked against the OpenAPI schema, then the Payment SCF's durable ledger charge with the
  payment row written in the charge's own transaction (its keys and one-time-code threshold
  checked there); each client charges its own account, every request with its own
  referenceCode and clientCorrelator.

Printed: requests per second, the ratio (target: createPayment >= 50% of the trivial GET at
every level) and the gateway's CPU time per request (user + system, from /proc via psutil).
Run: ``.venv/bin/python -m bench.camara_charge [--seconds S] [--levels 1,8,32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench.alternate import Rate, alternate, loops
from bench.grpc_charge import prepare, start_gateway, stop_gateway
from bench.ports import free_port
from client.camara import TOKEN_PATH, fetch_token

APP_ID = "bench-grpc"  # bench.grpc_charge.prepare registers it (P_PAYMENT, an Ed25519 key)
WARM_UP_CLIENTS = 4
PAY = "/carrier-billing/v0.5/payments"


def write_config(folder: Path) -> tuple[Path, int]:
    port = free_port()
    sections = {
        "data": {"dir": str(folder / "data")},
        "corba": {"port": free_port()},
        "grpc": {"port": free_port()},
        "health": {"port": free_port()},
        "smsc": {"port": free_port()},
        "shop": {"port": free_port()},
        "camara": {
            "enabled": True,
            "port": port,
            "tls": "on",
            "app_rate_limit_per_s": 0,
            "workers_max": 64,
        },  # fmt: skip
    }
    text = "".join(
        f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in items.items())
        for name, items in sections.items()
    )
    path = folder / "micropay.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path, port


def token(url: str, pem: bytes, context: ssl.SSLContext) -> str:
    with httpx.Client(verify=context) as http:
        return str(fetch_token(http, f"{url}{TOKEN_PATH}", APP_ID, pem)["access_token"])


async def measure(url: str, context: ssl.SSLContext, bearer: str, levels: list[int],
                  seconds: float, gateway: psutil.Process) -> list[tuple[int, Rate, Rate]]:  # fmt: skip
    results = []
    limits = httpx.Limits(
        max_connections=max(levels) + 4, max_keepalive_connections=max(levels) + 4
    )
    headers = {"authorization": f"Bearer {bearer}"}
    run = str(time.time_ns())
    async with httpx.AsyncClient(base_url=url, verify=context, headers=headers, limits=limits,
                                 timeout=30) as http:  # fmt: skip

        async def trivial(n: int, i: int) -> None:
            r = await http.get("/whoami")
            assert r.status_code == 200, r.text

        async def create(n: int, i: int) -> None:
            body = {"amountTransaction": {
                "phoneNumber": f"+8210{n:08d}", "referenceCode": f"{run}-{n}-{i}",
                "clientCorrelator": f"cc-{run}-{n}-{i}",
                "paymentAmount": {"chargingInformation": {
                    "amount": 1, "currency": "KRW", "description": "bench"}}}}  # fmt: skip
            r = await http.post(PAY, json=body)
            assert r.status_code == 201, r.text

        for call in (trivial, create):
            await loops(call, WARM_UP_CLIENTS, 0.5)
        for clients in levels:
            got = await alternate({"get": trivial, "create": create}, clients, seconds, gateway)
            results.append((clients, got["get"], got["create"]))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0,
                        help="per request kind and level, split over the rounds")  # fmt: skip
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-camara-") as tmp:
        folder = Path(tmp)
        config_path, port = write_config(folder)
        _secret, pem = prepare(folder / "data", max(*levels, WARM_UP_CLIENTS))
        proc = start_gateway(config_path, folder / "server.log", ready="camara: ")
        try:
            context = ssl.create_default_context(
                cafile=str(folder / "data" / "camara-tls" / "cert.pem")
            )
            url = f"https://127.0.0.1:{port}"
            bearer = token(url, pem, context)
            results = asyncio.run(measure(url, context, bearer, levels, args.seconds,
                                          psutil.Process(proc.pid)))  # fmt: skip
        finally:
            stop_gateway(proc)
    print("CAMARA surface over TLS on loopback (HTTP/1.1, uvicorn h11), SQLite ledger "
          "(durable commits), one client process")  # fmt: skip
    print(f"{'clients':>8} {'GET /whoami /s':>15} {'createPayment /s':>17} {'ratio':>7}"
          f" {'CPU/GET':>9} {'CPU/createPayment':>18}")  # fmt: skip
    worst = 1.0
    for clients, got, created in results:
        ratio = created.per_s / got.per_s
        worst = min(worst, ratio)
        print(f"{clients:>8} {got.per_s:>15.0f} {created.per_s:>17.0f} {ratio:>7.0%}"
              f" {got.cpu_ms:>7.2f}ms {created.cpu_ms:>16.2f}ms")  # fmt: skip
    print(
        "target: createPayment >= 50% of the trivial GET at every level: "
        f"{'met' if worst >= 0.5 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
