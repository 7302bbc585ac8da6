"""Charge, refund, recharge, split charges and float funding: commands the batch decides.

Each function reads its books (already read and locked with the batch), gathers an
:class:`~charging.checks.Attempt`, lets the one check table decide, and only then moves money
(``charging.entries.record``). Idempotency (row 0) has already run in ``charging.batch``.
"""

from __future__ import annotations

from charging import clock, entries, grants, movements
from charging.batch import BatchState, Command
from charging.checks import Operation, enforce
from charging.model import EntryKind, TransactionResult


def charge(state: BatchState, c: Command) -> TransactionResult:
    book = state.book(c.account)
    enforce(state.attempt(Operation.CHARGE, c, book))
    assert book is not None
    settlement = state.system(movements.settlement(c.app_id, book.currency), book.currency)
    return entries.record(state, c, EntryKind.CHARGE, book, settlement, c.amount_minor)


def refund(state: BatchState, c: Command) -> TransactionResult:
    """refundAmount: a free-standing credit, bounded by what this application has charged this
    account (net of its earlier refunds), so that no application can mint money."""
    book = state.book(c.account)
    refundable = 0 if book is None else state.refundable_minor(c.account, c.app_id)
    enforce(state.attempt(Operation.REFUND, c, book, refundable_minor=refundable))
    assert book is not None
    settlement = state.system(movements.settlement(c.app_id, book.currency), book.currency)
    return entries.record(state, c, EntryKind.REFUND, book, settlement, c.amount_minor)


def recharge(state: BatchState, c: Command) -> TransactionResult:
    """balanceUpdate: credit a prepaid account from the application's float (the operator's top-
    ups from funding), within the application's grant; ``c.args`` is the validity extension in
    days (Parlay X ``period``) or None."""
    book = state.book(c.account)
    operator = c.app_id == movements.OPERATOR_APP_ID
    grant = None if operator else grants.load(state, c.app_id, "recharge", c.currency)
    source_number = movements.recharge_source(c.app_id, c.currency)
    source = state.book(source_number)
    float_minor = None if operator else (0 if source is None else source.ledger_balance_minor)
    attempt = state.attempt(
        Operation.RECHARGE,
        c,
        book,
        entitled=operator or grant is not None,
        grant=grant,
        float_minor=float_minor,
    )
    enforce(attempt)
    assert book is not None
    if grant is not None:
        grants.use(state, c.app_id, "recharge", c.currency, grant, c.amount_minor)
    valid_until = None
    if c.args is not None:
        valid_until = clock.extended_validity(
            book.valid_until, c.args, state.moment.at, state.moment.tz
        )
    source = source or state.system(source_number, c.currency)
    return entries.record(
        state, c, EntryKind.RECHARGE, book, source, c.amount_minor, valid_until=valid_until
    )


def charge_split(state: BatchState, c: Command) -> list[TransactionResult]:
    """chargeSplitAmount: charge every (account, amount) share of ``c.args`` or none. Every
    share goes through the check table as a charge before any is recorded: all or nothing."""
    shares = [(number, amount, state.book(number)) for number, amount in c.args]
    for number, amount, book in shares:
        enforce(state.attempt(Operation.CHARGE, c, book, number=number, amount=amount))
    results = []
    for _number, amount, book in shares:
        assert book is not None
        settlement = state.system(movements.settlement(c.app_id, book.currency), book.currency)
        results.append(entries.record(state, c, EntryKind.CHARGE, book, settlement, amount))
    return results


def fund_float(state: BatchState, c: Command) -> TransactionResult:
    """The operator pays ``c.amount_minor`` into an application's float (``c.args``: the
    application), from funding; the result's balance is the float's after."""
    target = state.system(movements.float_of(c.args, c.currency), c.currency)
    enforce(state.attempt(Operation.FUND_FLOAT, c, target, number=target.number))
    source = state.system(movements.funding(c.currency), c.currency)
    tid = state.transfer(EntryKind.FLOAT_FUNDING.value, source, target, c.amount_minor, c)
    return TransactionResult(
        tid, target.number, EntryKind.FLOAT_FUNDING, c.amount_minor, c.currency,
        target.ledger_balance_minor, None, False,
    )  # fmt: skip
