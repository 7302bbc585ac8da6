"""``micropay serve`` plus a ledger, for the SMS charging tests (python -m tests.sms.corba_server).

The SMS component charges sendSms to the ledger a charging component leaves in
``runtime.extras["ledger"]``. Until the Payment component opens one in every gateway, this adds
one after the others when none is there (the SMS hook looks it up at each charge, so starting
after SMS is fine), and closes it on stop.
"""

from __future__ import annotations

import sys
from typing import Any

from charging.ledger import Ledger
from gateway.cli.serve import serve
from gateway.config import load_config


class _OwnLedger:
    name = "test-ledger"

    def __init__(self, runtime: Any, ledger: Ledger) -> None:
        self.runtime, self.ledger = runtime, ledger

    def stop(self) -> None:
        self.runtime.extras.pop("ledger", None)
        self.ledger.close()


def ensure_ledger(runtime: Any) -> _OwnLedger | None:
    if runtime.extras.get("ledger") is not None:
        return None
    ledger = Ledger.open(runtime.config.ledger_url)
    runtime.extras["ledger"] = ledger
    return _OwnLedger(runtime, ledger)


def main() -> int:
    return serve(load_config(sys.argv[1] if len(sys.argv) > 1 else None), [ensure_ledger])


if __name__ == "__main__":
    sys.exit(main())
