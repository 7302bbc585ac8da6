"""Payment: VolumeCharging and ReserveVolumeCharging (TS 29.199-6).

Volumes are priced by the IUT (the profile's ``[payment] volume_parameters`` name the tariff).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import PX6, unknown_reservation
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

VOL = f"{PX6} VolumeCharging"
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


def _tariff_set_up(ctx: Any) -> None:
    """A purpose that expects a refusal about the account needs volumes priced first: without
    a tariff the IUT refuses the price instead (SVC0002), which is missing set-up, not a fault."""
    _priced(ctx, ctx.account("funded"))


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
    pre="A suspended test account; a tariff (a funded account's getAmount prices the volume)",
    stimulus="chargeVolume(account, 3, billingText, ref, parameters)",
    expected="PolicyException POL1010",
    destructive=True, covers=("POL1010",))  # fmt: skip
def volume_suspended(ctx: Any) -> None:
    account = ctx.account("suspended")
    _tariff_set_up(ctx)
    expect_refusal(
        lambda: ctx.pay.chargeVolume(
            account.address, VOLUME, "interop", ctx.ref(), ctx.profile.volume_parameters
        ),
        "POL1010",
    )


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
            unknown_reservation(ctx), VOLUME, "interop", ctx.ref(), ctx.profile.volume_parameters
        ),
        "SVC1101",
    )


@tp("PAY/RVL/BI-02", "Reserving a volume for an expired account is refused",
    clause=f"{RVL}.reserveVolume; POL1101",
    pre="An expired test account; a tariff (a funded account's getAmount prices the volume)",
    stimulus=f"reserveVolume(account, {VOLUME}, billingText, parameters)",
    expected="PolicyException POL1101",
    destructive=True, covers=("POL1101",))  # fmt: skip
def rv_expired(ctx: Any) -> None:
    account = ctx.account("expired")
    _tariff_set_up(ctx)
    expect_refusal(
        lambda: ctx.pay.reserveVolume(
            account.address, VOLUME, "interop", ctx.profile.volume_parameters
        ),
        "POL1101",
    )
