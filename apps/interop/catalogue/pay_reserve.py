"""Payment: ReserveAmountCharging (TS 29.199-6). Reservations a purpose leaves open are released
when it ends; what it charged against them is refunded.
"""

from __future__ import annotations

from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import MICROPAY_FAULTS, PX6, unknown_reservation
from apps.interop.model import tp
from apps.interop.refusals import Refusal, expect_refusal

RES = f"{PX6} ReserveAmountCharging"


# -- ReserveAmountCharging ----------------------------------------------------------------------
@tp("PAY/RES/BV-01", "reserveAmount holds funds until released",
    clause=f"{RES}.reserveAmount, releaseReservation",
    pre="A funded prepaid test account",
    stimulus="reserveAmount(account, small); releaseReservation(id)",
    expected="An identifier; the reported balance falls by the amount, then is restored",
    destructive=True, covers=("reserveAmount", "releaseReservation"))  # fmt: skip
def reserve(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)
    before = ctx.balance(account)
    reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, amount))
    assert reservation, "an empty reservation identifier"
    held = ctx.balance(account) - before
    ctx.pay.releaseReservation(reservation)
    assert held == -amount, f"reserving {amount} moved the balance by {held}"
    assert ctx.balance(account) == before, "releaseReservation did not give the funds back"


@tp("PAY/RES/BV-02", "reserveAdditionalAmount holds more",
    clause=f"{RES}.reserveAdditionalAmount",
    pre="A funded prepaid test account",
    stimulus="reserveAmount(small); reserveAdditionalAmount(id, small)",
    expected="The reported balance falls by both amounts (released afterwards)",
    destructive=True, covers=("reserveAdditionalAmount",))  # fmt: skip
def reserve_more(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)

    def hold() -> None:
        reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, amount))
        ctx.pay.reserveAdditionalAmount(reservation, ctx.charge(account, amount))

    moved = ctx.delta(account, hold)
    assert moved == -2 * amount, f"the balance moved by {moved}, expected -{2 * amount}"


@tp("PAY/RES/BV-03", "chargeReservation charges part of what is held; release returns the rest",
    clause=f"{RES}.chargeReservation",
    pre="A funded prepaid test account",
    stimulus="reserveAmount(3 small); chargeReservation(id, 1 small, ref); releaseReservation(id)",
    expected="In the end the balance fell by 1 small (refunded afterwards)",
    destructive=True, covers=("chargeReservation",))  # fmt: skip
def charge_part(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)

    def flow() -> None:
        reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, amount * 3))
        ctx.pay.chargeReservation(reservation, ctx.charge(account, amount), ctx.ref())
        ctx.pay.releaseReservation(reservation)

    moved = ctx.delta(account, flow)
    assert moved == -amount, f"the balance moved by {moved}, expected -{amount}"


@tp("PAY/RES/BI-01", "chargeReservation of an unknown reservation is refused",
    clause=f"{RES}.chargeReservation; {MICROPAY_FAULTS} SVC1101",
    pre="A funded test account (for the currency)",
    stimulus="chargeReservation('iop-...-no-such-reservation', small, ref)",
    expected="ServiceException SVC1101",
    destructive=True, covers=("SVC1101",))  # fmt: skip
def charge_unknown(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.pay.chargeReservation(
            unknown_reservation(ctx), ctx.charge(account, ctx.small(account)), ctx.ref()
        ),
        "SVC1101",
    )


@tp("PAY/RES/BI-02", "Charging more than is held is refused",
    clause=f"{RES}.chargeReservation; {MICROPAY_FAULTS} SVC1103",
    pre="A funded prepaid test account",
    stimulus="reserveAmount(small); chargeReservation(id, 2 small, ref)",
    expected="ServiceException SVC1103 (released afterwards)",
    destructive=True, covers=("SVC1103",))  # fmt: skip
def charge_beyond(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)
    reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, amount))
    expect_refusal(
        lambda: ctx.pay.chargeReservation(reservation, ctx.charge(account, amount * 2), ctx.ref()),
        "SVC1103",
    )


@tp("PAY/RES/BI-03", "A released reservation cannot be charged",
    clause=f"{RES}.chargeReservation after releaseReservation; SVC1101",
    pre="A funded prepaid test account",
    stimulus="reserveAmount(small); releaseReservation(id); chargeReservation(id, small, ref)",
    expected="ServiceException SVC1101",
    destructive=True, covers=("SVC1101",))  # fmt: skip
def charge_released(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)
    reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, amount))
    ctx.pay.releaseReservation(reservation)
    expect_refusal(
        lambda: ctx.pay.chargeReservation(reservation, ctx.charge(account, amount), ctx.ref()),
        "SVC1101",
    )


@tp("PAY/RES/BI-04", "reserveAdditionalAmount of an unknown reservation is refused",
    clause=f"{RES}.reserveAdditionalAmount; SVC1101",
    pre="A funded test account (for the currency)",
    stimulus="reserveAdditionalAmount('iop-...-no-such-reservation', small)",
    expected="ServiceException SVC1101",
    destructive=True, covers=("SVC1101",))  # fmt: skip
def more_unknown(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.pay.reserveAdditionalAmount(
            unknown_reservation(ctx), ctx.charge(account, ctx.small(account))
        ),
        "SVC1101",
    )


@tp("PAY/RES/BI-05", "Reserving more than the balance is refused",
    clause=f"{RES}.reserveAmount; POL1000",
    pre="A prepaid test account without limits (role unlimited)",
    stimulus="reserveAmount(account, its balance plus one unit)",
    expected="PolicyException POL1000",
    destructive=True, covers=("POL1000",))  # fmt: skip
def reserve_too_much(ctx: Any) -> None:
    account = ctx.account("unlimited")
    amount = ctx.balance(account) + money.unit(ctx.currency(account))
    expect_refusal(
        lambda: ctx.pay.reserveAmount(account.address, ctx.charge(account, amount)), "POL1000"
    )


@tp("PAY/RES/BI-06", "releaseReservation of an unknown reservation is refused",
    clause=f"{RES}.releaseReservation; SVC1101",
    pre="None",
    stimulus="releaseReservation('iop-...-no-such-reservation')",
    expected="ServiceException SVC1101",
    covers=("SVC1101",))  # fmt: skip
def release_unknown(ctx: Any) -> None:
    expect_refusal(lambda: ctx.pay.releaseReservation(unknown_reservation(ctx)), "SVC1101")


@tp("PAY/RES/BI-07", "Another application cannot use the reservation",
    clause=f"{RES}; docs/payment-and-account.md (reservations are the application's own); SVC1101",
    pre="A funded prepaid test account; a peer application with Payment (profile [peer])",
    stimulus="We reserveAmount(small); the peer calls chargeReservation(id, small, ref) and "
             "releaseReservation(id)",
    expected="Both refused with ServiceException SVC1101",
    destructive=True, covers=("SVC1101",))  # fmt: skip
def reservation_isolated(ctx: Any) -> None:
    account = ctx.account("funded")
    peer = ctx.peer("pay")
    amount = ctx.small(account)
    reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, amount))
    expect_refusal(
        lambda: peer.chargeReservation(reservation, ctx.charge(account, amount), ctx.ref()),
        "SVC1101",
    )
    expect_refusal(lambda: peer.releaseReservation(reservation), "SVC1101")


@tp("PAY/RES/BO-01", "Releasing twice changes nothing",
    clause=f"{RES}.releaseReservation (micropay: releasing again changes nothing)",
    pre="A funded prepaid test account",
    stimulus="reserveAmount(small); releaseReservation(id) twice",
    expected="The second release is accepted or refused as SVC1101; the balance is as before",
    destructive=True, covers=("releaseReservation",))  # fmt: skip
def release_twice(ctx: Any) -> None:
    account = ctx.account("funded")
    before = ctx.balance(account)
    reservation = ctx.pay.reserveAmount(account.address, ctx.charge(account, ctx.small(account)))
    ctx.pay.releaseReservation(reservation)
    try:
        ctx.pay.releaseReservation(reservation)
    except Refusal as refusal:
        assert refusal.name == "SVC1101", refusal.describe()
    assert ctx.balance(account) == before, "two releases moved the balance"
