"""Run the embedded SMSC as a process: ``python -m smsc --port 2775 --data var/smsc``.

It listens for SMPP on ``--host:--port``, for admin commands on an ephemeral loopback port
(written to ``<data>/admin.json``), and stops on SIGTERM/SIGINT, or when ``--parent-pid`` dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from charging import msisdn
from smpp.credentials import ensure_password
from smsc.admin import AdminServer
from smsc.credentials import password_path
from smsc.server import SmscServer

PARENT_CHECK_INTERVAL_S = 0.5


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m smsc", description="micropay embedded SMSC (SMPP 3.4)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2775, help="SMPP port (0: any free port)")
    p.add_argument("--data", required=True, help="the SMSC's data folder (journal, handsets)")
    p.add_argument("--system-id", default="micropay", help="the system_id ESMEs must bind with")
    p.add_argument(
        "--password-file",
        default="",
        help="bind password file (default: <data>/password, generated)",
    )
    p.add_argument(
        "--rate", type=int, default=0, help="throttle beyond N submit_sm per second (0: no limit)"
    )
    p.add_argument(
        "--region", default=msisdn.DEFAULT_REGION, help="the country of national numbers (KR)"
    )
    p.add_argument("--parent-pid", type=int, default=0, help="exit when this process is gone")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    msisdn.set_default_region(args.region)
    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    password = ensure_password(password_path(args.password_file, data))
    smsc = SmscServer(
        data, host=args.host, port=args.port, system_id=args.system_id, password=password
    )
    smsc.behaviour.rate_per_s = args.rate
    port = await smsc.start()
    admin = AdminServer(smsc, data)
    admin_port = await admin.start()
    sys.stdout.write(f"smsc: smpp {args.host}:{port} admin 127.0.0.1:{admin_port} data {data}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        if args.parent_pid and os.getppid() != args.parent_pid:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PARENT_CHECK_INTERVAL_S)
    await admin.stop()
    await smsc.stop()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
