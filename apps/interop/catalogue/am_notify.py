"""Account Management: charging-event notifications (micropay extension, after TS 29.198-11).

Over CORBA the harness hosts an IpAppAccountManager and receives reportNotification; over gRPC it
reads StreamChargingEvents. Events are stimulated with small charges that are refunded after.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import AM_EXT, create_assignment
from apps.interop.faces import ChargingEvent
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, check_refusal, expect_refusal

NOT = f"{AM_EXT}: IpAccountManager notifications (TS 29.198-11 createNotification ...)"
ASSIGNMENTS_TRIES_MAX = 64
USERS_TOO_MANY = 101


def _wait(ctx: Any, assignment: int, name: str, ref: str = "") -> ChargingEvent:
    def wanted(event: ChargingEvent) -> bool:
        return event.name == name and (not ref or event.reference == ref)

    event = ctx.am.wait_event(assignment, wanted, ctx.wait_s)
    assert event is not None, (
        f"no {name} event{' for ' + ref if ref else ''} within {ctx.wait_s:.0f} s"
    )
    return event


@tp("AM/NOT/BV-01", "createNotification registers the criteria",
    clause=f"{NOT}: createNotification, getNotification",
    pre="A funded test account",
    stimulus="createNotification(our IpAppAccountManager, {[P_AM_CHARGING], [account]}), then "
             "getNotification()",
    expected="An assignment id that getNotification lists with those criteria",
    covers=("createNotification", "getNotification"))  # fmt: skip
def create(ctx: Any) -> None:
    account = ctx.account("funded")
    assignment = create_assignment(ctx, ["P_AM_CHARGING"], [account.address])
    listed = {a: (e, u) for a, e, u in ctx.am.getNotification()}
    assert assignment in listed, f"assignment {assignment} is not in getNotification"
    events, _ = listed[assignment]
    assert events == ["P_AM_CHARGING"], f"criteria events {events}"


@tp("AM/NOT/BV-02", "A charge is reported as P_AM_CHARGING",
    clause=f"{NOT}: IpAppAccountManager.reportNotification (P_AM_CHARGING)",
    pre="A funded test account; Payment is offered to the application",
    stimulus="createNotification({[P_AM_CHARGING], [account]}); chargeAmount(small, ref)",
    expected="reportNotification(P_AM_CHARGING) with the amount, our referenceCode and an EventID",
    destructive=True, covers=("IpAppAccountManager.reportNotification", "P_AM_CHARGING"))  # fmt: skip
def charging_event(ctx: Any) -> None:
    account = ctx.account("funded")
    assignment = create_assignment(ctx, ["P_AM_CHARGING"], [account.address])
    amount, ref = ctx.small(account), ctx.ref()
    ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ref)
    event = _wait(ctx, assignment, "P_AM_CHARGING", ref)
    assert event.amount == amount, f"EventAmount {event.amount}, charged {amount}"
    assert event.event_id, "no EventID"
    assert event.currency == ctx.currency(account), f"currency {event.currency}"


@tp("AM/NOT/BV-03", "A recharge is reported as P_AM_RECHARGING",
    clause=f"{NOT}: reportNotification (P_AM_RECHARGING)",
    pre="A funded prepaid test account",
    stimulus="createNotification({[P_AM_RECHARGING], [account]}); balanceUpdate(small, ref)",
    expected="reportNotification(P_AM_RECHARGING) with the amount and our referenceCode",
    destructive=True, covers=("P_AM_RECHARGING",))  # fmt: skip
def recharging_event(ctx: Any) -> None:
    account = ctx.account("funded")
    assignment = create_assignment(ctx, ["P_AM_RECHARGING"], [account.address])
    amount, ref = ctx.small(account), ctx.ref()
    types = ctx.am.getBalanceTypes(account.address, "")
    ctx.am.balanceUpdate(account.address, "", ref, types[0], money.text(amount, ctx.currency(account)),
                         ctx.currency(account), None)  # fmt: skip
    event = _wait(ctx, assignment, "P_AM_RECHARGING", ref)
    assert event.amount == amount, f"EventAmount {event.amount}, credited {amount}"


@tp("AM/NOT/BV-04", "Crossing the low-balance threshold is reported as P_AM_ACCOUNT_LOW",
    clause=f"{NOT}: reportNotification (P_AM_ACCOUNT_LOW)",
    pre="A test account with a low-balance threshold a charge can cross (role low)",
    stimulus="createNotification({[P_AM_ACCOUNT_LOW], [account]}); charge down to just under the "
             "threshold",
    expected="reportNotification(P_AM_ACCOUNT_LOW) with a balance under the threshold",
    destructive=True, covers=("P_AM_ACCOUNT_LOW",))  # fmt: skip
def low_event(ctx: Any) -> None:
    account = ctx.account("low")
    status = ctx.status(account)
    assert status.balance is not None and status.low_balance_threshold is not None
    amount = status.balance - status.low_balance_threshold + money.unit(status.currency)
    assignment = create_assignment(ctx, ["P_AM_ACCOUNT_LOW"], [account.address])
    ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref())
    event = _wait(ctx, assignment, "P_AM_ACCOUNT_LOW")
    assert event.balance is not None and event.balance < status.low_balance_threshold, (
        f"balance {event.balance} is not under the threshold {status.low_balance_threshold}"
    )


@tp("AM/NOT/BV-05", "An emptied balance is reported as P_AM_ACCOUNT_ZERO",
    clause=f"{NOT}: reportNotification (P_AM_ACCOUNT_ZERO)",
    pre="A prepaid test account without limits whose whole balance one charge can take "
        "(role unlimited)",
    stimulus="createNotification({[P_AM_ACCOUNT_ZERO], [account]}); chargeAmount(the whole balance)",
    expected="reportNotification(P_AM_ACCOUNT_ZERO) (the balance is refunded after)",
    destructive=True, covers=("P_AM_ACCOUNT_ZERO",))  # fmt: skip
def zero_event(ctx: Any) -> None:
    account = ctx.account("unlimited")
    whole = ctx.balance(account)
    if whole <= 0:
        raise Inconclusive(f"{account.address} has no balance to empty")
    assignment = create_assignment(ctx, ["P_AM_ACCOUNT_ZERO"], [account.address])
    ctx.pay.chargeAmount(account.address, ctx.charge(account, whole), ctx.ref())
    event = _wait(ctx, assignment, "P_AM_ACCOUNT_ZERO")
    assert event.balance in (None, Decimal(0)), f"balance {event.balance} in a zero event"


@tp("AM/NOT/BV-06", "changeNotification replaces the criteria",
    clause=f"{NOT}: changeNotification",
    pre="A funded test account",
    stimulus="createNotification({[P_AM_CHARGING], [account]}); changeNotification(id, "
             "{[P_AM_RECHARGING, P_AM_ACCOUNT_LOW], [account]}); getNotification()",
    expected="getNotification lists the new events for that id",
    covers=("changeNotification",))  # fmt: skip
def change(ctx: Any) -> None:
    account = ctx.account("funded")
    assignment = create_assignment(ctx, ["P_AM_CHARGING"], [account.address])
    ctx.am.changeNotification(
        assignment, ["P_AM_RECHARGING", "P_AM_ACCOUNT_LOW"], [account.address]
    )
    listed = {a: e for a, e, _ in ctx.am.getNotification()}
    assert sorted(listed.get(assignment, [])) == ["P_AM_ACCOUNT_LOW", "P_AM_RECHARGING"], (
        listed.get(assignment)
    )


@tp("AM/NOT/BV-07", "destroyNotification ends the assignment",
    clause=f"{NOT}: destroyNotification",
    pre="None",
    stimulus="createNotification(...); destroyNotification(id); getNotification()",
    expected="The id is no longer listed",
    covers=("destroyNotification",))  # fmt: skip
def destroy(ctx: Any) -> None:
    account = ctx.account("funded")
    assignment = ctx.am.createNotification(["P_AM_CHARGING"], [account.address])
    ctx.am.destroyNotification(assignment)
    assert assignment not in [a for a, _, _ in ctx.am.getNotification()], "still listed"


@tp("AM/NOT/BV-08", "Empty Users selects every account the application charged",
    clause=f"{NOT}: TpChargingEventCriteria.Users (empty = every account the application has charged)",
    pre="A funded test account; Payment is offered",
    stimulus="createNotification({[P_AM_CHARGING], []}); chargeAmount(account, small, ref)",
    expected="reportNotification(P_AM_CHARGING) for that charge",
    destructive=True, covers=("P_AM_CHARGING",))  # fmt: skip
def every_account(ctx: Any) -> None:
    account = ctx.account("funded")
    assignment = create_assignment(ctx, ["P_AM_CHARGING"], [])
    ref = ctx.ref()
    ctx.pay.chargeAmount(account.address, ctx.charge(account, ctx.small(account)), ref)
    _wait(ctx, assignment, "P_AM_CHARGING", ref)


@tp("AM/NOT/BI-01", "Criteria without events are refused",
    clause=f"{NOT}: createNotification; SVC0002",
    pre="A funded test account",
    stimulus="createNotification({[], [account]})",
    expected="ServiceException SVC0002 naming ChargingEvents",
    covers=("SVC0002",))  # fmt: skip
def no_events(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: create_assignment(ctx, [], [account.address]), "SVC0002", part="ChargingEvents"
    )


@tp("AM/NOT/BI-02", "Criteria naming an unregistered end user are refused",
    clause=f"{NOT}: createNotification; POL1009",
    pre="A test address without an account",
    stimulus="createNotification({[P_AM_CHARGING], [address]})",
    expected="PolicyException POL1009",
    covers=("POL1009",))  # fmt: skip
def unregistered_user(ctx: Any) -> None:
    address = ctx.account("unregistered").address
    expect_refusal(lambda: create_assignment(ctx, ["P_AM_CHARGING"], [address]), "POL1009")


@tp("AM/NOT/BI-03", "destroyNotification of an unknown assignment is refused",
    clause=f"{NOT}: destroyNotification; SVC0002",
    pre="None",
    stimulus="destroyNotification(an id never given)",
    expected="ServiceException SVC0002 naming assignmentId",
    covers=("SVC0002",))  # fmt: skip
def destroy_unknown(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.am.destroyNotification(2_000_000_000), "SVC0002", part="assignmentId"
    )


@tp("AM/NOT/BI-04", "changeNotification of an unknown assignment is refused",
    clause=f"{NOT}: changeNotification; SVC0002",
    pre="A funded test account",
    stimulus="changeNotification(an id never given, {[P_AM_CHARGING], [account]})",
    expected="ServiceException SVC0002 naming assignmentId",
    covers=("SVC0002",))  # fmt: skip
def change_unknown(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.am.changeNotification(2_000_000_000, ["P_AM_CHARGING"], [account.address]),
        "SVC0002", part="assignmentId",
    )  # fmt: skip


@tp("AM/NOT/BI-05", "A nil application callback is refused",
    clause=f"{NOT}: createNotification(appAccountManager); SVC0002",
    pre="A funded test account",
    stimulus="createNotification(nil, {[P_AM_CHARGING], [account]})",
    expected="ServiceException SVC0002 naming appAccountManager",
    transports=("corba",), covers=("SVC0002",))  # fmt: skip
def nil_callback(ctx: Any) -> None:
    from apps.interop.catalogue.steps import nil

    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.am.createNotification(["P_AM_CHARGING"], [account.address], nil()),
        "SVC0002", part="appAccountManager",
        on_success=lambda assignment: ctx.am.destroyNotification(assignment),
    )  # fmt: skip


@tp("AM/NOT/BI-06", "Too many assignments are refused",
    clause=f"{NOT}; TS 29.199-1 POL0005 (Too many notifications requested)",
    pre="A funded test account",
    stimulus=f"createNotification repeatedly (at most {ASSIGNMENTS_TRIES_MAX} times)",
    expected="PolicyException POL0005 at some point (all created are destroyed after)",
    covers=("POL0005",))  # fmt: skip
def too_many(ctx: Any) -> None:
    account = ctx.account("funded")
    for attempt in range(1, ASSIGNMENTS_TRIES_MAX + 1):
        try:
            create_assignment(ctx, ["P_AM_CHARGING"], [account.address])
        except Refusal as refusal:
            check_refusal(refusal, ("POL0005",))
            ctx.note(f"refused at assignment {attempt}")
            return
    raise AssertionError(f"{ASSIGNMENTS_TRIES_MAX} assignments accepted, never POL0005")


@tp("AM/NOT/BI-07", "Criteria naming too many end users are refused",
    clause=f"{NOT}; TS 29.199-1 POL0003 (Too many addresses specified in message part %1)",
    pre="A funded test account",
    stimulus=f"createNotification({{[P_AM_CHARGING], the account {USERS_TOO_MANY} times}})",
    expected="PolicyException POL0003 naming Users",
    covers=("POL0003",))  # fmt: skip
def too_many_users(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: create_assignment(ctx, ["P_AM_CHARGING"], [account.address] * USERS_TOO_MANY),
        "POL0003", part="Users",
    )  # fmt: skip


@tp("AM/NOT/BI-08", "Resuming the event stream from an unknown cursor is refused",
    clause="proto/micropay/v1/account.proto StreamChargingEvents (after_cursor)",
    pre="None",
    stimulus="StreamChargingEvents(after_cursor = a made-up cursor)",
    expected="INVALID_ARGUMENT",
    transports=("grpc",), covers=("StreamChargingEvents",))  # fmt: skip
def unknown_cursor(ctx: Any) -> None:
    from micropay.v1 import account_pb2 as apb

    from apps.interop.grpc_scf import _first

    stream = ctx.am.raw.stream(
        "StreamChargingEvents",
        apb.StreamChargingEventsRequest(after_cursor="iop-no-such-cursor"),
        5.0,
    )
    try:
        item = _first(stream, lambda _: True)
    except Refusal as refusal:
        assert refusal.grpc_code == "INVALID_ARGUMENT", refusal.describe()
        return
    raise AssertionError(f"the stream was accepted ({'an item' if item else 'no error'})")
