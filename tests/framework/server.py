"""A test-only gateway: ``micropay serve`` plus a P_TEST service (python -m tests.framework.server).

The P_TEST manager is a plain IpService whose calls are appended to
``<data>/p_test_calls.jsonl`` with the context it was bound to, so tests can prove a manager
reference is bound to one application and one agreement and dies with them.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import org.csapi as csapi
import org__POA.csapi as csapi_POA

from framework.corba.registry import ServiceContext
from framework.core.services import MANDATORY, PropertyDecl
from gateway.cli.serve import serve
from gateway.components import Runtime
from gateway.config import load_config

P_TEST = "P_TEST"
FLAVOUR = "P_TEST_FLAVOUR"


class TestManager(csapi_POA.IpService):
    def __init__(self, context: ServiceContext, journal: Path, lock: threading.Lock) -> None:
        self.context = context
        self.journal = journal
        self.lock = lock

    def _record(self, operation: str) -> None:
        line = {
            "operation": operation,
            "app_id": self.context.app_id,
            "agreement_id": self.context.agreement_id,
            "service_id": self.context.service_id,
        }
        with self.lock, self.journal.open("a") as fh:
            fh.write(json.dumps(line) + "\n")

    def setCallback(self, appInterface: Any) -> None:  # noqa: N802, N803 (IDL names)
        if appInterface is None:
            raise csapi.P_INVALID_INTERFACE_TYPE("nil callback")
        self._record("setCallback")

    def setCallbackWithSessionID(self, appInterface: Any, sessionID: int) -> None:  # noqa: N802, N803
        self._record(f"setCallbackWithSessionID:{sessionID}")


def start_p_test(runtime: Runtime) -> None:
    assert runtime.services is not None
    journal = runtime.config.data_dir / "p_test_calls.jsonl"
    lock = threading.Lock()
    runtime.services.register_type(P_TEST, [PropertyDecl(FLAVOUR, MANDATORY)])

    def factory(context: ServiceContext) -> TestManager:
        return TestManager(context, journal, lock)

    runtime.services.register(
        P_TEST, factory, properties={FLAVOUR: ["plain", "signed"]}, terms="Test terms."
    )
    runtime.services.register(
        P_TEST, factory, properties={FLAVOUR: ["other"]}, service_id="test-other"
    )


def main() -> int:
    return serve(load_config(sys.argv[1] if len(sys.argv) > 1 else None), [start_p_test])


if __name__ == "__main__":
    sys.exit(main())
