"""The SMPP sender: drains the durable outbox into an SMSC, and takes receipts and MO messages in.

It runs in its own thread with its own asyncio loop, and one database thread that applies
everything in arrival order, in batches (one commit for many responses: group commit).

- Window: at most ``window_max`` submit_sm are outstanding; a part is leased when claimed.
- Throttling: ESME_RTHROTTLED / ESME_RMSGQFUL pause all submission for a delay that doubles while
  the SMSC keeps throttling (``THROTTLE_DELAY_MS_MIN`` .. ``THROTTLE_DELAY_MS_MAX``), and the
  window restarts at 1, growing by one per accepted submit_sm (slow start); the part is retried.
  Those decisions are :class:`smpp.window.SendWindow`'s, a pure state machine: this module
  feeds it the answers and the monotonic clock, and waits as it says.
- SMSC down, bind refused or lost: bind again after a back-off that depends on why
  (:mod:`smpp.bind_backoff`: network, refused, or wrong credentials -- the slowest, with an
  optional stop); parts in flight are released and resubmitted on the next bind.
- Durability: a part becomes ``submitted`` in the commit that records its submit_sm_resp, so a
  restart resubmits exactly the parts without a recorded answer. The one at-least-once edge: if
  the process dies after the SMSC answered but before that commit, the part is submitted again
  (the handset may see it twice); receipts of the lost copy match no part and are ignored.
- deliver_sm (receipt or MO) is answered only after its effect is committed, so a crash makes
  the SMSC deliver it again rather than lose it.
- Several gateways on one database: parts are claimed with ``FOR UPDATE SKIP LOCKED`` and a
  lease, so no two senders submit the same part; the SMSC hands a receipt or an MO part to any
  one of the bound senders, so each batch of outcomes runs in the ``sms-outbox`` exclusive
  section (:func:`storage.cluster.exclusive`): an address whose parts' receipts reach two
  gateways, a receipt that overtakes its submit_sm_resp on another gateway, and the parts of a
  long MO message spread over gateways are each settled once, never lost between two
  transactions that could not see each other.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiosmpplib import DeliverSm, GenericNack, SmppCommandStatus, SubmitSmResp
from aiosmpplib.state import MESSAGE_STATE, RECEIPTED_MESSAGE_ID

from scf.sms import inbound, outbox
from scf.sms.smpp_client import BindRefused, Response, SmppSession
from smpp.addresses import DEFAULT_ADDRESSING, Addressing, SmppAddress
from smpp.bind_backoff import BindBackoff, BindFailure, BindRetryPolicy, classify
from smpp.encoding import EncodedPart, decode_text
from smpp.pdus import submit_sm, user_data
from smpp.receipts import parse_receipt
from smpp.window import SendWindow
from storage import Database, StorageUnavailable, TransactionConflict
from storage.cluster import exclusive

logger = logging.getLogger("micropay.sms.sender")

RETRY_DELAY_MS = 1_000  # a temporary submit error (ESME_RSYSERR, ...) is retried after this
SUBMIT_ATTEMPTS_MAX = 10  # temporary errors; connection losses and throttling never count
SUBMIT_LEASE_MS = 30_000  # > RESPONSE_TIMEOUT_MS: a dead sender's parts return after this
POLL_INTERVAL_MS = 200  # picks up due retries and other processes' messages
OPS_BATCH_MAX = 512
OUTBOX_SECTION = "sms-outbox"  # outcome batches of all gateways' senders run one at a time

_S = SmppCommandStatus
THROTTLE_STATUSES = {_S.ESME_RTHROTTLED, _S.ESME_RMSGQFUL}
TEMPORARY_STATUSES = {_S.ESME_RSYSERR, _S.ESME_RX_T_APPN, _S.ESME_RSUBMITFAIL, _S.ESME_RUNKNOWNERR}


def _ms() -> int:
    return time.monotonic_ns() // 1_000_000


class SmppSender:
    def __init__(
        self,
        db: Database,
        *,
        host: str,
        port: int,
        system_id: str,
        password: Callable[[], str],
        window_max: int = 10,
        lease_ms: int = SUBMIT_LEASE_MS,
        enquire_link_interval_ms: int = 30_000,
        response_timeout_ms: int = 10_000,
        on_event: Callable[[], None] | None = None,
        addressing: Addressing = DEFAULT_ADDRESSING,
        short_codes: frozenset[str] = frozenset(),
        bind_retry: BindRetryPolicy | None = None,
    ) -> None:
        self.db = db
        self.host, self.port, self.system_id = host, port, system_id
        self._password = password
        self.lease_ms = lease_ms
        self._enquire_ms = enquire_link_interval_ms
        self._response_ms = response_timeout_ms
        self._on_event = on_event or (lambda: None)
        self.addressing = addressing
        self.short_codes = short_codes  # configured short codes' digits (MO destinations)
        self.backoff = BindBackoff(bind_retry)
        self.owner = f"sender-{uuid.uuid4().hex[:12]}"
        self.connected = threading.Event()
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "submitted",
                "acked",
                "throttled",
                "failed",
                "retried",
                "released",
                "receipts",
                "receipts_unmatched",
                "mo",
                "binds",
                "bind_failures",
            ),
            0,
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.window = SendWindow(window_max)  # outstanding part ids, throttling, slow start
        self._ops: list[tuple[Callable[..., Any], tuple, asyncio.Future]] = []
        self._db_exec = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sms-db")

    # -- life cycle (any thread) -----------------------------------------------------------------
    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="sms-sender", daemon=True
        )
        self._thread.start()
        ready.wait(5)

    def wake(self) -> None:
        """Tell the sender new parts are due (sendSms calls it after its commit)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_ev.set)

    def stop(self, timeout_s: int = 15) -> None:
        """Finish what is in flight, record it, unbind, and end the thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():

            def _stop() -> None:
                self._stopping = True
                self._wake_ev.set()
                self._slot_ev.set()

            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_stop)
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._db_exec.shutdown(wait=True)

    def _run(self, ready: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._wake_ev = asyncio.Event()
            self._slot_ev = asyncio.Event()
            self._ops_ev = asyncio.Event()
            ready.set()
            committer = asyncio.ensure_future(self._committer())
            try:
                await self._connect_loop()
            finally:
                await self._drain_ops()
                committer.cancel()

        asyncio.run(main())

    # -- database thread ---------------------------------------------------------------------
    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        def work() -> Any:
            with self.db.transaction() as tx:
                return fn(tx, *args)

        return await asyncio.get_running_loop().run_in_executor(self._db_exec, work)

    def _enqueue(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self._ops.append((fn, args, future))
        self._ops_ev.set()
        return future

    def _apply(self, batch: list[tuple[Callable[..., Any], tuple, asyncio.Future]]) -> list[Any]:
        with self.db.transaction() as tx:
            exclusive(tx, OUTBOX_SECTION)  # first: before any row lock of the batch
            return [fn(tx, *args) for fn, args, _ in batch]

    async def _committer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._ops_ev.wait()
            self._ops_ev.clear()
            while self._ops:
                batch, self._ops = self._ops[:OPS_BATCH_MAX], self._ops[OPS_BATCH_MAX:]
                try:
                    results = await loop.run_in_executor(self._db_exec, self._apply, batch)
                except Exception as exc:
                    logger.exception("SMS outbox batch failed; its parts will be retried")
                    for _, _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_fn, _, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                if any(fn in (outbox.apply_receipt, inbound.handle_smpp_mo) for fn, _, _ in batch):
                    self._on_event()

    async def _drain_ops(self) -> None:
        while self._ops:
            self._ops_ev.set()
            await asyncio.sleep(0.01)
        await self._db(lambda tx: None)  # the executor is FIFO: this waits for the last batch

    # -- sessions ----------------------------------------------------------------------------
    async def _connect_loop(self) -> None:
        while not self._stopping:
            try:
                session = await SmppSession.open(
                    self.host,
                    self.port,
                    self.system_id,
                    self._password(),
                    self._on_deliver,
                    enquire_link_interval_ms=self._enquire_ms,
                    response_timeout_ms=self._response_ms,
                )
            except (
                OSError,
                TimeoutError,
                ConnectionError,
                BindRefused,
                asyncio.IncompleteReadError,
                ValueError,  # credentials SMPP cannot carry (a password over 8 characters)
            ) as exc:
                if not await self._after_bind_failure(exc):
                    return
                continue
            self.backoff.bound()
            self.stats["binds"] += 1
            self.connected.set()
            logger.info("bound to SMSC %s:%s as %s", self.host, self.port, self.system_id)
            try:
                await self._pump(session)
            finally:
                self.connected.clear()
                await session.close(unbind=self._stopping)
                leftover = self.window.on_session_end()  # claimed, never answered
                if leftover:
                    self.stats["released"] += len(leftover)
                    self._enqueue(outbox.release, leftover)

    async def _after_bind_failure(self, exc: BaseException) -> bool:
        """Wait as the back-off says after a failed bind; False when the sender must stop."""
        self.stats["bind_failures"] += 1
        status = exc.status if isinstance(exc, BindRefused) else None
        kind = BindFailure.AUTHENTICATION if isinstance(exc, ValueError) else classify(status)
        cause = str(exc) if isinstance(exc, BindRefused) else f"{type(exc).__name__} {exc}"
        delay_ms = self.backoff.failed(kind, cause.strip())
        if delay_ms is None:
            logger.error(
                "SMSC %s:%s refused our credentials %d times in a row (%s); not binding again"
                " until restarted",
                self.host,
                self.port,
                self.backoff.auth_failures,
                cause,
            )
            await self._wake_until_stop()
            return False
        log = logger.error if kind is BindFailure.AUTHENTICATION else logger.warning
        log(
            "cannot bind to SMSC %s:%s (%s, %s); retry in %d ms",
            self.host,
            self.port,
            cause,
            kind,
            delay_ms,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake_until_stop(), delay_ms / 1000)
        return True

    def bind_status(self) -> tuple[bool, str]:
        """(bound?, detail) for ``/readyz``: when not bound, why, and when the next try is."""
        bound = self.connected.is_set()
        detail = (
            f"{'bound' if bound else 'not bound'} to {self.host}:{self.port}"
            f" binds={self.stats['binds']} bind_failures={self.stats['bind_failures']}"
        )
        cause = self.backoff.describe()
        return bound, detail if bound or not cause else f"{detail}; {cause}"

    async def _wake_until_stop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.05)

    async def _wait(self, *events: asyncio.Event, timeout_ms: int) -> None:
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(
                waiters, timeout=timeout_ms / 1000, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waiters:
                w.cancel()

    async def _pump(self, session: SmppSession) -> None:
        while not session.closed.is_set():
            if self._stopping:
                if not self.window.outstanding:
                    return
                await self._wait(self._slot_ev, session.closed, timeout_ms=self._response_ms)
                self._slot_ev.clear()
                continue
            now = _ms()
            pause_ms = self.window.pause_ms(now)
            if pause_ms:
                await self._wait(session.closed, timeout_ms=pause_ms)
                continue
            free = self.window.free(now)
            if free <= 0:
                self._slot_ev.clear()
                await self._wait(self._slot_ev, session.closed, timeout_ms=POLL_INTERVAL_MS)
                continue
            self._wake_ev.clear()
            try:
                parts = await self._db(outbox.claim_due, self.owner, free, self.lease_ms)
            except (StorageUnavailable, TransactionConflict) as exc:
                # The database is out of reach: keep the session and ask again, never let the
                # sender thread die (it would stop every SMS of this gateway for good).
                logger.warning("cannot claim SMS parts (%s); retry in %d ms", exc, POLL_INTERVAL_MS)
                await self._wait(session.closed, timeout_ms=POLL_INTERVAL_MS)
                continue
            if not parts:
                await self._wait(self._wake_ev, session.closed, timeout_ms=POLL_INTERVAL_MS)
                continue
            for part in parts:
                self.window.on_submit(part.part_id)
            for part in parts:
                pdu = submit_sm(
                    EncodedPart(part.data_coding, part.esm_class, part.user_data, ""),
                    part.source,
                    part.destination,
                )
                try:
                    await session.submit(pdu, functools.partial(self._on_response, part))
                except ConnectionError:
                    return
                self.stats["submitted"] += 1

    def _on_response(self, part: outbox.PartRow, resp: Response) -> None:
        """Runs in the read loop, in wire order: tell the window, queue the outcome for the
        database thread."""
        self._slot_ev.set()
        if resp is None:
            self.window.on_release(part.part_id)
            self.stats["released"] += 1
            self._enqueue(outbox.release, [part.part_id])
            return
        status = resp.command_status
        if isinstance(resp, SubmitSmResp) and status == _S.ESME_ROK:
            self.window.on_ack(part.part_id)
            self.stats["acked"] += 1
            self._enqueue(outbox.record_ack, part.part_id, resp.message_id)
        elif status in THROTTLE_STATUSES:
            self.window.on_throttle(part.part_id, _ms())
            self.stats["throttled"] += 1
            self._enqueue(outbox.record_retry, part.part_id, 0, status.name, False)
        elif (status in TEMPORARY_STATUSES or isinstance(resp, GenericNack)) and (
            part.attempts + 1 < SUBMIT_ATTEMPTS_MAX
        ):
            self.window.on_release(part.part_id)
            self.stats["retried"] += 1
            self._enqueue(outbox.record_retry, part.part_id, RETRY_DELAY_MS, status.name)
        else:
            self.window.on_release(part.part_id)
            self.stats["failed"] += 1
            self._enqueue(outbox.record_failure, part.part_id, status.name)

    # -- inbound -----------------------------------------------------------------------------
    async def _on_deliver(self, msg: DeliverSm) -> int:
        data = user_data(msg)
        if msg.is_receipt():
            tlvs = {p.tag: p.value for p in msg.optional_params or []}
            receipt = parse_receipt(
                decode_text(data.payload, data.data_coding),
                str(tlvs[RECEIPTED_MESSAGE_ID]) if RECEIPTED_MESSAGE_ID in tlvs else None,
                int(tlvs[MESSAGE_STATE]) if MESSAGE_STATE in tlvs else None,
            )
            if receipt is None:
                logger.warning("delivery receipt without a message id ignored")
                return _S.ESME_ROK
            self.stats["receipts"] += 1
            if not await self._enqueue(outbox.apply_receipt, receipt):
                self.stats["receipts_unmatched"] += 1
                logger.info(
                    "receipt for message id %s before its submit_sm_resp; kept", receipt.message_id
                )
            return _S.ESME_ROK
        source = SmppAddress(msg.source.number, int(msg.source.ton), int(msg.source.npi))
        destination = SmppAddress(
            msg.destination.number, int(msg.destination.ton), int(msg.destination.npi)
        )
        await self._enqueue(
            inbound.handle_smpp_mo, source, destination, data, self.addressing, self.short_codes
        )
        self.stats["mo"] += 1
        return _S.ESME_ROK
