"""The batch kernel: a whole batch of ledger requests decided in memory, written set-based.

The group committer (``charging.group_commit``) hands the ledger's :class:`BatchRunner` every
request that piled up. The runner, in ONE transaction:

1. **reads** everything the batch needs at once (``charging.bulk``): each account it touches,
   locked (subscribers and the system accounts of the other side), the idempotency record of
   each of its keys, transfer identifiers;
2. **decides** each request in order against those rows in memory (:class:`Book`) through the
   one check table (``charging.checks``): a refused request changes nothing, so it needs no
   savepoint; an accepted one changes its books and queues its postings, events and record;
3. **writes** what was decided, one statement per table, then commits; only then does any
   caller get its answer.

Rare operations that keep rows of their own (reservations, vouchers, administration, PINs) are
*isolated* commands: they run in a SAVEPOINT of the same transaction, read and write their own
rows directly, and move money through the same books and the same postings as the rest.
Another surface may write its own rows in the same savepoint as a command (:func:`attach`):
the CAMARA payment beside its charge, so one commit makes both durable and neither exists
without the other.

A fast command must raise its refusal before it changes anything (every command reads, then
calls ``checks.enforce``, then applies). An unexpected error half-way is answered to its caller
alone and the batch runs again without it (``RerunBatch``): no half-applied request is ever
written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

from charging import bulk, clock, entries, idempotency, movements
from charging.checks import IDEMPOTENCY_ROW, Attempt, Operation, enforce
from charging.clock import Clock, Moment
from charging.errors import DomainError
from charging.group_commit import REQUEST_RETRIES_MAX, Request, RerunBatch, RetryRequest
from charging.model import Account, AccountFigures, EventName, Kind, Status, SystemKind
from charging.schema import ACCOUNT_KEY, IDEMPOTENCY_KEY
from storage import StorageUnavailable, TransactionConflict, UniqueViolation
from storage.database import Transaction

_KINDS: dict[str, Kind | SystemKind] = {k.value: k for k in (*Kind, *SystemKind)}
_STATUSES = {s.value: s for s in Status}


class Book(AccountFigures):
    """One account row inside a batch: read (and locked) once, changed in memory, written once.

    The attribute names are :class:`~charging.model.Account`'s, so the check table reads a book
    as it reads an account."""

    __slots__ = (
        "number", "msisdn", "kind", "app_id", "currency", "ledger_balance_minor",
        "reserved_minor", "month_spent_minor", "monthly_limit_minor", "transaction_limit_minor",
        "low_balance_minor", "valid_until", "status", "has_pin", "created_at_text", "dirty",
        "settled",
    )  # fmt: skip

    def __init__(self, row: Sequence[Any], month: str) -> None:
        (self.number, self.msisdn, kind, self.app_id, self.currency, balance, reserved,
         month_key, spent, monthly, per_tx, low, valid_until, status, has_pin,
         self.created_at_text) = row  # fmt: skip
        self.kind = _KINDS[kind]
        self.ledger_balance_minor = int(balance)
        self.reserved_minor = int(reserved)
        self.month_spent_minor = int(spent) if month_key == month else 0
        self.monthly_limit_minor = None if monthly is None else int(monthly)
        self.transaction_limit_minor = None if per_tx is None else int(per_tx)
        self.low_balance_minor = int(low)
        self.valid_until = None if valid_until is None else date.fromisoformat(valid_until)
        self.status = _STATUSES[status]
        self.has_pin = bool(has_pin)
        self.dirty = False  # money figures changed: written back by the batch
        self.settled = False  # settings changed (status, limits, validity): written back too

    def snapshot(self) -> tuple:
        return (self.ledger_balance_minor, self.reserved_minor, self.month_spent_minor,
                self.monthly_limit_minor, self.transaction_limit_minor, self.low_balance_minor,
                self.valid_until, self.status, self.has_pin, self.dirty, self.settled)  # fmt: skip

    def restore(self, saved: tuple) -> None:
        (self.ledger_balance_minor, self.reserved_minor, self.month_spent_minor,
         self.monthly_limit_minor, self.transaction_limit_minor, self.low_balance_minor,
         self.valid_until, self.status, self.has_pin, self.dirty, self.settled) = saved  # fmt: skip


class Command:
    """A request to the ledger, built (and validated) in the caller's thread.

    ``run(state, command)`` decides and applies it; ``accounts`` are the account numbers it will
    touch, read and locked with the batch; ``reservation`` a reservation whose account is read
    with them; ``transfers`` how many transfer ids it may use; ``isolated`` runs it in a
    savepoint (it writes rows of its own). ``digest`` is the idempotency hash of its content.
    ``inner``: the ledger command an attached command (:func:`attach`) wraps.
    """

    __slots__ = (
        "run", "operation", "app_id", "reference_code", "digest", "account", "amount_minor",
        "currency", "description", "code", "args", "accounts", "reservation", "transfers",
        "isolated", "inner",
    )  # fmt: skip

    def __init__(
        self,
        run: Callable[[BatchState, Command], Any],
        operation: Operation | str,
        *,
        app_id: str = "",
        reference_code: str | None = None,
        digest: str = "",
        account: str = "",
        amount_minor: int = 0,
        currency: str = "",
        description: str = "",
        code: str | None = None,
        args: Any = None,
        accounts: tuple[str, ...] = (),
        reservation: str | None = None,
        transfers: int = 0,
        isolated: bool = False,
        inner: Command | None = None,
    ) -> None:
        self.run, self.operation = run, operation
        self.app_id, self.reference_code, self.digest = app_id, reference_code, digest
        self.account, self.amount_minor, self.currency = account, amount_minor, currency
        self.description, self.code, self.args = description, code, args
        self.accounts, self.reservation = accounts, reservation
        self.transfers, self.isolated, self.inner = transfers, isolated, inner


class Attachment(Protocol):
    """Rows of another surface written in the transaction of a ledger command."""

    def before(self, tx: Transaction) -> Any:
        """Before the command: an answer found (the command does not run) or None; raising a
        ``DomainError`` refuses the request with nothing written."""

    def after(self, tx: Transaction, outcome: Any) -> Any:
        """After the command (or its idempotent replay) with its outcome: the answer."""


def attach(command: Command, attachment: Attachment) -> Command:
    """``command`` with ``attachment``'s rows, in one savepoint of the batch: a refusal by
    either side or an error in ``after`` leaves nothing of both."""
    return Command(
        _attached, command.operation, app_id=command.app_id, accounts=command.accounts,
        reservation=command.reservation, transfers=command.transfers, args=attachment,
        isolated=True, inner=command,
    )  # fmt: skip


def _attached(state: BatchState, c: Command) -> Any:
    attachment: Attachment = c.args
    found = attachment.before(state.tx)
    if found is not None:
        return found
    assert c.inner is not None
    return attachment.after(state.tx, state.execute(c.inner))


class BatchState:
    """The books, queued writes and ids of one batch's transaction."""

    def __init__(self, tx: Transaction, moment: Moment) -> None:
        self.tx = tx
        self.moment = moment
        self.at_text = clock.to_text(moment.at)
        self.month = moment.month
        self.today = moment.today
        self.books: dict[str, Book] = {}
        self.new_accounts: list[tuple] = []
        self.postings: list[tuple] = []
        self.requests: list[tuple] = []
        self.events: list[tuple] = []
        self.priors: dict[tuple[str, str], tuple] = {}
        self.seen: dict[tuple[str, str], tuple[str, Any]] = {}  # keys decided in this batch
        self.charged: dict[tuple[str, str], int] = {}  # (account, app) -> net charged here
        self._absent: set[str] = set()  # numbers read with the batch and not found
        self._ids: list[int] = []  # transfer ids taken, not yet used (last first)
        self._highest = 0  # the highest transfer id taken (SQLite's counter after the batch)
        self._used = False

    # -- 1. read ---------------------------------------------------------------------------------
    def read(self, commands: Sequence[Command]) -> None:
        numbers: set[str] = set()
        keys: list[tuple[str, str]] = []
        reservations: list[str] = []
        transfers = 0
        for c in commands:
            numbers.update(c.accounts)
            keyed = c.inner or c
            if keyed.reference_code is not None:
                keys.append((keyed.app_id, keyed.reference_code))
            if c.reservation is not None:
                reservations.append(c.reservation)
            transfers += c.transfers
        if reservations:  # their accounts join the batch's lock, in the one lock order
            numbers.update(n for _id, n in bulk.reservation_accounts(self.tx, reservations))
        rows, priors, ids = bulk.read(self.tx, sorted(numbers), keys, max(transfers, 1))
        month = self.month
        self.books = {row[0]: Book(row, month) for row in rows}
        self._absent = numbers - self.books.keys()
        self.priors = {(r[0], r[1]): r for r in priors}
        self._take(ids)

    def _take(self, ids: list[int]) -> None:
        if ids:
            self._ids = sorted(ids, reverse=True) + self._ids
            self._highest = max(self._highest, ids[-1])

    def transfer_id(self) -> int:
        if not self._ids:  # more than the commands announced (an isolated sweep)
            self._take(bulk.more_transfer_ids(self.tx, 16, self._highest))
        self._used = True
        return self._ids.pop()

    def book(self, number: str, *, fresh: bool = False) -> Book | None:
        """The account ``number`` (locked); None when there is none. ``fresh``: read it again
        although the batch found none (a command just opened it)."""
        found = self.books.get(number)
        if found is None:
            if number in self._absent and not fresh:
                return None
            row = bulk.account(self.tx, number)
            if row is None:
                return None
            found = self.books[number] = Book(row, self.month)
        return found

    def system(self, number: str, currency: str) -> Book:
        """The system account ``number``, opened (balance 0) on its first use."""
        found = self.book(number)
        if found is None:
            kind = movements.system_kind_of(number)
            app = movements.app_of(number)
            row = (number, None, kind.value, app, currency, 0, 0, "", 0, None, None, 0, None,
                   "active", False, self.at_text)  # fmt: skip
            found = self.books[number] = Book(row, self.month)
            self.new_accounts.append(
                (number, kind.value, app, currency, self.at_text, self.at_text)
            )
        return found

    # -- 2. decide ---------------------------------------------------------------------------------
    def expired(self, book: AccountFigures) -> bool:
        """Valid through the whole of its ``valid_until`` day in the ledger's zone."""
        until = book.valid_until  # type: ignore[attr-defined]
        return until is not None and self.today > until

    def attempt(
        self,
        operation: Operation,
        command: Command,
        book: Book | None,
        *,
        number: str | None = None,
        amount: int | None = None,
        **more: Any,
    ) -> Attempt:
        """The facts every row of the check table may look at, for ``command`` on ``book``
        (``number`` and ``amount`` in place of the command's: a share of a split charge)."""
        return Attempt(
            operation,
            command.account if number is None else number,
            command.amount_minor if amount is None else amount,
            command.currency,
            command.app_id,
            account=book,  # type: ignore[arg-type]
            expired=book is not None and self.expired(book),
            **more,
        )

    def refundable_minor(self, number: str, app_id: str) -> int:
        """What ``app_id`` charged ``number``, net of its refunds: what is stored plus what this
        batch moved already."""
        stored = entries.refundable_minor(self.tx, number, app_id)
        return stored + self.charged.get((number, app_id), 0)

    def account_of(self, book: Book) -> Account:
        """A subscriber's book as the :class:`~charging.model.Account` the API returns."""
        return Account(
            number=book.number,
            msisdn=book.msisdn,
            kind=book.kind,  # type: ignore[arg-type]
            currency=book.currency,
            ledger_balance_minor=book.ledger_balance_minor,
            reserved_minor=book.reserved_minor,
            month_spent_minor=book.month_spent_minor,
            monthly_limit_minor=book.monthly_limit_minor,
            transaction_limit_minor=book.transaction_limit_minor,
            low_balance_minor=book.low_balance_minor,
            valid_until=book.valid_until,
            status=book.status,
            has_pin=book.has_pin,
            created_at=clock.from_text(book.created_at_text),
        )

    def transfer(
        self,
        kind: str,
        source: Book,
        destination: Book,
        amount: int,
        command: Command,
        reservation_id: str | None = None,
        description: str | None = None,
    ) -> int:
        """Move ``amount`` from ``source`` to ``destination``: two postings, one transfer id."""
        tid = self.transfer_id()
        source.ledger_balance_minor -= amount
        destination.ledger_balance_minor += amount
        source.dirty = destination.dirty = True
        app, ref, at = command.app_id or None, command.reference_code, self.at_text
        text = command.description if description is None else description
        code = command.code
        self.postings.append(
            (
                tid,
                source.number,
                kind,
                -amount,
                source.currency,
                source.ledger_balance_minor,
                app,
                ref,
                reservation_id,
                text,
                code,
                at,
            )
        )
        self.postings.append((tid, destination.number, kind, amount, destination.currency,
                              destination.ledger_balance_minor, app, ref, reservation_id, text,
                              code, at))  # fmt: skip
        return tid

    def event(
        self,
        book: Book,
        name: EventName,
        amount: int | None = None,
        transaction_id: int | None = None,
        command: Command | None = None,
    ) -> None:
        app = ref = None
        if command is not None:
            app, ref = command.app_id or None, command.reference_code
        self.events.append((book.number, book.msisdn, name.value, book.currency, book.balance_minor,
                            amount, transaction_id, self.at_text, app, ref))  # fmt: skip

    def changed(self, book: Book, balance_before: int, status_before: Status) -> None:
        """The threshold and state events of a change of ``book`` (after its movement's event):
        P_AM_ACCOUNT_LOW when the reported balance crosses below the threshold, then
        P_AM_ACCOUNT_ZERO when it reaches zero, then P_AM_ACCOUNT_DISABLED when it stops being
        active."""
        after = book.balance_minor
        low = book.low_balance_minor
        if low > 0 and balance_before >= low > after:
            self.event(book, EventName.P_AM_ACCOUNT_LOW)
        if after <= 0 < balance_before:
            self.event(book, EventName.P_AM_ACCOUNT_ZERO)
        if status_before is Status.ACTIVE and book.status is not Status.ACTIVE:
            self.event(book, EventName.P_AM_ACCOUNT_DISABLED)

    def execute(self, command: Command) -> Any:
        """Row 0 of the check table (idempotency), then the command."""
        ref = command.reference_code
        if ref is None:
            return self._isolated(command) if command.isolated else command.run(self, command)
        key = (command.app_id, ref)
        earlier = self.seen.get(key)
        if earlier is None and key in self.priors:
            prior = self.priors[key]
            earlier = (prior[2], idempotency.from_row(prior))
        if earlier is not None:
            enforce(
                Attempt(
                    command.operation,  # type: ignore[arg-type]
                    "",
                    app_id=command.app_id,
                    reference_code=ref,
                    request_hash=command.digest,
                    prior_hash=earlier[0],
                ),
                IDEMPOTENCY_ROW,
            )
            return idempotency.replayed(earlier[1])
        outcome = self._isolated(command) if command.isolated else command.run(self, command)
        self.seen[key] = (command.digest, outcome)
        self.requests.append(idempotency.row(command, outcome, self.at_text))
        return outcome

    def _checkpoint(self) -> tuple:
        lengths = (len(self.new_accounts), len(self.postings), len(self.requests), len(self.events))
        ids = (list(self._ids), dict(self.charged), len(self.seen))
        return lengths, {n: b.snapshot() for n, b in self.books.items()}, ids

    def _rewind(self, saved: tuple) -> None:
        (accounts, postings, requests, events), books, (ids, charged, seen) = saved
        for key in list(self.seen)[seen:]:  # keys only ever join ``seen``: forget the new ones
            del self.seen[key]
        del self.new_accounts[accounts:], self.postings[postings:]
        del self.requests[requests:], self.events[events:]
        for number in list(self.books):
            if number in books:
                self.books[number].restore(books[number])
            else:
                del self.books[number]  # read or opened by the command: forget it
        self._ids, self.charged = ids, charged

    def _isolated(self, command: Command) -> Any:
        """Run a command that writes rows of its own in a savepoint of the batch."""
        tx = self.tx
        for retry in range(REQUEST_RETRIES_MAX + 1):
            saved = self._checkpoint()
            tx.savepoint("isolated")
            try:
                outcome = command.run(self, command)
            except TransactionConflict:
                raise
            except BaseException as exc:
                tx.rollback_to("isolated")
                tx.release("isolated")
                self._rewind(saved)
                if isinstance(exc, RetryRequest) and retry < REQUEST_RETRIES_MAX:
                    continue
                if isinstance(exc, RetryRequest):
                    raise StorageUnavailable("request kept conflicting") from exc
                raise
            tx.release("isolated")
            return outcome
        raise AssertionError("unreachable")  # pragma: no cover

    # -- 3. write -----------------------------------------------------------------------------------
    def write(self) -> None:
        at = self.at_text
        month = self.month
        money = [
            (b.ledger_balance_minor, b.reserved_minor, month, b.month_spent_minor, at, b.number)
            for b in self.books.values() if b.dirty
        ]  # fmt: skip
        settings = [
            (b.monthly_limit_minor, b.transaction_limit_minor, b.low_balance_minor,
             None if b.valid_until is None else b.valid_until.isoformat(), b.status.value, at,
             b.number)
            for b in self.books.values() if b.settled
        ]  # fmt: skip
        last_id = self._highest if self._used else None
        try:
            bulk.write(
                self.tx, self.new_accounts, money, settings, self.postings, self.requests,
                self.events, last_id,
            )  # fmt: skip
        except UniqueViolation as exc:
            if exc.constraint not in (IDEMPOTENCY_KEY, ACCOUNT_KEY):
                raise
            # Another gateway committed one of this batch's keys -- or opened the same system
            # account -- after this batch read them: run it again, now finding that row.
            raise TransactionConflict(exc.constraint) from exc


class BatchRunner:
    """The ledger's runner for the group committer: read, decide, write (module docstring)."""

    def __init__(self, clock: Clock, tz: Any) -> None:
        self._clock = clock
        self._tz = tz

    def __call__(self, tx: Transaction, batch: list[Request]) -> None:
        state = BatchState(tx, Moment(self._clock(), self._tz))
        state.read([r.item for r in batch])
        for request in batch:
            request.result = request.error = None
            try:
                request.result = state.execute(request.item)
            except DomainError as exc:
                request.error = exc
            except TransactionConflict:
                raise  # the whole transaction is lost: the batch runs again
            except StorageUnavailable as exc:
                request.error = exc
            except Exception as exc:
                request.error, request.settled = exc, True
                if not request.item.isolated:  # it may have changed books half-way
                    raise RerunBatch from exc
        state.write()
