"""The machinery under :class:`charging.ledger.Ledger`: opening the database, the group-commit
writer, the idempotency wrapper, reads, and the reservation sweeper.

Every write is a unit of work handed to the group committer (``charging.group_commit``): it runs in
its own savepoint of a shared transaction and returns only once that transaction is durable.
Inside it the idempotency lookup runs first, then the one check table (``charging.checks``)
decides, then the rows change together with their history entry and their charging events.
Reads run in the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from charging import events, idempotency, msisdn_migration, pins, reservations, schema
from charging.checks import IDEMPOTENCY_ROW, Attempt, Operation, enforce
from charging.clock import Clock, Moment, utc_now, zone
from charging.events import PendingEvent
from charging.group_commit import GROUP_COMMIT_MAX_BATCH, GroupCommitter
from charging.sweeper import ReservationSweeper
from storage import Database, open_database
from storage.database import Transaction

Work = Callable[[Transaction, Moment], tuple[Any, list[PendingEvent]]]

# The keyword settings of Ledger.open, named as the [ledger] configuration keys name them.
SETTINGS = (
    "timezone",
    "reservation_ttl_s",
    "reservation_sweep_interval_s",
    "group_commit_max_batch",
    "pin_max_failures",
    "pin_lockout_s",
)


class LedgerEngine:
    """Settings, the writer and the reader of one ledger database in one process."""

    def __init__(
        self,
        db: Database,
        *,
        timezone: str = "Asia/Seoul",
        reservation_ttl_s: int = 900,
        reservation_sweep_interval_s: int = 5,
        group_commit_max_batch: int = GROUP_COMMIT_MAX_BATCH,
        pin_max_failures: int = pins.PIN_MAX_FAILURES,
        pin_lockout_s: int = pins.PIN_LOCKOUT_S,
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.tz = zone(timezone)
        self.reservation_ttl_s = reservation_ttl_s
        self.reservation_sweep_interval_s = reservation_sweep_interval_s
        self.pin_max_failures = pin_max_failures
        self.pin_lockout_s = pin_lockout_s
        self._clock = clock
        self._committer: GroupCommitter[PendingEvent] = GroupCommitter(
            db, events.flush, max_batch=group_commit_max_batch
        )
        self._sweeper: ReservationSweeper | None = None

    @classmethod
    def open(cls, url: str, **settings: Any) -> Self:
        """Open (and migrate) the ledger at ``url``. ``settings`` take the names of the
        ``[ledger]`` configuration keys: timezone, reservation_ttl_s,
        reservation_sweep_interval_s, group_commit_max_batch, pin_max_failures, pin_lockout_s
        (and ``clock`` for tests)."""
        db = open_database(url)
        try:
            schema.upgrade(db)
            msisdn_migration.upgrade(db)
            return cls(db, **settings)
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        """Stop the sweeper, finish the queued writes, close the database."""
        if self._sweeper is not None:
            self._sweeper.stop()
            self._sweeper = None
        self._committer.close()
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------
    def _moment(self, at: datetime | None = None) -> Moment:
        return Moment(at or self._clock(), self.tz)

    def _write(self, work: Work) -> Any:
        """Run ``work`` in the next batch, at the moment it runs; return once durable."""
        return self._committer.submit(lambda tx: work(tx, self._moment()))

    def _read(self, fn: Callable[[Transaction], Any]) -> Any:
        with self.db.transaction(write=False) as tx:
            return fn(tx)

    def _idempotent(
        self,
        operation: Operation,
        app_id: str,
        reference_code: str | None,
        fields: dict[str, Any],
        work: Work,
    ) -> Any:
        """Run ``work`` unless (app_id, reference_code) was used before: row 0 of the table.

        Without a reference code (reserve and reserve_additional may have none, as in Parlay X)
        the request is simply run.
        """
        if reference_code is None:
            return self._write(work)
        digest = idempotency.request_hash(operation.value, fields)

        def unit(tx: Transaction, moment: Moment) -> tuple[Any, list[PendingEvent]]:
            prior = idempotency.lookup(tx, app_id, reference_code)
            if prior is not None:
                seen = Attempt(
                    operation,
                    "",
                    app_id=app_id,
                    reference_code=reference_code,
                    request_hash=digest,
                    prior_hash=prior.request_hash,
                )
                enforce(seen, IDEMPOTENCY_ROW)
                return idempotency.decode(prior.outcome), []
            outcome, pending = work(tx, moment)
            idempotency.remember(
                tx, app_id, reference_code, digest, operation.value, outcome, moment.at
            )
            return outcome, pending

        return self._write(unit)

    # -- the reservation sweeper -----------------------------------------------------------------
    def sweep_expired_reservations(self, now: datetime | None = None) -> int:
        """Release every reservation past its expiry; returns how many were released."""
        total = 0
        while True:
            moment = self._moment(now)
            count = self._committer.submit(lambda tx: reservations.sweep(tx, moment))  # noqa: B023
            total += count
            if count < reservations.SWEEP_BATCH_MAX:
                return total

    def start_sweeper(self, interval_ms: int | None = None) -> ReservationSweeper:
        """Start the thread that sweeps expired reservations every ``interval_ms`` (default
        ``reservation_sweep_interval_s``); :meth:`close` stops it."""
        if self._sweeper is None:
            self._sweeper = ReservationSweeper(
                self.sweep_expired_reservations,
                interval_ms or self.reservation_sweep_interval_s * 1000,
            )
            self._sweeper.start()
        return self._sweeper
