"""What the CAMARA flows share: the domain services they call, the writer of their own rows,
and the one pattern every state change follows.

**Write ahead, then the ledger, then settle** -- except a 1-step payment, whose row is written in
its charge's own transaction (``camara.payments.OneStep``). A request that moves money first
commits its row with the ledger operation it is about to run (``pending_op``), then runs it --
idempotent on its ledger referenceCode -- then commits the outcome, with its CloudEvent in the
same transaction. A crash between the steps leaves a row whose operation the recovery sweep
(:mod:`camara.recovery`) runs again: the ledger answers the first outcome, or evaluates it
afresh if it never happened, and the row is settled as if the client were still waiting (the
spec's asynchronous outcome, told to the sink). Every write goes through one
``GroupCommitter``, so concurrent requests share one durable commit.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from camara import jsonio, limits, store
from camara.model import Sink
from charging.group_commit import GroupCommitter
from storage import Database
from storage.database import Transaction


def new_id() -> str:
    """A paymentId, refundId or authorizationId: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(limits.payment_id_bytes)


@dataclass
class Settings:
    """The ``[camara]`` settings the flows use."""

    confirm_above_minor: int  # default one-time-code threshold; -1: none
    code_ttl_s: int
    code_attempts_max: int
    source: str  # CloudEvents ``source`` (this gateway's base URL)


class Flows:
    """The domain services and the writer; handed to the payment and refund flows."""

    def __init__(
        self,
        *,
        db: Database,
        payment: Any,  # scf.payment.service.PaymentService
        ledger: Any,  # charging.ledger.Ledger
        sms: Callable[[], Any],  # the SMS SCF's service when it runs (raises when it does not)
        settings: Settings,
        code_key: bytes,
        clock: Callable[[], datetime],
        workers_max: int,
    ) -> None:
        self.db, self.payment, self.ledger, self.sms = db, payment, ledger, sms
        self.settings, self.code_key, self.clock = settings, code_key, clock
        self.writer: GroupCommitter[Any] = GroupCommitter(db, lambda tx, records: None)
        self.pool = ThreadPoolExecutor(workers_max, thread_name_prefix="camara")

    def close(self) -> None:
        self.writer.close()
        self.pool.shutdown(wait=True, cancel_futures=True)

    async def blocking(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """``fn`` off the event loop (a ledger read, a reservation, an SMS)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, lambda: fn(*args, **kw))

    async def write(self, work: Callable[[Transaction], Any]) -> Any:
        """``work(tx)`` in the next group-committed transaction; its result once durable."""
        return await self.writer.submit_async(lambda tx: (work(tx), []))

    def event(self, tx: Transaction, app_id: str, subject_id: str, sink: Sink | None,
              body: dict[str, Any]) -> None:  # fmt: skip
        """Queue a CloudEvent in ``tx`` (nothing when the client gave no sink)."""
        if sink is not None:
            store.add_event(tx, app_id, subject_id, sink, jsonio.dumps(body), self.clock())
