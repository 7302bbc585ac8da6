"""Payment: VolumeCharging, ReserveAmountCharging and ReserveVolumeCharging (TS 29.199-6).

Volumes are priced by the IUT (the profile's ``[payment] volume_parameters`` name the tariff);
reservations left open by a purpose are released when it ends.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import MICROPAY_FAULTS, PX6
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

VOL = f"{PX6} VolumeCharging"
RES = f"{PX6} ReserveAmountCharging"
RVL = f"{PX6} ReserveVolumeCharging"
VOLUME = 3


def _priced(ctx: Any, account: Any, volume: int = VOLUME) -> Decimal:
    """What the volume costs the account now; inconclusive when the IUT has no tariff for it."""
    try:
        price = ctx.pay.getAmount(account.address, volume, ctx.profile.volume_parameters)
    except Refusal as refusal:
        if refusal.name == "SVC0002":
            raise Inconclusive(
                f"no tariff prices a volume for {account.address}: {refusal.describe()}"
            ) from None
        raise
    if price <= 0:
        raise AssertionError(f"getAmount priced {volume} units at {price}")
    return price


def _unknown(ctx: Any) -> str:
    return f"iop-{ctx.run_id}-no-such-reservation"


# -- VolumeCharging -----------------------------------------------------------------------------
@tp("PAY/VOL/BV-01", "getAmount prices a volume in the account's currency",
    clause=f"{VOL}.getAmount",
    pre="A funded test account; a tariff for its currency (profile [payment] volume_parameters)",
    stimulus=f"getAmount(account, {VOLUME}, parameters) and getAmount(account, {2 * VOLUME}, parameters)",
    expected="Positive amounts in the currency's precision; twice the volume costs no less",
    covers=("getAmount",))  # fmt: skip
def price(ctx: Any) -> None:
    account = ctx.account("funded")
    one, two = _priced(ctx, account), _priced(ctx, account, 2 * VOLUME)
    money.to_minor(one, ctx.currency(account))
    assert two >= one, f"{2 * VOLUME} units cost {two}, less than {VOLUME} units ({one})"


@tp("PAY/VOL/BV-02", "chargeVolume debits the price getAmount gave",
    clause=f"{VOL}.chargeVolume",
    pre="A funded test account with a tariff",
    stimulus=f"getAmount(account, {VOLUME}); chargeVolume(account, {VOLUME}, billingText, ref, parameters)",
    expected="The balance falls by that price (refunded by refundVolume afterwards)",
    destructive=True, covers=("chargeVolume",))  # fmt: skip
def charge_volume(ctx: Any) -> None:
    account = ctx.account("funded")
    cost = _priced(ctx, account)
    params = ctx.profile.volume_parameters
    moved = ctx.delta(
        account,
        lambda: ctx.pay.chargeVolume(account.address, VOLUME, "interop volume", ctx.ref(), params),
    )
    assert moved == -cost, f"the balance moved by {moved}, getAmount said {cost}"


@tp("PAY/VOL/BV-03", "refundVolume credits back the volume's price",
    clause=f"{VOL}.refundVolume",
    pre="A funded test account with a tariff",
    stimulus=f"chargeVolume({VOLUME}), then refundVolume({VOLUME})",
    expected="The balance is back where it was",
    destructive=True, covers=("refundVolume",))  # fmt: skip
def refund_volume(ctx: Any) -> None:
    account = ctx.account("funded")
    _priced(ctx, account)
    params = ctx.profile.volume_parameters

    def both() -> None:
        ctx.pay.chargeVolume(account.address, VOLUME, "interop volume", ctx.ref(), params)
        ctx.pay.refundVolume(account.address, VOLUME, "interop volume", ctx.ref(), params)

    moved = ctx.delta(account, both)
    assert moved == 0, f"charge then refund of a volume moved the balance by {moved}"


@tp("PAY/VOL/BI-01", "A volume of zero units is refused",
    clause=f"{VOL}.chargeVolume; SVC0002",
    pre="A funded test account",
    stimulus="chargeVolume(account, 0, billingText, ref, parameters)",
    expected="ServiceException SVC0002 naming volume",
    destructive=True, covers=("SVC0002",))  # fmt: skip
def volume_zero(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.pay.chargeVolume(account.address, 0, "interop", ctx.ref(), ctx.profile.volume_parameters),
        "SVC0002", part="volume",
    )  # fmt: skip


@tp("PAY/VOL/BI-02", "An unknown rating parameter is refused",
    clause=f"{VOL}.getAmount (parameters); SVC0002",
    pre="A funded test account",
    stimulus="getAmount(account, 3, [{iop_no_such_parameter: x}])",
    expected="ServiceException SVC0002 naming parameters",
    covers=("SVC0002",))  # fmt: skip
def volume_parameter(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.pay.getAmount(account.address, VOLUME, {"iop_no_such_parameter": "x"}),
        "SVC0002", part="parameters",
    )  # fmt: skip


@tp("PAY/VOL/BI-03", "Pricing a volume for an unregistered end user is refused",
    clause=f"{VOL}.getAmount; POL1009",
    pre="A test address without an account",
    stimulus="getAmount(address, 3, parameters)",
    expected="PolicyException POL1009",
    covers=("POL1009",))  # fmt: skip
def volume_unregistered(ctx: Any) -> None:
    address = ctx.account("unregistered").address
    expect_refusal(
        lambda: ctx.pay.getAmount(address, VOLUME, ctx.profile.volume_parameters), "POL1009"
    )


@tp("PAY/VOL/BI-04", "chargeVolume on a suspended account is refused",
    clause=f"{VOL}.chargeVolume; POL1010",
    pre="A suspended test account",
    stimulus="chargeVolume(account, 3, billingText, ref, parameters)",
    expected="PolicyException POL1010",
    destructive=True, covers=("POL1010",))  # fmt: skip
def volume_suspended(ctx: Any) -> None:
    account = ctx.account("suspended")
    expect_refusal(
        lambda: ctx.pay.chargeVolume(
            account.address, VOLUME, "interop", ctx.ref(), ctx.profile.volume_parameters
        ),
        "POL1010",
    )


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
            _unknown(ctx), ctx.charge(account, ctx.small(account)), ctx.ref()
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
            _unknown(ctx), ctx.charge(account, ctx.small(account))
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
    expect_refusal(lambda: ctx.pay.releaseReservation(_unknown(ctx)), "SVC1101")


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


# -- ReserveVolumeCharging ----------------------------------------------------------------------
@tp("PAY/RVL/BV-01", "ReserveVolumeCharging prices like VolumeCharging",
    clause=f"{RVL}.getAmount",
    pre="A funded test account with a tariff",
    stimulus=f"getAmount(account, {VOLUME}, parameters) on both port types (CORBA: the object "
             "getReserveVolumeCharging() gives)",
    expected="The same amount",
    covers=("ReserveVolumeCharging.getAmount", "getReserveVolumeCharging"))  # fmt: skip
def rv_price(ctx: Any) -> None:
    account = ctx.account("funded")
    cost = _priced(ctx, account)
    again = ctx.pay.rvGetAmount(account.address, VOLUME, ctx.profile.volume_parameters)
    assert again == cost, (
        f"ReserveVolumeCharging.getAmount {again} != VolumeCharging.getAmount {cost}"
    )


@tp("PAY/RVL/BV-02", "A volume reservation can be extended, charged and released",
    clause=f"{RVL}.reserveVolume, reserveAdditionalVolume, chargeReservation, releaseReservation",
    pre="A funded prepaid test account with a tariff",
    stimulus=f"reserveVolume({VOLUME}); reserveAdditionalVolume({VOLUME}); chargeReservation("
             f"{VOLUME}, ref); releaseReservation",
    expected="In the end the balance fell by the price of one volume (refunded afterwards)",
    destructive=True,
    covers=("reserveVolume", "reserveAdditionalVolume", "ReserveVolumeCharging.chargeReservation",
            "ReserveVolumeCharging.releaseReservation"))  # fmt: skip
def rv_flow(ctx: Any) -> None:
    account = ctx.account("funded")
    cost = _priced(ctx, account)
    params = ctx.profile.volume_parameters

    def flow() -> None:
        reservation = ctx.pay.reserveVolume(account.address, VOLUME, "interop", params)
        ctx.pay.reserveAdditionalVolume(reservation, VOLUME, "interop", params)
        ctx.pay.chargeReservationVolume(reservation, VOLUME, "interop", ctx.ref(), params)
        ctx.pay.rvReleaseReservation(reservation)

    moved = ctx.delta(account, flow)
    assert moved == -cost, f"the balance moved by {moved}, expected -{cost}"


@tp("PAY/RVL/BI-01", "Charging an unknown volume reservation is refused",
    clause=f"{RVL}.chargeReservation; SVC1101",
    pre="A funded test account",
    stimulus=f"chargeReservation('iop-...-no-such-reservation', {VOLUME}, ref)",
    expected="ServiceException SVC1101",
    destructive=True, covers=("SVC1101",))  # fmt: skip
def rv_unknown(ctx: Any) -> None:
    ctx.account("funded")
    expect_refusal(
        lambda: ctx.pay.chargeReservationVolume(
            _unknown(ctx), VOLUME, "interop", ctx.ref(), ctx.profile.volume_parameters
        ),
        "SVC1101",
    )


@tp("PAY/RVL/BI-02", "Reserving a volume for an expired account is refused",
    clause=f"{RVL}.reserveVolume; POL1101",
    pre="An expired test account",
    stimulus=f"reserveVolume(account, {VOLUME}, billingText, parameters)",
    expected="PolicyException POL1101",
    destructive=True, covers=("POL1101",))  # fmt: skip
def rv_expired(ctx: Any) -> None:
    account = ctx.account("expired")
    expect_refusal(
        lambda: ctx.pay.reserveVolume(
            account.address, VOLUME, "interop", ctx.profile.volume_parameters
        ),
        "POL1101",
    )
