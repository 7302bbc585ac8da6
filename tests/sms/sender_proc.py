"""A gateway-like process that only runs the SMS runtime (for kill -9 tests).

Usage: python -m tests.sms.sender_proc  (configuration from MICROPAY_* variables)
"""

from __future__ import annotations

import signal
import sys
import threading

from gateway.config import load_config
from scf.sms.runtime import start_sms


def main() -> int:
    config = load_config()
    runtime = start_sms(config, resolver=lambda endpoint: None, lease_ms=1_000)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sys.stdout.write("sender ready\n")
    sys.stdout.flush()
    stop.wait()
    runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
