"""SMS throughput: messages/s from sendSms to delivery receipt, beside the raw submit_sm rate.

All against one embedded SMSC process on loopback, in the same run:

- baseline: raw submit_sm -> submit_sm_resp over one SMPP session, no database, no receipts
  (the ceiling the SMSC and the SMPP code allow), at the gateway's window and at window 64;
- the SMS SCF: ``sendSms`` (durable outbox commit) -> SMPP sender -> SMSC -> handset -> delivery
  receipt -> DeliveredToTerminal committed, with 1 and 16 application threads calling sendSms.

Run: ``.venv/bin/python -m bench.sms [--messages N] [--window W]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from gateway.config import load_config
from scf.sms.addresses import parse_tel
from scf.sms.runtime import start_sms
from scf.sms.smpp_client import SmppSession
from smpp.credentials import read_password
from smpp.encoding import encode_message
from smpp.pdus import submit_sm
from smsc.embedded import spawn_smsc

TEXT = "[micropay] Paid 3,000 KRW to Coffee Shop. Balance 12,000 KRW"


async def raw_submit_rate(port: int, password: str, count: int, window: int) -> float:
    async def on_deliver(msg):  # no receipts are asked for
        return 0

    session = await SmppSession.open("127.0.0.1", port, "micropay", password, on_deliver)
    part = encode_message(TEXT, 0).parts[0]
    src, dst = parse_tel("short:1555"), parse_tel("tel:+821000000000")
    slots = asyncio.Semaphore(window)
    done = asyncio.Event()
    answered = 0

    def on_response(resp) -> None:
        nonlocal answered
        answered += 1
        slots.release()
        if answered == count:
            done.set()

    started = time.perf_counter()
    for _ in range(count):
        await slots.acquire()
        await session.submit(submit_sm(part, src, dst, registered_delivery=0), on_response)
    await done.wait()
    elapsed = time.perf_counter() - started
    await session.close()
    return count / elapsed


def scf_rate(config, port: int, senders: int, per_sender: int) -> tuple[float, float, float]:
    """(messages/s, p50 ms, p99 ms) from the first sendSms to the last DeliveredToTerminal."""
    runtime = start_sms(config, smsc_port=port)
    try:
        deadline = time.monotonic() + 10
        while not runtime.sender.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        service, total = runtime.service, senders * per_sender
        with runtime.db.transaction() as tx:
            before = tx.one("SELECT COUNT(*) FROM sms_request")[0]

        def app(n: int) -> None:
            for i in range(per_sender):
                service.sendSms("bench", [f"tel:+8210{n:04d}{i:04d}"], None, None, TEXT, None)

        started = time.perf_counter()
        threads = [threading.Thread(target=app, args=(n,)) for n in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        while True:
            with runtime.db.transaction(write=False) as tx:
                done = tx.one(
                    "SELECT COUNT(*) FROM sms_address WHERE status = 'DeliveredToTerminal'"
                )[0]
            if done >= before + total:
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        with runtime.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT r.created_at, a.updated_at FROM sms_request r JOIN sms_address a"
                " USING (request_id) ORDER BY r.created_at DESC LIMIT ?",
                (total,),
            )
        latencies = sorted(
            (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() * 1000
            for a, b in rows
        )
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        return total / elapsed, statistics.median(latencies), p99
    finally:
        runtime.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sms", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--messages", type=int, default=800, help="messages per measurement")
    parser.add_argument("--window", type=int, default=10, help="sms.submit_window_max")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        config = load_config(
            env={
                "MICROPAY_DATA_DIR": str(data),
                "MICROPAY_SMS_SUBMIT_WINDOW_MAX": str(args.window),
            }
        )
        smsc = spawn_smsc(data / "smsc", port=0)
        try:
            password = read_password(data / "smsc" / "password")
            n = args.messages
            print(
                f"SMSC: embedded, loopback; ledger: SQLite (WAL, synchronous=FULL); {n} messages each"
            )
            for window in (args.window, 64):
                rate = asyncio.run(raw_submit_rate(smsc.port, password, n * 2, window))
                print(
                    f"baseline raw submit_sm -> resp, window {window:>2}: {rate:8.0f} submit_sm/s"
                )
            for senders in (1, 16):
                rate, p50, p99 = scf_rate(config, smsc.port, senders, max(n // senders, 1))
                print(
                    f"sendSms -> DeliveredToTerminal, {senders:>2} sender(s), window {args.window}:"
                    f" {rate:8.0f} messages/s  (latency p50 {p50:.0f} ms, p99 {p99:.0f} ms)"
                )
        finally:
            smsc.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
