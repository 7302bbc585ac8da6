"""Load for the fault tests: charges and SMS from client threads, every outcome written down.

A charge ends in one of three ways, and the fault tests need to tell them apart:

- **acknowledged** (``book.ok``): chargeAmount returned -- the gateway says it is durable;
- **refused** (``book.refused``): a Parlay X fault that is a decision (insufficient balance,
  monthly limit) -- nothing may have moved;
- **unknown** (``book.unknown``): the call failed in a way that says nothing about the outcome
  (SVC1000 "no resources", a CORBA system exception, a gRPC UNAVAILABLE or deadline): the
  gateway or its database died or timed out mid-call.

After the fault, :meth:`ChargeLoad.settle` asks again for every unknown charge *with the same
referenceCode* -- which is what a correct client does, and what idempotency makes safe -- until
each is acknowledged or refused. The checks (``tests.faults.checks``) then hold the ledger to the
book: every acknowledged charge exactly once, nothing else.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from micropay.v1 import common_pb2, payment_pb2, sms_pb2
from omniORB import CORBA
from org.csapi.parlayx import common

from client.grpc_errors import GrpcFault
from tests.faults.harness import Account

# Faults that decide a charge (nothing moved, or the first outcome of the same referenceCode).
DECISIONS = frozenset({"POL1000", "POL1001"})  # insufficient credit, period (monthly) limit
# gRPC codes after which the outcome is unknown.
UNKNOWN_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNAUTHENTICATED,  # a restarted gateway forgot the token: ask again
        grpc.StatusCode.CANCELLED,
    }
)
PAUSE_AFTER_FAILURE_S = 0.05
SETTLE_ATTEMPTS_MAX = 40


class Unknown(Exception):  # noqa: N818 -- an outcome, not an error
    pass


class Refused(Exception):  # noqa: N818
    def __init__(self, message_id: str) -> None:
        super().__init__(message_id)
        self.message_id = message_id


@dataclass(frozen=True)
class Charge:
    reference_code: str
    account: Account
    amount_minor: int


Charger = Callable[[Charge], None]  # raises Refused or Unknown


def corba_charger(manager: Callable[[], Any]) -> Charger:
    """chargeAmount on the IpPaymentManager ``manager()`` returns at the time of the call."""

    def charge(c: Charge) -> None:
        info = common.ChargingInformation("fault test", "KRW", str(c.amount_minor), "")
        try:
            manager().chargeAmount(c.account.msisdn, info, c.reference_code)
        except (common.PolicyException, common.ServiceException) as exc:
            if exc.messageId in DECISIONS:
                raise Refused(exc.messageId) from None
            raise Unknown(exc.messageId) from None
        except CORBA.SystemException as exc:
            raise Unknown(type(exc).__name__) from None

    return charge


def grpc_charger(stub: Callable[[], Any]) -> Charger:
    """ChargeAmount on the bound PaymentService stub ``stub()`` returns at the time of the call."""

    def charge(c: Charge) -> None:
        request = payment_pb2.ChargeAmountRequest(
            end_user_identifier=c.account.msisdn,
            charge=common_pb2.ChargingInformation(
                description="fault test",
                amount=common_pb2.Money(currency_code="KRW", amount_minor=c.amount_minor),
            ),
            reference_code=c.reference_code,
        )
        try:
            stub().ChargeAmount(request)
        except GrpcFault as exc:
            if exc.message_id in DECISIONS:
                raise Refused(exc.message_id) from None
            if exc.code in UNKNOWN_CODES or exc.message_id == "SVC1000":
                raise Unknown(f"{exc.code.name} {exc.message_id}") from None
            raise Unknown(f"unexpected {exc.code.name} {exc.message_id}") from None

    return charge


@dataclass
class Book:
    """Every charge asked for, by referenceCode, and how it ended."""

    ok: dict[str, Charge] = field(default_factory=dict)
    refused: dict[str, Charge] = field(default_factory=dict)
    unknown: dict[str, Charge] = field(default_factory=dict)
    failures: Counter = field(default_factory=Counter)  # why outcomes were unknown
    ok_times: list[float] = field(default_factory=list)  # monotonic time of each ack
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, c: Charge, outcome: str, why: str = "") -> None:
        with self.lock:
            self.unknown.pop(c.reference_code, None)
            getattr(self, outcome)[c.reference_code] = c
            if outcome == "unknown":
                self.failures[why] += 1
            elif outcome == "ok":
                self.ok_times.append(time.monotonic())

    def acknowledged_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(start <= t < end for t in self.ok_times)


class ChargeLoad:
    """``threads`` client threads, each charging the accounts in turn with its own chargers."""

    def __init__(
        self,
        chargers: list[Charger],
        accounts: list[Account],
        amount_minor: int,
        prefix: str,
        book: Book | None = None,
        pace_s: float = 0.0,
    ) -> None:
        self.chargers = chargers
        self.pace_s = pace_s  # a pause between one thread's calls (0: as fast as answered)
        self.accounts = accounts
        self.amount_minor = amount_minor
        self.prefix = prefix
        self.book = book or Book()
        self.latencies_s: list[float] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), name=f"load-{prefix}-{i}", daemon=True)
            for i in range(len(chargers))
        ]

    def start(self) -> ChargeLoad:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> Book:
        self._stop.set()
        for t in self._threads:
            t.join(30)
            assert not t.is_alive(), "a load thread did not stop"
        return self.book

    def _run(self, index: int) -> None:
        charger = self.chargers[index]
        for n in itertools.count():
            if self._stop.is_set():
                return
            account = self.accounts[(index + n) % len(self.accounts)]
            c = Charge(f"{self.prefix}-{index}-{n}", account, self.amount_minor)
            started = time.monotonic()
            try:
                charger(c)
            except Refused:
                self.book.record(c, "refused")
            except Unknown as exc:
                self.book.record(c, "unknown", str(exc))
                time.sleep(PAUSE_AFTER_FAILURE_S)
            else:
                self.book.record(c, "ok")
            self.latencies_s.append(time.monotonic() - started)
            if self.pace_s:
                time.sleep(self.pace_s)

    def settle(self, charger: Charger) -> Book:
        """Ask again for every unknown charge with its referenceCode until each is decided."""
        for c in list(self.book.unknown.values()):
            for _ in range(SETTLE_ATTEMPTS_MAX):
                try:
                    charger(c)
                except Refused:
                    self.book.record(c, "refused")
                except Unknown:
                    time.sleep(0.25)
                    continue
                else:
                    self.book.record(c, "ok")
                break
        assert not self.book.unknown, f"still unknown after retries: {sorted(self.book.unknown)}"
        return self.book


# -- SMS ---------------------------------------------------------------------------------------
SMS_TEXT = "[micropay] fault test {n}"
_sms_numbers = itertools.count(1)


@dataclass
class SmsLoad:
    """One thread sending an SMS to a fresh number every ``interval_s``; acknowledged requests
    (the requestIdentifier came back) by identifier, with their address and text."""

    send: Callable[[str, str], str]  # (address, text) -> requestIdentifier
    interval_s: float = 0.05
    sent: dict[str, tuple[str, str]] = field(default_factory=dict)
    unknown: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> SmsLoad:
        self._thread = threading.Thread(target=self._run, name="load-sms", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> dict[str, tuple[str, str]]:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(30)
        return self.sent

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            n = next(_sms_numbers)
            address, text = f"tel:+8219{n:08d}", SMS_TEXT.format(n=n)
            try:
                self.sent[self.send(address, text)] = (address, text)
            except (common.ServiceException, common.PolicyException, CORBA.SystemException):
                self.unknown += 1  # not stored, or stored without our knowing: no claim made
            except GrpcFault:
                self.unknown += 1


def corba_sms_sender(manager: Callable[[], Any]) -> Callable[[str, str], str]:
    return lambda address, text: manager().sendSms([address], "", [], text, [])


def grpc_sms_sender(stub: Callable[[], Any]) -> Callable[[str, str], str]:
    def send(address: str, text: str) -> str:
        request = sms_pb2.SendSmsRequest(addresses=[address], message=text)
        return stub().SendSms(request).request_identifier

    return send
