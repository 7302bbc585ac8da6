"""The mixed traffic every fault test runs through its fault, and the checks after it.

``Traffic(rig, accounts)`` connects the application over CORBA and gRPC, then runs charges from
CORBA and gRPC client threads and a stream of SMS over CORBA. ``reconnect()`` runs the handshakes
again (after the gateway was restarted, its old references and tokens are gone; the load threads
pick up the new ones at their next call). ``finish()`` stops the load, settles every unknown
charge with its referenceCode and checks the ledger and the SMS against what was acknowledged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tests.faults.checks import (
    assert_ledger_holds_book,
    assert_sms_accounted,
    corba_sms_status,
    wait_sms_final,
)
from tests.faults.harness import Account, CorbaApp, GrpcApp, Rig
from tests.faults.load import (
    Book,
    ChargeLoad,
    SmsLoad,
    corba_charger,
    corba_sms_sender,
    grpc_charger,
)

CHARGE_MINOR = 100
RECONNECT_WAIT_S = 30


@dataclass
class Outcome:
    book: Book
    sms_sent: dict[str, tuple[str, str]]
    sms_status: dict[str, str]
    latencies_s: list[float]


class Traffic:
    def __init__(
        self,
        rig: Rig,
        accounts: list[Account],
        *,
        corba_threads: int = 4,
        grpc_threads: int = 2,
        sms_interval_s: float | None = 0.05,
        prefix: str = "ref",
        pace_s: float = 0.0,
    ) -> None:
        self.rig = rig
        self.accounts = accounts
        self.corba: CorbaApp = rig.connect_corba()
        self.grpc: GrpcApp = rig.connect_grpc()
        chargers = [corba_charger(lambda: self.corba.payment) for _ in range(corba_threads)]
        chargers += [grpc_charger(lambda: self.grpc.payment) for _ in range(grpc_threads)]
        self.load = ChargeLoad(chargers, accounts, CHARGE_MINOR, prefix, pace_s=pace_s)
        self.sms = (
            None
            if sms_interval_s is None
            else SmsLoad(corba_sms_sender(lambda: self.corba.sms), sms_interval_s)
        )

    def start(self) -> Traffic:
        self.load.start()
        if self.sms is not None:
            self.sms.start()
        return self

    def reconnect(self) -> None:
        """Handshake again on both surfaces, retrying while the gateway comes back."""
        deadline = time.monotonic() + RECONNECT_WAIT_S
        while True:
            try:
                self.corba = self.rig.connect_corba()
                self.grpc = self.rig.connect_grpc()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def acknowledged(self) -> int:
        return len(self.load.book.ok)

    def finish(self, ledger_url: str | None = None, sms_timeout_s: float = 30) -> Outcome:
        book = self.load.stop()
        sent = self.sms.stop() if self.sms is not None else {}
        self.load.settle(corba_charger(lambda: self.corba.payment))
        assert_ledger_holds_book(ledger_url or self.rig.ledger_url, book, self.accounts)
        statuses = wait_sms_final(
            corba_sms_status(lambda: self.corba.sms), list(sent), sms_timeout_s
        )
        assert_sms_accounted(self.rig, sent, statuses)
        return Outcome(book, sent, statuses, list(self.load.latencies_s))
