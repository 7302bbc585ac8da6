"""The machinery under :class:`charging.ledger.Ledger`: opening the database, the group-commit
writer with the batch kernel, reads, and the reservation sweeper.

Every write is a :class:`charging.batch.Command`, built and validated in the caller's thread and
handed to the group committer (``charging.group_commit``); the batch kernel
(``charging.batch``) decides it with the rest of its batch and answers only once the batch's
transaction is durable. Reads run in the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from charging import msisdn_migration, pins, reservations, schema
from charging.batch import BatchRunner, Command
from charging.clock import Clock, Moment, utc_now, zone
from charging.group_commit import (
    GROUP_COMMIT_BATCH_MAX,
    GROUP_COMMIT_GATHER_US,
    GroupCommitter,
)
from charging.sweeper import ReservationSweeper
from storage import Database, open_database
from storage.database import Transaction

# The keyword settings of Ledger.open, named as the [ledger] configuration keys name them.
SETTINGS = (
    "timezone",
    "reservation_ttl_s",
    "reservation_sweep_interval_s",
    "group_commit_batch_max",
    "group_commit_gather_us",
    "pin_failures_max",
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
        group_commit_batch_max: int = GROUP_COMMIT_BATCH_MAX,
        group_commit_gather_us: int = GROUP_COMMIT_GATHER_US,
        pin_failures_max: int = pins.PIN_FAILURES_MAX,
        pin_lockout_s: int = pins.PIN_LOCKOUT_S,
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.tz = zone(timezone)
        self.reservation_ttl_s = reservation_ttl_s
        self.reservation_sweep_interval_s = reservation_sweep_interval_s
        self.pin_failures_max = pin_failures_max
        self.pin_lockout_s = pin_lockout_s
        self._clock = clock
        self._committer: GroupCommitter[Any] = GroupCommitter(
            db,
            runner=BatchRunner(clock, self.tz),
            batch_max=group_commit_batch_max,
            gather_us=group_commit_gather_us,
        )
        self._sweeper: ReservationSweeper | None = None

    @classmethod
    def open(cls, url: str, **settings: Any) -> Self:
        """Open (and migrate) the ledger at ``url``. ``settings`` take the names of the
        ``[ledger]`` configuration keys: timezone, reservation_ttl_s,
        reservation_sweep_interval_s, group_commit_batch_max, group_commit_gather_us,
        pin_failures_max, pin_lockout_s
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

    def _submit(self, command: Command) -> Any:
        """Decide ``command`` in the next batch; return its outcome once it is durable."""
        return self._committer.submit(command)

    async def _submit_async(self, command: Command) -> Any:
        """:meth:`_submit` from an asyncio event loop (the gRPC shim): no thread waits."""
        return await self._committer.submit_async(command)

    def _read(self, fn: Callable[[Transaction], Any]) -> Any:
        with self.db.transaction(write=False) as tx:
            return fn(tx)

    # -- the reservation sweeper -----------------------------------------------------------------
    def sweep_expired_reservations(self, now: datetime | None = None) -> int:
        """Release every reservation past its expiry; returns how many were released."""
        total = 0
        while True:
            command = Command(reservations.sweep, "sweep", isolated=True, args=now)
            count = self._committer.submit(command)
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
