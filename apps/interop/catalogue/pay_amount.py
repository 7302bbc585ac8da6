"""Payment: AmountCharging -- chargeAmount, refundAmount, chargeSplitAmount (TS 29.199-6).

Every charge is refunded when its purpose ends; a refusal must change nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import MALFORMED_TEL, MICROPAY_FAULTS, PX1, PX6
from apps.interop.faces import Charge
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import expect_refusal

AMT = f"{PX6} AmountCharging"
SPLIT_PAYERS_TOO_MANY = 11
REFUND_TOO_MUCH_UNITS = 1_000_000  # more than the harness's charges could ever have left owing


def _refused_without_change(ctx: Any, account: Any, call: Any, *names: str) -> None:
    """``call`` must be refused with ``names`` and leave the balance as it was (when readable)."""
    before = ctx.try_balance(account)
    expect_refusal(call, *names)
    after = ctx.try_balance(account)
    assert after == before, f"a refused request moved the balance from {before} to {after}"


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
    clause=f"{AMT}.chargeAmount (referenceCode); DESIGN §3 idempotency",
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
    _refused_without_change(
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
    _refused_without_change(
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
    _refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, ctx.charge(account, amount), ctx.ref()),
        "SVC0007",
    )


@tp("PAY/AMT/BI-06", "An amount finer than the currency is refused, never rounded",
    clause=f"{AMT}.chargeAmount; SVC0007; DESIGN §3 (money)",
    pre="A funded test account",
    stimulus="chargeAmount(account, a small amount with one more decimal than the currency has)",
    expected="ServiceException SVC0007; the balance does not move",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def charge_precision(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = money.finer(money.text(ctx.small(account), ctx.currency(account)))
    _refused_without_change(
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
    _refused_without_change(
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
    _refused_without_change(
        ctx,
        account,
        lambda: ctx.pay.chargeAmount(account.address, Charge("interop", "ZZZ", "10"), ctx.ref()),
        "SVC0007",
    )


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
    _refused_without_change(
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
    _refused_without_change(
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
    _refused_without_change(
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
    _refused_without_change(
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
    _refused_without_change(
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


# -- chargeSplitAmount (Parlay X 3.0) -------------------------------------------------------------
def _two_funded(ctx: Any) -> tuple[Any, Any]:
    funded = ctx.accounts("funded")
    same = [a for a in funded[1:] if a.currency == funded[0].currency] if funded else []
    if not same:
        raise Inconclusive("needs two funded test accounts in one currency")
    return funded[0], same[0]


@tp("PAY/SPL/BV-01", "chargeSplitAmount charges each payer's share",
    clause=f"{AMT}.chargeSplitAmount (Parlay X 3.0, ES 202 504-6)",
    pre="Two funded test accounts in one currency",
    stimulus="chargeSplitAmount([{a, 70}, {b, 30}], 10 small units, ref)",
    expected="a falls by 70 %, b by 30 % of the amount (refunded afterwards)",
    destructive=True, covers=("chargeSplitAmount",))  # fmt: skip
def split(ctx: Any) -> None:
    a, b = _two_funded(ctx)
    total = ctx.small(a, 10)
    before = (ctx.balance(a), ctx.balance(b))
    ctx.pay.chargeSplitAmount([(a.address, 70), (b.address, 30)], ctx.charge(a, total), ctx.ref())
    moved = (ctx.balance(a) - before[0], ctx.balance(b) - before[1])
    assert moved == (-total * 70 / 100, -total * 30 / 100), f"the shares moved {moved} of {total}"


@tp("PAY/SPL/BI-01", "Shares that do not sum to 100 % are refused",
    clause=f"{AMT}.chargeSplitAmount; SVC0002",
    pre="Two funded test accounts in one currency",
    stimulus="chargeSplitAmount([{a, 50}, {b, 40}], amount, ref)",
    expected="ServiceException SVC0002; nothing is charged",
    destructive=True, covers=("SVC0002",))  # fmt: skip
def split_percentages(ctx: Any) -> None:
    a, b = _two_funded(ctx)
    _refused_without_change(
        ctx, a, lambda: ctx.pay.chargeSplitAmount([(a.address, 50), (b.address, 40)], ctx.charge(a, ctx.small(a, 10)), ctx.ref()),
        "SVC0002",
    )  # fmt: skip


@tp("PAY/SPL/BI-02", "Too many payers are refused",
    clause=f"{AMT}.chargeSplitAmount; {PX1} POL0003 (Too many addresses)",
    pre="A funded test account",
    stimulus=f"chargeSplitAmount({SPLIT_PAYERS_TOO_MANY} shares summing to 100, amount, ref)",
    expected="PolicyException POL0003; nothing is charged",
    destructive=True, covers=("POL0003",))  # fmt: skip
def split_too_many(ctx: Any) -> None:
    a = ctx.account("funded")
    shares = [(a.address, 9)] * (SPLIT_PAYERS_TOO_MANY - 1)
    shares.append((a.address, 100 - 9 * len(shares)))
    _refused_without_change(
        ctx,
        a,
        lambda: ctx.pay.chargeSplitAmount(shares, ctx.charge(a, ctx.small(a, 10)), ctx.ref()),
        "POL0003",
    )


@tp("PAY/SPL/BI-03", "A split is all or nothing",
    clause=f"{AMT}.chargeSplitAmount (one purchase, all payers or none)",
    pre="A funded test account and a suspended one",
    stimulus="chargeSplitAmount([{funded, 50}, {suspended, 50}], amount, ref)",
    expected="PolicyException POL1010; the funded account is not charged",
    destructive=True, covers=("chargeSplitAmount", "POL1010"))  # fmt: skip
def split_atomic(ctx: Any) -> None:
    a, s = ctx.account("funded"), ctx.account("suspended")
    if s.currency and s.currency != a.currency:
        raise Inconclusive("the suspended test account has another currency")
    _refused_without_change(
        ctx, a, lambda: ctx.pay.chargeSplitAmount([(a.address, 50), (s.address, 50)], ctx.charge(a, ctx.small(a, 10)), ctx.ref()),
        "POL1010",
    )  # fmt: skip
