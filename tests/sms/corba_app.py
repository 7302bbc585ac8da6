"""A third-party application in its own process: ``python -m tests.sms.corba_app SPEC_JSON``.

With nothing but the ``client`` library and the generated stubs (its ORB is the library's, as a
real application's would be) it does the Parlay 4 handshake for P_SMS, activates its
SmsNotification, calls startSmsNotification, prints ``ready``, and prints each
notifySmsReception as one JSON line until it has ``count`` of them; then it stops the
notification, ends its access session and exits 0 (3 when nothing came within ``wait_s``).

SPEC_JSON: {"corbaloc", "app_id", "secret_hex", "key_file", "number", "criteria", "correlator",
"count", "wait_s"}.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import omniORB
from org.csapi.parlayx import common
from org.csapi.parlayx import sms as sms_idl
from org__POA.csapi.parlayx import sms as sms__POA

import client
from client.orb import client_orb


class Notifications(sms__POA.SmsNotification):
    def __init__(self, count: int) -> None:
        self.count = count
        self.lock = threading.Lock()
        self.done = threading.Event()

    def notifySmsReception(self, correlator: str, message: Any) -> None:
        line = {
            "correlator": correlator,
            "message": message.message,
            "senderAddress": message.senderAddress,
            "smsServiceActivationNumber": message.smsServiceActivationNumber,
            "dateTime": message.dateTime,
        }
        with self.lock:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            self.count -= 1
            if self.count <= 0:
                self.done.set()

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:
        return None


def main(spec: dict[str, Any]) -> int:
    session = client.connect(
        spec["corbaloc"], spec["app_id"], bytes.fromhex(spec["secret_hex"]), spec["key_file"]
    )
    try:
        manager = session.obtain_service("P_SMS")._narrow(sms_idl.IpSmsManager)
        omniORB.setClientCallTimeout(manager, 20_000)
        servant = Notifications(int(spec["count"]))
        _, ref = client_orb().activate(servant)
        endpoint = client_orb().orb.object_to_string(ref)
        reference = common.SimpleReference(endpoint, "SmsNotification", spec["correlator"])
        manager.startSmsNotification(reference, spec["number"], spec["criteria"])
        print("ready", flush=True)
        got = servant.done.wait(float(spec["wait_s"]))
        manager.stopSmsNotification(spec["correlator"])
        return 0 if got else 3
    finally:
        session.terminate()


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
