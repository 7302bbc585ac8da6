"""A separate gateway process for the ledger's concurrency and crash tests.

    python -m tests.charging.worker race URL ACCOUNT AMOUNT ATTEMPTS THREADS PREFIX
        opens the ledger, prints "ready", waits for a line on stdin, then charges ACCOUNT
        ATTEMPTS times from THREADS threads at once; prints {"ok": n, "refused": m} as JSON.

    python -m tests.charging.worker loop URL ACCOUNT THREADS ROUND [RETRY_REF ...]
        first re-sends RETRY_REF (requests a killed predecessor may or may not have made), then
        charges in a loop from THREADS threads, printing "try REF" before each call and
        "ack REF" after it returned -- until it is killed.

The amount of a loop charge follows from its reference, so that a re-sent request has the same
content as the original.
"""

from __future__ import annotations

import json
import sys
import threading

from charging.errors import DomainError
from charging.ledger import Ledger

_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def amount_of(reference: str) -> int:
    return sum(reference.encode()) % 97 + 1


def race(url: str, account: str, amount: int, attempts: int, threads: int, prefix: str) -> None:
    with Ledger.open(url) as ledger:
        ledger.get_account(account)  # connections warm, so the race starts together
        say("ready")
        sys.stdin.readline()
        counts = {"ok": 0, "refused": 0}
        lock = threading.Lock()

        def work(t: int) -> None:
            for n in range(t, attempts, threads):
                try:
                    ledger.charge(
                        app_id="racer",
                        reference_code=f"{prefix}-{n}",
                        account=account,
                        amount_minor=amount,
                        currency="KRW",
                        description="race",
                    )
                    outcome = "ok"
                except DomainError:
                    outcome = "refused"
                with lock:
                    counts[outcome] += 1

        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        say(json.dumps(counts))


def loop(url: str, account: str, threads: int, round_: str, retry: list[str]) -> None:
    ledger = Ledger.open(url)
    for reference in retry:
        ledger.charge(
            app_id="crasher",
            reference_code=reference,
            account=account,
            amount_minor=amount_of(reference),
            currency="KRW",
            description="loop",
        )
        say(f"ack {reference}")
    say("ready")

    def work(t: int) -> None:
        n = 0
        while True:
            reference = f"R{round_}-{t}-{n}"
            say(f"try {reference}")
            ledger.charge(
                app_id="crasher",
                reference_code=reference,
                account=account,
                amount_minor=amount_of(reference),
                currency="KRW",
                description="loop",
            )
            say(f"ack {reference}")
            n += 1

    pool = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "race":
        race(args[0], args[1], int(args[2]), int(args[3]), int(args[4]), args[5])
    elif mode == "loop":
        loop(args[0], args[1], int(args[2]), args[3], args[4:])
    else:
        raise SystemExit(f"unknown mode {mode}")
