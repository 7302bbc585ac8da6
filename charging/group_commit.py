"""Group commit: many concurrent requests, one transaction, one durable flush.

The CORBA ORB and the gRPC server call the ledger from many threads (or one event loop) at once.
Instead of one transaction (and one fsync) per request, each caller hands its request to a single
writer thread and waits. The writer takes every request queued so far (at most ``batch_max``),
opens ONE transaction, lets the *batch runner* run them all, and commits. Only after the commit
has returned, i.e. is durable, does any caller get its answer. There is no deliberate wait: a
batch is whatever piled up while the previous one was committing, so a lone request is not
delayed.

The ledger's runner (``charging.batch``) decides a whole batch in memory and writes it
set-based; :func:`savepoint_runner` -- the default -- runs each request as a closure in its own
SAVEPOINT, so a refused one rolls back alone, then hands the side records of the successful ones
to ``before_commit``.

There is one deliberate wait, and only under load: when fewer requests are queued than the last
batch had callers, the writer waits up to ``gather_us`` for the rest -- those callers are busy
preparing their next request, and a batch of all of them shares its fixed cost (the flush, the
round trips) twice as widely as the half that happened to be queued. A lone caller never waits.

``batch_max == 1`` is "group commit disabled": one request per transaction, the baseline of
``bench.ledger``.

Named limits and their answers when exceeded:

- ``batch_max``: requests per transaction; the rest wait for the next batch.
- ``gather_us``: at most this long a batch waits for the callers the last one answered (0: never).
- ``queue_max``: requests waiting for the writer; a caller blocks until there is room.
- ``request_timeout_s``: how long a caller waits for its answer; then ``StorageUnavailable`` (the
  outcome is unknown -- a retry with the same referenceCode is safe).
- ``conflict_retries_max``: times a batch the database aborted (deadlock, serialization failure,
  an idempotency key another process committed first) is run again before its requests fail
  with ``StorageUnavailable``.
- ``request_retries_max``: times one request is run again in the same batch when it asks to
  (:class:`RetryRequest`, e.g. a random identifier collided).

A runner may raise :class:`RerunBatch` after answering one request with an error it could not
isolate (an unexpected exception half-way through a request): the transaction is rolled back and
the batch runs again without that request.

Metrics: :func:`observe_batches` registers a callable that every committer of the process calls
after each durable commit with (requests in the batch, nanoseconds from the start of the batch's
transaction to the end of its commit) -- the gateway's batch-size and flush-time histograms.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from storage import Database, Dialect, StorageUnavailable, TransactionConflict
from storage.database import Transaction

logger = logging.getLogger("micropay.ledger.group_commit")

T = TypeVar("T")
E = TypeVar("E")

GROUP_COMMIT_BATCH_MAX = 256
GROUP_COMMIT_GATHER_US = 2_000
GROUP_COMMIT_QUEUE_MAX = 10_000
REQUEST_TIMEOUT_S = 30
CONFLICT_RETRIES_MAX = 5
REQUEST_RETRIES_MAX = 2

# A unit of work of the savepoint runner: runs inside the batch's transaction and returns
# (result, side records) -- the side records (events) of successful requests are handed to
# ``before_commit`` together.
Work = Callable[[Transaction], tuple[Any, list[E]]]


class RetryRequest(Exception):  # noqa: N818 -- a signal, not an error
    """Raised by a unit of work to be rolled back to its savepoint and run once more."""


class RerunBatch(Exception):  # noqa: N818 -- a signal, not an error
    """Raised by a runner: roll the transaction back and run the batch again without the
    requests it already answered (``Request.settled``)."""


class Request:
    """One caller's request and, once the batch is durable, its answer."""

    __slots__ = ("item", "result", "error", "settled", "records", "_waiter", "_future", "_loop",
                 "_next", "_chained", "_gave_up")  # fmt: skip

    def __init__(self, item: Any) -> None:
        self.item = item
        self.result: Any = None
        self.error: BaseException | None = None
        self.settled = False  # answered with an error before the batch ended (see RerunBatch)
        self.records: list[Any] = []
        self._waiter: threading.Lock | None = None
        self._future: asyncio.Future[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next: Request | None = None  # the caller this one wakes once awake (a thread)
        self._chained = False  # in a chain of answers: its answer is on its way
        self._gave_up = False  # its caller timed out before the answer


BatchRunner = Callable[[Transaction, list[Request]], None]
BatchObserver = Callable[[int, int], None]  # (requests, flush nanoseconds) per committed batch
_observers: list[BatchObserver] = []


def observe_batches(observer: BatchObserver) -> None:
    """Have ``observer`` called after every committed batch of every committer in this process."""
    _observers.append(observer)


def stop_observing(observer: BatchObserver) -> None:
    if observer in _observers:
        _observers.remove(observer)


def _report(requests: int, flush_ns: int) -> None:
    for observer in list(_observers):
        try:
            observer(requests, flush_ns)
        except Exception:  # metrics must never stop the writer
            logger.exception("batch observer failed")


def savepoint_runner(before_commit: Callable[[Transaction, list[E]], None]) -> BatchRunner:
    """Run each request's ``Work`` in its own SAVEPOINT: a refused one rolls back alone."""

    def run(tx: Transaction, batch: list[Request]) -> None:
        records: list[E] = []
        for index, request in enumerate(batch):
            request.result, request.error = None, None
            _run_in_savepoint(tx, f"r{index}", request)
            if request.error is None:
                records.extend(request.records)
        if records:
            before_commit(tx, records)

    return run


def _run_in_savepoint(tx: Transaction, savepoint: str, request: Request) -> None:
    for retry in range(REQUEST_RETRIES_MAX + 1):
        tx.savepoint(savepoint)
        try:
            request.result, request.records = request.item(tx)
        except TransactionConflict:
            raise  # the whole transaction is lost: the batch runs again
        except RetryRequest as exc:
            tx.rollback_to(savepoint)
            tx.release(savepoint)
            if retry == REQUEST_RETRIES_MAX:
                request.error = StorageUnavailable("request kept conflicting")
                logger.warning("ledger request gave up after retries: %s", exc)
            continue
        except Exception as exc:
            tx.rollback_to(savepoint)
            tx.release(savepoint)
            request.error, request.records = exc, []
        else:
            tx.release(savepoint)
        return


class GroupCommitter(Generic[E]):
    """The single writer of one ledger in one process."""

    def __init__(
        self,
        db: Database,
        before_commit: Callable[[Transaction, list[E]], None] | None = None,
        *,
        runner: BatchRunner | None = None,
        batch_max: int = GROUP_COMMIT_BATCH_MAX,
        gather_us: int = GROUP_COMMIT_GATHER_US,
        queue_max: int = GROUP_COMMIT_QUEUE_MAX,
        request_timeout_s: int = REQUEST_TIMEOUT_S,
    ) -> None:
        assert batch_max >= 1
        assert (runner is None) != (before_commit is None), "a runner or a before_commit"
        self._db = db
        self._runner = runner or savepoint_runner(before_commit)  # type: ignore[arg-type]
        self.batch_max = batch_max
        self.gather_us = gather_us
        self._answered = 0  # requests in the last batch taken: callers that will be back
        self._gathering = 0  # while gathering: the number of queued requests that ends it
        self.queue_max = queue_max
        self.request_timeout_s = request_timeout_s
        self._pending: deque[Request] = deque()
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # the writer waits here for requests
        self._room = threading.Condition(self._lock)  # callers wait here when the queue is full
        self._idle = False  # the writer is waiting: the next request must wake it
        self._closed = False
        self.batches_committed = 0  # for metrics and the benchmark: requests per transaction
        self.requests_committed = 0
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        """Requests waiting for the writer."""
        return len(self._pending)

    def submit(self, item: Any) -> Any:
        """Run ``item`` in the next batch; return its result once the batch is durable."""
        request = Request(item)
        waiter = request._waiter = threading.Lock()
        waiter.acquire()
        self._enqueue(request)
        try:
            woken = waiter.acquire(timeout=self.request_timeout_s)
        except BaseException:  # interrupted: the callers after it must not wait for it
            if self._leave(request):
                _wake_next(request)
            raise
        if not woken and not self._leave(request):
            raise StorageUnavailable("the ledger did not answer in time")
        _wake_next(request)
        if request.error is not None:
            raise request.error
        return request.result

    def _leave(self, request: Request) -> bool:
        """A caller stops waiting before it was woken. True: its answer is here already (it is
        in a chain, whose next caller it must wake); False: it is left out of its batch's chain
        (the request is still carried out; its caller will not know the outcome)."""
        with self._lock:
            if request._chained:
                return True
            request._gave_up = True
            return False

    async def submit_async(self, item: Any) -> Any:
        """:meth:`submit` for a caller on an asyncio event loop: no thread waits for the answer."""
        loop = asyncio.get_running_loop()
        request = Request(item)
        request._loop, request._future = loop, loop.create_future()
        if len(self._pending) >= self.queue_max:  # full: wait for room off the loop
            await loop.run_in_executor(None, self._enqueue, request)
        else:
            self._enqueue(request)
        future = request._future
        timer = loop.call_later(self.request_timeout_s, _time_out, future)
        try:
            return await future
        finally:
            timer.cancel()

    def _enqueue(self, request: Request) -> None:
        with self._lock:
            if self._closed:
                raise StorageUnavailable("the ledger is closed")
            while len(self._pending) >= self.queue_max:
                self._room.wait()
            self._pending.append(request)
            if self._idle or 0 < self._gathering <= len(self._pending):
                self._work.notify()

    def close(self) -> None:
        """Finish what is queued, then stop the writer."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._work.notify()
        self._thread.join()

    # -- the writer thread ---------------------------------------------------------------------
    def _take(self) -> list[Request] | None:
        with self._lock:
            while not self._pending:
                if self._closed:
                    return None
                self._wait()
            self._gather()
            pending = self._pending
            if len(pending) <= self.batch_max:
                batch = list(pending)
                pending.clear()
            else:
                batch = [pending.popleft() for _ in range(self.batch_max)]
            self._room.notify_all()
            self._answered = len(batch)
            return batch

    def _gather(self) -> None:
        """Wait a moment for the callers the last batch answered (lock held). They are busy
        preparing their next request; without them a batch is half of what the load offers,
        and a batch's fixed cost -- the flush, the round trips -- is shared by half as many.
        A lone caller (last batch of one) and a full batch never wait."""
        if self.gather_us <= 0 or len(self._pending) >= min(self._answered, self.batch_max):
            return
        if self._answered < 2:
            return
        deadline = time.monotonic() + self.gather_us / 1e6
        want = min(self._answered, self.batch_max)
        self._gathering = want  # the request that completes the batch wakes the writer; no other
        try:
            while len(self._pending) < want and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._work.wait(left)
        finally:
            self._gathering = 0

    def _wait(self) -> None:
        """Wait for a request (lock held); the next one enqueued wakes the writer."""
        self._idle = True
        self._work.wait()
        self._idle = False

    def _run(self) -> None:
        try:
            while (batch := self._take()) is not None:
                self._execute(batch)
        finally:
            if self._db.dialect is Dialect.SQLITE:
                self._db.close()  # on SQLite this closes the writer thread's own connection

    def _execute(self, batch: list[Request]) -> None:
        error: BaseException | None = None
        flush_ns = 0
        conflicts = 0
        live = batch
        while True:
            started_ns = time.perf_counter_ns()
            try:
                with self._db.transaction() as tx:
                    self._runner(tx, live)
            except RerunBatch:
                live = [r for r in live if not r.settled]
                if live:
                    continue
                error = None
            except TransactionConflict:
                conflicts += 1
                if conflicts <= CONFLICT_RETRIES_MAX:
                    continue
                error = StorageUnavailable("the database kept aborting the transaction")
            except Exception as exc:  # the commit itself failed: nothing of the batch applied
                logger.exception("ledger batch failed")
                error = exc if isinstance(exc, StorageUnavailable) else StorageUnavailable()
            else:
                error = None
                self.batches_committed += 1
                self.requests_committed += len(live)
                flush_ns = time.perf_counter_ns() - started_ns
            break
        if error is not None:
            for request in live:
                request.error, request.result = error, None
        self._answer(batch)
        if error is None and live:
            _report(len(live), flush_ns)  # after the callers have their answers

    def _answer(self, batch: list[Request]) -> None:
        """Wake the callers of ``batch``: threads one after the other -- the writer wakes the
        first, each the next once it runs -- and event loops with one call each. Woken all at
        once, every caller thread would contend for the interpreter lock at the same moment,
        and each would be scheduled, fail to take it and sleep again, many times over."""
        with self._lock:
            threads = [r for r in batch if r._waiter is not None and not r._gave_up]
            for request, after in zip(threads, threads[1:], strict=False):
                request._next = after
            for request in threads:
                request._chained = True
        if threads and threads[0]._waiter is not None:
            threads[0]._waiter.release()
        _answer_loops(batch)


def _wake_next(request: Request) -> None:
    """Pass the chain of answers on (``GroupCommitter._answer``)."""
    after = request._next
    if after is not None and after._waiter is not None:
        after._waiter.release()


def _answer_loops(batch: list[Request]) -> None:
    """Wake the event loops of ``batch``'s asyncio callers, with one call each."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Request]] = {}
    for request in batch:
        if request._loop is not None:
            by_loop.setdefault(request._loop, []).append(request)
    for loop, requests in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
            loop.call_soon_threadsafe(_settle_futures, requests)


def _time_out(future: asyncio.Future[Any]) -> None:
    """The writer did not answer in time (``submit_async``): the outcome is unknown."""
    if not future.done():
        future.set_exception(StorageUnavailable("the ledger did not answer in time"))


def _settle_futures(requests: list[Request]) -> None:
    for request in requests:
        future = request._future
        if future is None or future.done():
            continue
        if request.error is not None:
            future.set_exception(request.error)
        else:
            future.set_result(request.result)
