"""Account Management: recharges -- balanceUpdate and voucherUpdate (TS 29.199-7 §8.1.3-8.1.4).

A recharge credits a test account; the harness charges the same amount back afterwards (so the
balance ends where it began; the month's spend moves by that small amount).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apps.interop import money
from apps.interop.catalogue.common import MICROPAY_FAULTS, PX1, PX7
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

REC = f"{PX7} §8.1.3 balanceUpdate"
VOU = f"{PX7} §8.1.4 voucherUpdate"


def _balance_type(ctx: Any, account: Any) -> str:
    types = ctx.am.getBalanceTypes(account.address, "")
    assert types, "getBalanceTypes returned nothing"
    return types[0]


def _update(
    ctx: Any, account: Any, amount: str, ref: str, period: int | None = None, balance_type: str = ""
) -> None:
    ctx.am.balanceUpdate(account.address, "", ref, balance_type or _balance_type(ctx, account),
                         amount, ctx.currency(account), period)  # fmt: skip


@tp("AM/REC/BV-01", "balanceUpdate credits the account",
    clause=REC,
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(account, '', ref, its balance type, a small amount, no period)",
    expected="The reported balance rises by exactly that amount (charged back afterwards)",
    destructive=True, covers=("balanceUpdate",))  # fmt: skip
def recharge(ctx: Any) -> None:
    account = ctx.account("funded")
    amount = ctx.small(account)
    moved = ctx.delta(
        account, lambda: _update(ctx, account, money.text(amount, ctx.currency(account)), ctx.ref())
    )
    assert moved == amount, f"the balance moved by {moved}, expected +{amount}"


@tp("AM/REC/BV-02", "A repeated balanceUpdate credits once",
    clause=f"{REC} (referenceCode 'to uniquely identify the request'); micropay idempotency",
    pre="A funded prepaid test account",
    stimulus="The same balanceUpdate (same referenceCode and content) twice",
    expected="Both accepted; the balance rises once",
    destructive=True, covers=("balanceUpdate",))  # fmt: skip
def recharge_twice(ctx: Any) -> None:
    account = ctx.account("funded")
    amount, ref = ctx.small(account), ctx.ref()
    text = money.text(amount, ctx.currency(account))

    def twice() -> None:
        _update(ctx, account, text, ref)
        _update(ctx, account, text, ref)

    moved = ctx.delta(account, twice)
    assert moved == amount, f"the balance moved by {moved}, expected +{amount} once"


@tp("AM/REC/BV-03", "balanceUpdate with a period keeps the balance valid that long",
    clause=f"{REC} (period: 'The balance is requested to expire in the number of days indicated')",
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(account, ..., a small amount, period 30), then getCreditExpiryDate",
    expected="No expiry, or an expiry at least 29 days from now",
    destructive=True, covers=("balanceUpdate", "getCreditExpiryDate"))  # fmt: skip
def recharge_period(ctx: Any) -> None:
    account = ctx.account("funded")
    _update(
        ctx, account, money.text(ctx.small(account), ctx.currency(account)), ctx.ref(), period=30
    )
    for _, date in ctx.am.getCreditExpiryDate(account.address, ""):
        if date:
            moment = datetime.fromisoformat(date.replace("Z", "+00:00"))
            assert moment >= datetime.now(UTC) + timedelta(days=29), f"expires {date}"


@tp("AM/REC/BI-01", "balanceUpdate of a postpaid account is refused",
    clause=f"{REC}; {PX1} SVC0002 (Account Management recharges prepaid balances, §4)",
    pre="A postpaid test account (profile kind = postpaid)",
    stimulus="balanceUpdate(account, ..., a small amount)",
    expected="ServiceException SVC0002",
    destructive=True, covers=("SVC0002",))  # fmt: skip
def recharge_postpaid(ctx: Any) -> None:
    account = ctx.account("postpaid")
    text = money.text(ctx.small(account), ctx.currency(account))
    expect_refusal(lambda: _update(ctx, account, text, ctx.ref()), "SVC0002")


@tp("AM/REC/BI-02", "balanceUpdate of an unknown balance type is refused",
    clause=f"{REC} (balanceType); SVC0002",
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(account, ..., balanceType 'IOP_NO_SUCH_TYPE', a small amount)",
    expected="ServiceException SVC0002 naming balanceType",
    destructive=True, covers=("SVC0002",))  # fmt: skip
def recharge_type(ctx: Any) -> None:
    account = ctx.account("funded")
    text = money.text(ctx.small(account), ctx.currency(account))
    expect_refusal(
        lambda: _update(ctx, account, text, ctx.ref(), balance_type="IOP_NO_SUCH_TYPE"),
        "SVC0002", part="balanceType",
    )  # fmt: skip


@tp("AM/REC/BI-03", "balanceUpdate of a closed account is refused",
    clause=f"{REC}; {MICROPAY_FAULTS} POL1102",
    pre="A closed test account",
    stimulus="balanceUpdate(account, ..., a small amount)",
    expected="PolicyException POL1102",
    destructive=True, covers=("POL1102",))  # fmt: skip
def recharge_closed(ctx: Any) -> None:
    account = ctx.account("closed")
    currency = ctx.currency(account) if account.currency else "KRW"
    expect_refusal(
        lambda: ctx.am.balanceUpdate(account.address, "", ctx.ref(), "MICROPAY",
                                     money.text(money.unit(currency) * 10, currency), currency, None),
        "POL1102",
    )  # fmt: skip


@tp("AM/REC/BI-04", "A referenceCode reused for another recharge is refused",
    clause=f"{REC} ('it is the application's responsibility to provide a unique reference "
           f"code'); {MICROPAY_FAULTS} SVC1102",
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(ref R, amount A), then balanceUpdate(ref R, amount 2A)",
    expected="ServiceException SVC1102; the balance rose by A only",
    destructive=True, covers=("SVC1102",))  # fmt: skip
def recharge_reused(ctx: Any) -> None:
    account = ctx.account("funded")
    currency, ref, amount = ctx.currency(account), ctx.ref(), ctx.small(account)
    _update(ctx, account, money.text(amount, currency), ref)
    expect_refusal(lambda: _update(ctx, account, money.text(amount * 2, currency), ref), "SVC1102")


@tp("AM/REC/BI-05", "balanceUpdate of a zero amount is refused",
    clause=f"{REC}; {PX1} SVC0007 (Invalid charging information)",
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(account, ..., amount 0)",
    expected="ServiceException SVC0007",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def recharge_zero(ctx: Any) -> None:
    account = ctx.account("funded")
    expect_refusal(lambda: _update(ctx, account, "0", ctx.ref()), "SVC0007")


@tp("AM/REC/BI-06", "balanceUpdate with more decimals than the currency has is refused",
    clause=f"{REC}; {PX1} SVC0007; docs/idl-mapping.md (money is exact)",
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(account, ..., an amount one decimal finer than the currency)",
    expected="ServiceException SVC0007 (never rounded)",
    destructive=True, covers=("SVC0007",))  # fmt: skip
def recharge_precision(ctx: Any) -> None:
    account = ctx.account("funded")
    finer = money.finer(money.text(ctx.small(account), ctx.currency(account)))
    expect_refusal(lambda: _update(ctx, account, finer, ctx.ref()), "SVC0007")


@tp("AM/REC/BI-07", "balanceUpdate of an unregistered end user is refused",
    clause=f"{REC}; POL1009",
    pre="A test address without an account",
    stimulus="balanceUpdate(address, '', ref, 'MICROPAY', 10)",
    expected="PolicyException POL1009",
    destructive=True, covers=("POL1009",))  # fmt: skip
def recharge_unregistered(ctx: Any) -> None:
    address = ctx.account("unregistered").address
    expect_refusal(
        lambda: ctx.am.balanceUpdate(address, "", ctx.ref(), "MICROPAY", "10", "KRW", None),
        "POL1009",
    )


# -- vouchers -----------------------------------------------------------------------------------
@tp("AM/VOU/BV-01", "voucherUpdate redeems a voucher once",
    clause=VOU,
    pre="A funded prepaid test account and an issued voucher not redeemed yet (profile [[voucher]])",
    stimulus="voucherUpdate(account, '', ref, voucher id, voucher PIN)",
    expected="The balance rises (by the voucher's value; charged back afterwards)",
    destructive=True, covers=("voucherUpdate",))  # fmt: skip
def voucher(ctx: Any) -> None:
    account = ctx.account("funded")
    if not ctx.profile.vouchers:
        raise Inconclusive("no voucher in the profile ([[voucher]] id, pin)")
    refused = []
    for v in ctx.profile.vouchers:  # one an earlier run redeemed is refused: try the next
        try:
            credit = ctx.am.voucherUpdate(
                account.address, "", ctx.ref(), v.id, v.pin, ctx.currency(account)
            )
        except Refusal as refusal:
            if refusal.name != "SVC0251":
                raise
            refused.append(v.id)
            continue
        ctx.redeemed = v
        assert credit > 0, f"the balance moved by {credit}"
        ctx.note(
            f"voucher {v.id} credited {credit:f}" + (f"; not valid: {refused}" if refused else "")
        )
        return
    raise Inconclusive(
        f"every voucher of the profile was refused as not valid (SVC0251: {', '.join(refused)}):"
        " redeemed by an earlier run, or expired; issue fresh ones (micropay voucher issue)"
    )


@tp("AM/VOU/BI-01", "An unknown voucher is refused",
    clause=f"{VOU}; {PX7} §9 SVC0251 (Voucher %1 is not valid)",
    pre="A funded prepaid test account",
    stimulus="voucherUpdate(account, '', ref, a made-up voucher id, '')",
    expected="ServiceException SVC0251 naming the voucher",
    destructive=True, covers=("SVC0251",))  # fmt: skip
def voucher_unknown(ctx: Any) -> None:
    account = ctx.account("funded")
    made_up = f"IOP-{ctx.run_id}-NONE"
    refusal = expect_refusal(
        lambda: ctx.am.voucherUpdate(
            account.address, "", ctx.ref(), made_up, "", ctx.currency(account)
        ),
        "SVC0251",
    )
    named = refusal.variable("voucherIdentifier", 0)
    assert named == made_up, f"SVC0251 names {named!r}, not the voucher {made_up!r}"


@tp("AM/VOU/BI-02", "A voucher cannot be redeemed twice",
    clause=f"{VOU}; SVC0251",
    pre="A voucher redeemed by AM/VOU/BV-01 in this run",
    stimulus="voucherUpdate(account, '', a new ref, the same voucher, its PIN)",
    expected="ServiceException SVC0251",
    destructive=True, covers=("SVC0251",))  # fmt: skip
def voucher_twice(ctx: Any) -> None:
    v = getattr(ctx, "redeemed", None)
    if v is None:
        raise Inconclusive("no voucher was redeemed in this run (AM/VOU/BV-01)")
    account = ctx.account("funded")
    expect_refusal(
        lambda: ctx.am.voucherUpdate(
            account.address, "", ctx.ref(), v.id, v.pin, ctx.currency(account)
        ),
        "SVC0251",
    )


@tp("AM/VOU/BI-03", "Vouchers on a postpaid account are refused",
    clause=f"{VOU}; {PX7} §9 POL0220 (Vouchers not accepted); §10 VouchersAccepted",
    pre="A postpaid test account",
    stimulus="voucherUpdate(account, '', ref, a voucher id, '')",
    expected="PolicyException POL0220",
    destructive=True, covers=("POL0220",))  # fmt: skip
def voucher_postpaid(ctx: Any) -> None:
    account = ctx.account("postpaid")
    expect_refusal(
        lambda: ctx.am.voucherUpdate(account.address, "", ctx.ref(), f"IOP-{ctx.run_id}-V", "", ""),
        "POL0220",
    )


@tp("AM/VOU/BI-04", "A referenceCode already used is refused for a voucher",
    clause=f"{VOU} (referenceCode); {MICROPAY_FAULTS} SVC1102",
    pre="A funded prepaid test account",
    stimulus="balanceUpdate(ref R, a small amount), then voucherUpdate(ref R, a voucher id and PIN)",
    expected="ServiceException SVC1102",
    destructive=True, covers=("SVC1102",))  # fmt: skip
def voucher_reused_ref(ctx: Any) -> None:
    account = ctx.account("funded")
    ref = ctx.ref()
    _update(ctx, account, money.text(ctx.small(account), ctx.currency(account)), ref)
    expect_refusal(
        lambda: ctx.am.voucherUpdate(
            account.address, "", ref, f"IOP-{ctx.run_id}-V", "000000", ctx.currency(account)
        ),
        "SVC1102",
    )


@tp("AM/REC/BI-08", "A recharge above the application's per-recharge cap is refused",
    clause=f"{REC}; {MICROPAY_FAULTS} POL1106 (grants: the operator caps what an application "
    "may recharge)",
    pre="A funded prepaid test account; the application's cap (profile [grants] recharge_cap)",
    stimulus="balanceUpdate(account, ..., the cap plus one minor unit)",
    expected="PolicyException POL1106; the balance is unchanged",
    destructive=True, covers=("POL1106",))  # fmt: skip
def recharge_over_cap(ctx: Any) -> None:
    cap = ctx.profile.grants.get("recharge_cap")
    if cap is None:
        raise Inconclusive("the application's recharge cap is not in the profile ([grants])")
    account = ctx.account("funded")
    currency = ctx.currency(account)
    over = money.text(money.decimal(str(cap)) + money.unit(currency), currency)
    moved = ctx.delta(
        account,
        lambda: expect_refusal(lambda: _update(ctx, account, over, ctx.ref()), "POL1106"),
    )
    assert moved == 0, f"the balance moved by {moved}"


@tp("AM/REC/BI-09", "A recharge the application's float cannot cover is refused",
    clause=f"{REC}; {MICROPAY_FAULTS} POL1107 (grants: a recharge is paid from the "
    "application's top-up float)",
    pre="A funded prepaid test account; an application granted recharge with an empty float "
    "(profile [restricted])",
    stimulus="That application's balanceUpdate(account, ..., a small amount)",
    expected="PolicyException POL1107; the balance is unchanged",
    destructive=True, covers=("POL1107",))  # fmt: skip
def recharge_unfunded(ctx: Any) -> None:
    account = ctx.account("funded")
    peer = ctx.face("P_ACCOUNT_MANAGEMENT", "restricted")
    amount = money.text(ctx.small(account), ctx.currency(account))
    types = peer.getBalanceTypes(account.address, "")
    moved = ctx.delta(
        account,
        lambda: expect_refusal(
            lambda: peer.balanceUpdate(account.address, "", ctx.ref(), types[0], amount,
                                       ctx.currency(account), None),
            "POL1107",
        ),
    )  # fmt: skip
    assert moved == 0, f"the balance moved by {moved}"


@tp("AM/VOU/BI-05", "voucherUpdate by an application not granted vouchers is refused",
    clause=f"{VOU}; {MICROPAY_FAULTS} POL1105 (grants: Account Management is read-only until "
    "the operator grants more)",
    pre="A funded prepaid test account; an application not granted vouchers (profile "
    "[restricted])",
    stimulus="That application's voucherUpdate(account, '', ref, a made-up voucher, '')",
    expected="PolicyException POL1105, before anything about the voucher or the account",
    destructive=True, covers=("POL1105",))  # fmt: skip
def voucher_not_granted(ctx: Any) -> None:
    account = ctx.account("funded")
    peer = ctx.face("P_ACCOUNT_MANAGEMENT", "restricted")
    expect_refusal(
        lambda: peer.voucherUpdate(account.address, "", ctx.ref(), f"IOP-{ctx.run_id}-NONE", "",
                                   ctx.currency(account)),
        "POL1105",
    )  # fmt: skip


@tp("AM/SLF/BI-01", "the self-care extension by an application not granted selfcare is refused",
    clause=f"{MICROPAY_FAULTS} POL1105 (grants: only the operator's self-care application acts "
    "for the subscriber: suspendAccount, resumeAccount, changeMonthlyLimit, setThreshold)",
    pre="A funded prepaid test account; an application not granted selfcare (profile "
    "[restricted])",
    stimulus="That application's suspendAccount, resumeAccount, changeMonthlyLimit(account, '', "
    "1000) and setThreshold(account, '', PaymentConfirmation, 0)",
    expected="PolicyException POL1105 for each, before anything about the account; the account "
    "stays as it was",
    covers=("suspendAccount", "resumeAccount", "changeMonthlyLimit", "setThreshold",
            "SuspendAccount", "ResumeAccount", "ChangeMonthlyLimit", "SetThreshold"))  # fmt: skip
def selfcare_not_granted(ctx: Any) -> None:
    account = ctx.account("funded")
    peer = ctx.face("P_ACCOUNT_MANAGEMENT", "restricted")
    currency = ctx.currency(account)
    for call in (
        lambda: peer.suspendAccount(account.address, ""),
        lambda: peer.resumeAccount(account.address, ""),
        lambda: peer.changeMonthlyLimit(account.address, "", "1000", currency),
        lambda: peer.setThreshold(account.address, "", "PaymentConfirmation", "0", currency),
    ):
        expect_refusal(call, "POL1105")
