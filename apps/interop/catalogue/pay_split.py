"""Payment: chargeSplitAmount (Parlay X 3.0, ES 202 504-6): one purchase, several payers."""

from __future__ import annotations

from typing import Any

from apps.interop.catalogue.common import PX1, PX6, refused_without_change
from apps.interop.model import Inconclusive, tp

AMT = f"{PX6} AmountCharging"
SPLIT_PAYERS_TOO_MANY = 11


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
    refused_without_change(
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
    refused_without_change(
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
    refused_without_change(
        ctx, a, lambda: ctx.pay.chargeSplitAmount([(a.address, 50), (s.address, 50)], ctx.charge(a, ctx.small(a, 10)), ctx.ref()),
        "POL1010",
    )  # fmt: skip
