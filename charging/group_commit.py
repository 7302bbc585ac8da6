"""Group commit: many concurrent requests, one transaction, one durable flush.

The CORBA ORB and the gRPC server call the ledger from many threads at once. Instead of one
transaction (and one fsync) per request, each caller hands its request to a single writer thread
and waits. The writer takes every request queued so far (at most ``max_batch``), opens ONE
transaction, runs each request inside its own SAVEPOINT -- a refused request rolls back alone --
then runs ``before_commit`` once (the event outbox) and commits. Only after the commit has
returned, i.e. is durable, does any caller get its answer. There is no deliberate wait: a batch is
whatever piled up while the previous one was committing, so a lone request is not delayed.

``max_batch == 1`` is "group commit disabled": one request per transaction, the baseline of
``bench.ledger``.

Named limits and their answers when exceeded:

- ``max_batch``: requests per transaction; the rest wait for the next batch.
- ``queue_max``: requests waiting for the writer; a caller blocks until there is room.
- ``request_timeout_s``: how long a caller waits for its answer; then ``StorageUnavailable`` (the
  outcome is unknown -- a retry with the same referenceCode is safe).
- ``conflict_retries_max``: times a batch the database aborted (deadlock, serialization failure)
  is run again before its requests fail with ``StorageUnavailable``.
- ``request_retries_max``: times one request is run again in the same batch when it asks to
  (:class:`RetryRequest`, e.g. it lost an idempotency-key race to another process).

Metrics: :func:`observe_batches` registers a callable that every committer of the process calls
after each durable commit with (requests in the batch, nanoseconds from the start of the batch's
transaction to the end of its commit) -- the gateway's batch-size and flush-time histograms.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from storage import Database, Dialect, StorageUnavailable, TransactionConflict
from storage.database import Transaction

logger = logging.getLogger("micropay.ledger.group_commit")

T = TypeVar("T")
E = TypeVar("E")

GROUP_COMMIT_MAX_BATCH = 256
GROUP_COMMIT_QUEUE_MAX = 10_000
REQUEST_TIMEOUT_S = 30
CONFLICT_RETRIES_MAX = 5
REQUEST_RETRIES_MAX = 2

# A unit of work: runs inside the batch's transaction and returns (result, side records) --
# the side records (events) of successful requests are handed to ``before_commit`` together.
Work = Callable[[Transaction], tuple[Any, list[E]]]


class RetryRequest(Exception):  # noqa: N818 -- a signal, not an error
    """Raised by a unit of work to be rolled back to its savepoint and run once more."""


@dataclass
class _Request(Generic[E]):
    work: Work[E]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    records: list[E] = field(default_factory=list)


_STOP = object()

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


class GroupCommitter(Generic[E]):
    """The single writer of one ledger in one process."""

    def __init__(
        self,
        db: Database,
        before_commit: Callable[[Transaction, list[E]], None],
        *,
        max_batch: int = GROUP_COMMIT_MAX_BATCH,
        queue_max: int = GROUP_COMMIT_QUEUE_MAX,
        request_timeout_s: int = REQUEST_TIMEOUT_S,
    ) -> None:
        assert max_batch >= 1
        self._db = db
        self._before_commit = before_commit
        self.max_batch = max_batch
        self.request_timeout_s = request_timeout_s
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_max)
        self._closed = False
        self.batches_committed = 0  # for metrics and the benchmark: requests per transaction
        self.requests_committed = 0
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Work[E]) -> Any:
        """Run ``work`` in the next batch; return its result once the batch is durable."""
        if self._closed:
            raise StorageUnavailable("the ledger is closed")
        request: _Request[E] = _Request(work)
        self._queue.put(request)
        if not request.done.wait(self.request_timeout_s):
            raise StorageUnavailable("the ledger did not answer in time")
        if request.error is not None:
            raise request.error
        return request.result

    def close(self) -> None:
        """Finish what is queued, then stop the writer."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()

    # -- the writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                self._execute(batch)
                if stop:
                    return
        finally:
            if self._db.dialect is Dialect.SQLITE:
                self._db.close()  # on SQLite this closes the writer thread's own connection

    def _execute(self, batch: list[_Request[E]]) -> None:
        error: BaseException | None = None
        flush_ns = 0
        for _attempt in range(CONFLICT_RETRIES_MAX + 1):
            started_ns = time.perf_counter_ns()
            try:
                self._attempt(batch)
            except TransactionConflict:
                error = StorageUnavailable("the database kept aborting the transaction")
                continue
            except Exception as exc:  # the commit itself failed: nothing of the batch applied
                logger.exception("ledger batch failed")
                error = exc if isinstance(exc, StorageUnavailable) else StorageUnavailable()
            else:
                error = None
                self.batches_committed += 1
                self.requests_committed += len(batch)
                flush_ns = time.perf_counter_ns() - started_ns
            break
        for request in batch:
            if error is not None:
                request.error, request.result = error, None
            request.done.set()
        if error is None:
            _report(len(batch), flush_ns)  # after the callers have their answers

    def _attempt(self, batch: list[_Request[E]]) -> None:
        with self._db.transaction() as tx:
            records: list[E] = []
            for index, request in enumerate(batch):
                request.result, request.error = None, None
                self._run_one(tx, f"r{index}", request)
                if request.error is None:
                    records.extend(request.records)
            if records:
                self._before_commit(tx, records)

    def _run_one(self, tx: Transaction, savepoint: str, request: _Request[E]) -> None:
        for retry in range(REQUEST_RETRIES_MAX + 1):
            tx.savepoint(savepoint)
            try:
                request.result, request.records = request.work(tx)
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
