"""Payment: AmountCharging -- chargeAmount and refundAmount, and the input they refuse
(TS 29.199-6). Every charge is refunded when its purpose ends; a refusal must change nothing.
"""

from __future__ import annotations

from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import (
    MALFORMED_TEL,
    MICROPAY_FAULTS,
    PX1,
    PX6,
    refused_without_change,
)
from apps.interop.faces import Charge
from apps.interop.model import tp
from apps.interop.refusals import expect_refusal

AMT = f"{PX6} AmountCharging"


@tp("PAY/AMT/BV-01", "chargeAmount debits exactly the amount",
    clause=f"{AMT}.chargeAmount",
    pre="A funded test account",
    stimulus="chargeAmount(account, {description, currency, a small amount}, ref)",
    expected="The reported balance falls by exactly the amount (refunded afterwards)",
    destructive=True, covers=("chargeAmount",))  # fmt: skip
def charge(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)
    moved = ctx.delta(
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
    )
    assert moved == -amount, f"the balance moved by {moved}, expected -{amount}"


@tp("PAY/AMT/BV-02", "A repeated chargeAmount debits once",
    clause=f"{AMT}.chargeAmount (referenceCode); docs/payment-and-account.md (idempotency)",
    pre="A funded test account",
    stimulus="The same chargeAmount (same referenceCode and content) twice",
    expected="Both accepted; the balance falls once",
    destructive=True, covers=("chargeAmount",))  # fmt: skip
def charge_twice(ctx: Any) -> None:
    account = ctx.account("funded")
    amount, ref = ctx.small(account), ctx.ref()
    request = ctx.charge(account, amount)

    def twice() -> None:
        ctx.pay.chargeAmount(account.address, request, ref)
        ctx.pay.chargeAmount(account.address, request, ref)

    moved = ctx.delta(account, twice)
    assert moved == -amount, f"the balance moved by {moved}, expected -{amount} once"


@tp("PAY/AMT/BV-03", "refundAmount credits back what was charged",
    clause=f"{AMT}.refundAmount",
    pre="A funded test account",
    stimulus="chargeAmount(small, ref1), then refundAmount(the same amount, ref2)",
    expected="The balance is back where it was",
    destructive=True, covers=("refundAmount",))  # fmt: skip
def refund(ctx: Any) -> None:
    account = ctx.account("funded")
    request = ctx.charge(account, ctx.small(account))

    def both() -> None:
        ctx.pay.chargeAmount(account.address, request, ctx.ref())
        ctx.pay.refundAmount(account.address, request, ctx.ref())

    moved = ctx.delta(account, both)
    assert moved == 0, f"charge then refund moved the balance by {moved}"


@tp("PAY/AMT/BV-04", "An amount without a currency is taken in the account's currency",
    clause=f"{PX1} §5.2.1 ChargingInformation (currency optional)",
    pre="A funded test account",
    stimulus="chargeAmount(account, {description, currency '', a small amount}, ref)",
    expected="Accepted; the balance falls by the amount",
    transports=("corba",), destructive=True, covers=("chargeAmount",))  # fmt: skip
def charge_no_currency(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)
    request = Charge("interop without currency", "", money.text(amount, ctx.currency(account)))
    moved = ctx.delta(account, lambda: ctx.pay.chargeAmount(account.address, request, ctx.ref()))
    assert moved == -amount, f"the balance moved by {moved}, expected -{amount}"


@tp("PAY/AMT/BI-01", "Charging an unregistered end user is refused",
    clause=f"{AMT}.chargeAmount; {MICROPAY_FAULTS} POL1009",
    pre="A test address without an account",
    stimulus="chargeAmount(address, small, ref)",
    expected="PolicyException POL1009",
    destructive=True, covers=("POL1009",))  # fmt: skip
def charge_unregistered(ctx: Any) -> None:
    address = ctx.account("unregistered").address
    expect_refusal(
        lambda: ctx.pay.chargeAmount(address, Charge("interop", "KRW", "10"), ctx.ref()), "POL1009"
    )


@tp("PAY/AMT/BI-02", "Charging a malformed address is refused",
    clause=f"{AMT}.chargeAmount; {PX1} §5.1, SVC0002",
    pre="A funded test account (for the currency)",
    stimulus=f"chargeAmount('{MALFORMED_TEL}', small, ref)",
    expected="ServiceException SVC0002",
    covers=("SVC0002",))  # fmt: skip
def charge_malformed(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.pay.chargeAmount(
            MALFORMED_TEL, ctx.charge(account, ctx.small(account)), ctx.ref()
        ),
        "SVC0002",
    )


@tp("PAY/AMT/BI-03", "A zero amount is refused",
    clause=f"{AMT}.chargeAmount; {PX1} SVC0007 (Invalid charging information)",
    pre="A funded test account",
    stimulus="chargeAmount(account, amount 0, ref)",
    expected="ServiceException SVC0007; the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_zero(ctx: Any) -> None:
    account = ctx.account("funded")
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, "0"), ctx.ref()),
        "SVC0007",
    )


@tp("PAY/AMT/BI-04", "A negative amount is refused",
    clause=f"{AMT}.chargeAmount; SVC0007",
    pre="A funded test account",
    stimulus="chargeAmount(account, amount -10, ref)",
    expected="ServiceException SVC0007 (or SVC0002); the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_negative(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = money.text(-ctx.small(account), ctx.currency(account))
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "SVC0007",
        "SVC0002",
    )


@tp("PAY/AMT/BI-05", "An amount that is not xsd:decimal is refused",
    clause=f"{AMT}.chargeAmount (amount: xsd:decimal); SVC0007",
    pre="A funded test account",
    stimulus="chargeAmount(account, amount '1e3', ref); gRPC: Money whose exponent is not the "
             "currency's (a tenth of the unit)",
    expected="ServiceException SVC0007; the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_not_decimal(ctx: Any) -> None:
    account = ctx.account("funded")
    if ctx.corba:
        amount = "1e3"
    else:
        amount = money.finer(money.text(ctx.small(account), ctx.currency(account)))
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "SVC0007",
    )


@tp("PAY/AMT/BI-06", "An amount finer than the currency is refused, never rounded",
    clause=f"{AMT}.chargeAmount; SVC0007; docs/idl-mapping.md (money is exact)",
    pre="A funded test account",
    stimulus="chargeAmount(account, a small amount with one more decimal than the currency has)",
    expected="ServiceException SVC0007; the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_precision(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = money.finer(money.text(ctx.small(account), ctx.currency(account)))
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "SVC0007",
    )


@tp("PAY/AMT/BI-07", "A currency other than the account's is refused",
    clause=f"{AMT}.chargeAmount; {PX1} §5.2.1 currency; SVC0007",
    pre="A funded test account",
    stimulus="chargeAmount(account, {currency: another real currency, small}, ref)",
    expected="ServiceException SVC0007; the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_other_currency(ctx: Any) -> None:
    account = ctx.account("funded")
    other = money.other_currency(ctx.currency(account))
    request = Charge("interop", other, money.text(money.unit(other) * 10, other))
    refused_without_change(
        ctx, account, lambda: ctx.pay.chargeAmount(account.address, request, ctx.ref()), "SVC0007"
    )


@tp("PAY/AMT/BI-08", "An unknown currency is refused",
    clause=f"{AMT}.chargeAmount; {PX1} §5.2.1 currency (ISO 4217); SVC0007",
    pre="A funded test account",
    stimulus="chargeAmount(account, {currency 'ZZZ', 10}, ref)",
    expected="ServiceException SVC0007; the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_unknown_currency(ctx: Any) -> None:
    account = ctx.account("funded")
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, Charge("interop", "ZZZ", "10"), ctx.ref()),
        "SVC0007",
    )
