"""An application's IpAppAccountManager as a real process, for the notification tests.

    python -m tests.scf.account.callback_app PORT JOURNAL READY_FILE
listens on 127.0.0.1:PORT with the fixed object key ``AppAM`` (omniORB's INS POA), so a restarted
process is the same object at the same reference; appends each reportNotification to JOURNAL
(one JSON line, flushed before the call returns); writes its IOR to READY_FILE; stops on SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

from omniORB import CORBA
from org__POA.csapi.parlayx import account_management as am__POA


class AppAccountManager(am__POA.IpAppAccountManager):
    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.lock = threading.Lock()

    def reportNotification(self, chargingEventInfo, assignmentId) -> None:
        e = chargingEventInfo
        line = {
            "assignment": assignmentId,
            "event": str(e.ChargingEventName),
            "currency": e.CurrentBalanceInfo.Currency,
            "balance": e.CurrentBalanceInfo.Amount,
            "time": e.ChargingEventTime,
            "user": e.EndUserIdentifier,
            "amount": e.EventAmount,
            "reference": e.ReferenceCode,
            "info": e.AdditionalInfo,
            "id": e.EventID,
        }
        with self.lock, self.journal.open("a") as fh:
            fh.write(json.dumps(line) + "\n")
            fh.flush()


def main(port: int, journal: str, ready_file: str) -> None:
    orb = CORBA.ORB_init([sys.argv[0], "-ORBendPoint", f"giop:tcp:127.0.0.1:{port}"], CORBA.ORB_ID)
    ins = orb.resolve_initial_references("omniINSPOA")
    ins.activate_object_with_id(b"AppAM", AppAccountManager(Path(journal)))
    ins._get_the_POAManager().activate()
    ref = ins.id_to_reference(b"AppAM")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tmp = Path(ready_file + ".tmp")
    tmp.write_text(orb.object_to_string(ref))
    tmp.replace(ready_file)
    while not stop.wait(0.2):
        pass
    orb.shutdown(True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
