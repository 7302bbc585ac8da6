"""An application whose callbacks hang, as a real process (the gateway calls it over IIOP).

    python -m tests.faults.hanging_app JOURNAL HANG_FILE READY_FILE

It serves an ``IpAppAccountManager`` (charging events) and an ``SmsNotification`` (delivery
receipts). While HANG_FILE exists every call blocks inside the servant -- it neither answers nor
fails, as an application stuck on a lock or a dead database would -- for at most
``HANG_S_MAX``; once the file is gone calls go through. Each call that completes is appended to
JOURNAL (one JSON line: kind, reference or address, whether it had hung first). The two IORs are
written to READY_FILE (one a line). Stops on SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from omniORB import CORBA
from org__POA.csapi.parlayx import account_management as am__POA
from org__POA.csapi.parlayx import sms as sms__POA

HANG_S_MAX = 60
POLL_S = 0.02


class Journal:
    def __init__(self, path: Path, hang_file: Path) -> None:
        self.path, self.hang_file = path, hang_file
        self.lock = threading.Lock()

    def call(self, line: dict[str, Any]) -> None:
        """Hang while the hang file exists, then record the call."""
        hung = False
        deadline = time.monotonic() + HANG_S_MAX
        while self.hang_file.exists() and time.monotonic() < deadline:
            hung = True
            time.sleep(POLL_S)
        with self.lock, self.path.open("a") as fh:
            fh.write(json.dumps({**line, "hung": hung}) + "\n")


class AppAccountManager(am__POA.IpAppAccountManager):
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def reportNotification(self, chargingEventInfo: Any, assignmentId: int) -> None:  # noqa: N802, N803
        e = chargingEventInfo
        self.journal.call(
            {"kind": "event", "event": str(e.ChargingEventName), "reference": e.ReferenceCode}
        )


class AppSmsNotification(sms__POA.SmsNotification):
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def notifySmsReception(self, correlator: str, message: Any) -> None:  # noqa: N802
        self.journal.call({"kind": "reception", "correlator": correlator})

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:  # noqa: N802, N803
        self.journal.call(
            {
                "kind": "receipt",
                "correlator": correlator,
                "address": deliveryStatus.address,
                "status": str(deliveryStatus.deliveryStatus),
            }
        )


def main(journal_path: str, hang_file: str, ready_file: str) -> None:
    orb = CORBA.ORB_init([sys.argv[0], "-ORBendPoint", "giop:tcp:127.0.0.1:"], CORBA.ORB_ID)
    poa = orb.resolve_initial_references("RootPOA")
    journal = Journal(Path(journal_path), Path(hang_file))
    refs = [
        poa.servant_to_reference(AppAccountManager(journal)),
        poa.servant_to_reference(AppSmsNotification(journal)),
    ]
    poa._get_the_POAManager().activate()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tmp = Path(ready_file + ".tmp")
    tmp.write_text("\n".join(orb.object_to_string(r) for r in refs))
    tmp.replace(ready_file)
    while not stop.wait(0.2):
        pass
    orb.shutdown(True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
