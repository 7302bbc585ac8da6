"""Payment: what the account and the operator's limits refuse (TS 29.199-6 AmountCharging).

Account states (suspended, expired, closed), the per-transaction and monthly limits, the
balance, reused referenceCodes and refunds beyond what the application charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import MICROPAY_FAULTS, PX1, PX6, refused_without_change
from apps.interop.faces import Charge
from apps.interop.model import tp
from apps.interop.refusals import expect_refusal

AMT = f"{PX6} AmountCharging"
REFUND_TOO_MUCH_UNITS = 1_000_000  # more than the harness's charges could ever have left owing


@tp("PAY/AMT/BI-09", "Charging a suspended account is refused",
    clause=f"{AMT}.chargeAmount; {MICROPAY_FAULTS} POL1010 (User has been suspended)",
    pre="A suspended test account",
    stimulus="chargeAmount(account, small, ref)",
    expected="PolicyException POL1010",
    destructive=True, covers=("POL1010",))  # fmt: skip
def charge_suspended(ctx: Any) -> None:
    account = ctx.account("suspended")
    expect_refusal(
        lambda: ctx.pay.chargeAmount(
            account.address, ctx.charge(account, ctx.small(account)), ctx.ref()
        ),
        "POL1010",
    )


@tp("PAY/AMT/BI-10", "Charging an expired account is refused",
    clause=f"{AMT}.chargeAmount; {MICROPAY_FAULTS} POL1101",
    pre="An expired test account",
    stimulus="chargeAmount(account, small, ref)",
    expected="PolicyException POL1101",
    destructive=True, covers=("POL1101",))  # fmt: skip
def charge_expired(ctx: Any) -> None:
    account = ctx.account("expired")
    expect_refusal(
        lambda: ctx.pay.chargeAmount(
            account.address, ctx.charge(account, ctx.small(account)), ctx.ref()
        ),
        "POL1101",
    )


@tp("PAY/AMT/BI-11", "Charging a closed account is refused",
    clause=f"{AMT}.chargeAmount; {MICROPAY_FAULTS} POL1102",
    pre="A closed test account",
    stimulus="chargeAmount(account, small, ref)",
    expected="PolicyException POL1102",
    destructive=True, covers=("POL1102",))  # fmt: skip
def charge_closed(ctx: Any) -> None:
    account = ctx.account("closed")
    currency = account.currency or "KRW"
    request = Charge("interop", currency, money.text(money.unit(currency) * 10, currency))
    expect_refusal(lambda: ctx.pay.chargeAmount(account.address, request, ctx.ref()), "POL1102")


@tp("PAY/AMT/BI-12", "A charge over the per-transaction limit is refused",
    clause=f"{AMT}.chargeAmount; {PX1} §5.2.1 ('the Web Service Provider may limit the amount'); "
           "POL0254",
    pre="A test account with a per-transaction limit (role limited)",
    stimulus="chargeAmount(account, the limit plus one unit, ref)",
    expected="PolicyException POL0254; the balance does not move",
    destructive=True, covers=("POL0254",))  # fmt: skip
def charge_transaction_limit(ctx: Any) -> None:
    account = ctx.account("limited")
    status = ctx.status(account)
    assert status.transaction_limit is not None
    amount = status.transaction_limit + money.unit(status.currency)
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "POL0254",
    )


@tp("PAY/AMT/BI-13", "A charge over the monthly limit is refused",
    clause=f"{AMT}.chargeAmount; {MICROPAY_FAULTS} POL1001 (operator charging limit exceeded)",
    pre="A test account whose monthly limit binds before its balance (role monthly)",
    stimulus="chargeAmount(account, the month's headroom plus one unit, ref)",
    expected="PolicyException POL1001; the balance does not move",
    destructive=True, covers=("POL1001",))  # fmt: skip
def charge_monthly_limit(ctx: Any) -> None:
    account = ctx.account("monthly")
    s = ctx.status(account)
    assert s.monthly_limit is not None and s.month_to_date_spend is not None
    amount = s.monthly_limit - s.month_to_date_spend + money.unit(s.currency)
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "POL1001",
    )


@tp("PAY/AMT/BI-14", "A charge over the balance is refused",
    clause=f"{AMT}.chargeAmount; {MICROPAY_FAULTS} POL1000 (insufficient credit)",
    pre="A prepaid test account without limits (role unlimited)",
    stimulus="chargeAmount(account, its balance plus one unit, ref)",
    expected="PolicyException POL1000; the balance does not move",
    destructive=True, covers=("POL1000",))  # fmt: skip
def charge_balance(ctx: Any) -> None:
    account = ctx.account("unlimited")
    amount = ctx.balance(account) + money.unit(ctx.currency(account))
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "POL1000",
    )


@tp("PAY/AMT/BI-15", "A referenceCode reused for another charge is refused",
    clause=f"{AMT}.chargeAmount (referenceCode unique within the application); "
           f"{MICROPAY_FAULTS} SVC1102",
    pre="A funded test account",
    stimulus="chargeAmount(small, ref R), then chargeAmount(twice as much, ref R)",
    expected="ServiceException SVC1102; only the first charge is made",
    destructive=True, covers=("SVC1102",))  # fmt: skip
def charge_reused(ctx: Any) -> None:
    account = ctx.account("funded")
    ref, amount = ctx.ref(), ctx.small(account)
    ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ref)
    refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount * 2), ref),
        "SVC1102",
    )


@tp("PAY/AMT/BI-16", "A refund beyond what the application charged is refused",
    clause=f"{AMT}.refundAmount; {MICROPAY_FAULTS} POL1104",
    pre=f"A funded test account on which the application's charges, net of its refunds, are "
        f"below {REFUND_TOO_MUCH_UNITS:,} currency units",
    stimulus=f"refundAmount(account, {REFUND_TOO_MUCH_UNITS:,} units, ref)",
    expected="PolicyException POL1104; the balance does not move",
    destructive=True, covers=("POL1104",))  # fmt: skip
def refund_too_much(ctx: Any) -> None:
    account = ctx.account("funded")
    request = ctx.charge(account, Decimal(REFUND_TOO_MUCH_UNITS))
    refused_without_change(
        ctx, account, lambda: ctx.pay.refundAmount(account.address, request, ctx.ref()), "POL1104"
    )


@tp("PAY/AMT/BI-17", "Refunding a closed account is refused",
    clause=f"{AMT}.refundAmount; POL1102",
    pre="A closed test account",
    stimulus="refundAmount(account, small, ref)",
    expected="PolicyException POL1102",
    destructive=True, covers=("POL1102",))  # fmt: skip
def refund_closed(ctx: Any) -> None:
    account = ctx.account("closed")
    currency = account.currency or "KRW"
    request = Charge("interop", currency, money.text(money.unit(currency) * 10, currency))
    expect_refusal(lambda: ctx.pay.refundAmount(account.address, request, ctx.ref()), "POL1102")
