"""The payment procedure's state table, its eligibility check and the refusals it shows."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from apps.micropay import amounts, identifiers, shown, texts
from apps.micropay.procedure import (
    IN_FLIGHT,
    PAID,
    PAYABLE,
    TRANSITIONS,
    AccountStatus,
    Event,
    IllegalMove,
    State,
    balance_fell_under,
    eligibility,
    step,
)
from apps.micropay.refusals import _FIGURES, MESSAGE_IDS, Reason, Refusal

D = Decimal


# -- the state table ------------------------------------------------------------------------------
def test_the_one_step_procedure_walks_idle_to_notified() -> None:
    state = State.IDLE
    for event in (Event.ENTER_ACCOUNT, Event.ELIGIBLE, Event.CHARGE, Event.CHARGED, Event.NOTIFY):
        state = step(state, event)
    assert state is State.NOTIFIED


def test_the_two_step_procedure_reserves_then_charges_on_shipment() -> None:
    state = State.IDLE
    for event in (Event.ENTER_ACCOUNT, Event.ELIGIBLE, Event.RESERVE, Event.RESERVED):
        state = step(state, event)
    assert state is State.RESERVED
    assert step(step(state, Event.SHIP), Event.CHARGED) is State.CHARGED
    assert step(state, Event.CANCEL) is State.RELEASED


@pytest.mark.parametrize("state", [State.ACCOUNT_ENTERED, State.CHARGING, State.RESERVING])
def test_a_refusal_goes_back_to_a_payable_state(state: State) -> None:
    assert step(state, Event.REFUSE) in PAYABLE
    assert step(step(state, Event.REFUSE), Event.ENTER_ACCOUNT) is State.ACCOUNT_ENTERED


def test_a_refused_capture_keeps_the_hold() -> None:
    assert step(State.CAPTURING, Event.REFUSE) is State.RESERVED


def test_every_move_not_in_the_table_is_illegal() -> None:
    illegal = [(s, e) for s in State for e in Event if (s, e) not in TRANSITIONS]
    assert len(illegal) == len(State) * len(Event) - len(TRANSITIONS)
    for state, event in illegal:
        with pytest.raises(IllegalMove):
            step(state, event)


def test_money_never_moves_twice_for_one_order() -> None:
    """No path from a paid state leads back to charging: once charged, an order stays paid --
    or is refunded, for good."""
    reachable = set(PAID)
    frontier = list(PAID)
    while frontier:
        state = frontier.pop()
        for (source, _event), target in TRANSITIONS.items():
            if source is state and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == {*PAID, State.REFUNDED}
    assert not [e for (s, e) in TRANSITIONS if s is State.REFUNDED]  # nothing after a refund
    assert not (IN_FLIGHT & PAYABLE)


def test_every_state_is_reachable_from_idle() -> None:
    seen, frontier = {State.IDLE}, [State.IDLE]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is state and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(State)


def test_every_state_has_words_for_the_screens() -> None:
    # the operator view shows each order's state in words: a state without them broke the page
    assert set(shown.ORDER_STATES) == set(State)
    assert shown.order_state("awaiting_code") == "waiting for the SMS code"


# -- eligibility ----------------------------------------------------------------------------------
ACTIVE = AccountStatus(
    end_user="acct:1",
    registered=True,
    state="Active",
    currency="KRW",
    balance=D(10000),
    monthly_limit=D(50000),
    month_to_date_spend=D(45000),
    transaction_limit=D(8000),
    low_balance_threshold=D(3000),
)


def with_(**changes: object) -> AccountStatus:
    return AccountStatus(**{**ACTIVE.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "amount", "reason"),
    [
        (AccountStatus("acct:9", False, "Unregistered"), D(1), Reason.UNREGISTERED),
        (with_(currency="USD"), D(1), Reason.CURRENCY),
        (with_(state="Closed"), D(1), Reason.CLOSED),
        (with_(state="Suspended"), D(1), Reason.SUSPENDED),
        (with_(state="Expired", valid_until="2026-06-01T15:00:00Z"), D(1), Reason.EXPIRED),
        (ACTIVE, D(8001), Reason.TRANSACTION_LIMIT),
        (ACTIVE, D(5001), Reason.MONTHLY_LIMIT),
        (with_(balance=D(100)), D(101), Reason.INSUFFICIENT_BALANCE),
        # the ledger's order: suspended before expired, per-payment before monthly before balance
        (with_(state="Suspended", balance=D(0)), D(1), Reason.SUSPENDED),
        (with_(balance=D(0)), D(9000), Reason.TRANSACTION_LIMIT),
        (with_(balance=D(0)), D(6000), Reason.MONTHLY_LIMIT),
    ],
)
def test_eligibility_refuses_in_the_ledgers_order(
    status: AccountStatus, amount: Decimal, reason: Reason
) -> None:
    refusal = eligibility(status, amount, "KRW")
    assert refusal is not None and refusal.reason is reason


def test_an_account_with_a_pin_is_refused_without_one() -> None:
    """Parlay X Payment carries no PIN: the application must ask for it where the account has
    one, or a lost card number alone would pay."""
    locked = with_(pin_required=True)
    refusal = eligibility(locked, D(1), "KRW", pin_given=False)
    assert refusal is not None and refusal.reason is Reason.PIN_REQUIRED
    assert eligibility(locked, D(1), "KRW", pin_given=True) is None
    assert eligibility(ACTIVE, D(1), "KRW", pin_given=False) is None


def test_eligible_at_exactly_each_limit() -> None:
    assert eligibility(ACTIVE, D(5000), "KRW") is None
    assert eligibility(with_(balance=D(5000), month_to_date_spend=D(0)), D(5000), "KRW") is None
    unlimited = with_(monthly_limit=None, transaction_limit=None, month_to_date_spend=None)
    assert eligibility(unlimited, D(10000), "KRW") is None


def test_the_refusal_text_names_the_figures() -> None:
    monthly = eligibility(ACTIVE, D(6000), "KRW")
    assert monthly is not None
    assert monthly.text() == (
        "This payment of ₩6,000 would pass the monthly limit: ₩45,000 of ₩50,000 spent this "
        "month, ₩5,000 left."
    )
    per_payment = eligibility(ACTIVE, D(9000), "KRW")
    assert per_payment is not None
    assert per_payment.text() == "₩9,000 is over this account's limit of ₩8,000 per payment."
    expired = eligibility(with_(state="Expired", valid_until="2026-06-01T15:00:00Z"), D(1), "KRW")
    assert expired is not None and expired.text() == "This account expired on 2026-06-01."


def test_balance_sms_is_due_only_under_the_threshold() -> None:
    assert balance_fell_under(D(3000), D(2999))
    assert not balance_fell_under(D(3000), D(3000))
    assert not balance_fell_under(None, D(0))


# -- refusals from the gateway's faults ------------------------------------------------------------
def test_faults_read_as_the_gateway_sends_them() -> None:
    refusal = Refusal.from_fault("POL1000", ["1200", "1500", "KRW"])
    assert refusal.reason is Reason.INSUFFICIENT_BALANCE
    assert refusal.text() == "Not enough balance: ₩1,200 available, ₩1,500 needed."
    assert Refusal.from_fault("SVC0250", []).text() == "The PIN is wrong."
    assert Refusal.from_fault("SVC9999", []).reason is Reason.ERROR


def test_the_variables_read_are_the_ones_the_fault_table_sends() -> None:
    """The positions the shop reads are those of scf/common/faults.py, the one fault table."""
    from scf.common.faults import FAULT_TABLE

    by_id = {spec.message_id: spec for spec in FAULT_TABLE}
    for message_id, names in _FIGURES.items():
        sent = [
            re.sub(r"(?<!^)([A-Z])", r"_\1", v.name).lower() for v in by_id[message_id].variables
        ]
        assert list(names) == sent, message_id
    for message_id in MESSAGE_IDS:
        assert message_id in by_id or message_id == "SVC1000", message_id


# -- what users type, what they read ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "end_user"),
    [
        ("1001", "acct:1001"),
        (" 1001 ", "acct:1001"),
        ("acct:AB-7", "acct:AB-7"),
        ("010-1111-0001", "tel:+821011110001"),
        ("+82 10 1111 0001", "tel:+821011110001"),
        ("tel:+821011110001", "tel:+821011110001"),
        ("tel:01011110001", "tel:+821011110001"),
        ("+82 010 1111 0001", "tel:+821011110001"),  # the trunk 0 kept after the country code
        ("099-1234-5678", None),  # no valid number, though it looks like one
        ("+8212345678901", None),
        ("0001", "acct:0001"),
        ("tel:12", None),
        ("10 01", None),
        ("", None),
        ("<script>", None),
    ],
)
def test_account_number_or_mobile_number(typed: str, end_user: str | None) -> None:
    assert identifiers.end_user(typed, "82") == end_user


def test_account_numbers_never_look_like_options() -> None:
    assert identifiers.is_account_number("1001")
    for bad in ("--help", "-1", "", "a b", "x" * 33):
        assert not identifiers.is_account_number(bad)


def test_sms_texts_mirror_the_gateways_templates() -> None:
    from scf.sms.templates import DEFAULT_TEMPLATES

    for kind in texts.MIRRORED:
        assert texts.TEMPLATES[kind] == DEFAULT_TEMPLATES[kind], kind


def test_sms_texts_need_their_fields() -> None:
    with pytest.raises(texts.TextError):
        texts.render("low_balance", "en", balance="1")
    assert texts.render("help", "ko-KR", short_code="1555").startswith("[micropay] 1555로 보내세요")


def test_sms_commands_parse_in_both_languages() -> None:
    from apps.micropay.sms_commands import parse

    assert parse("stop") == parse("STOP") and parse("STOP").name == "STOP"
    assert (parse("분실").name, parse("분실").lang) == ("STOP", "ko")
    assert parse("재개 1234").args == ("1234",) and parse("RESUME 1234").lang == "en"
    assert parse("한도 30,000").args == ("30,000",) and parse("LIMIT 80000 1234").name == "LIMIT"
    assert parse("인증 해제").name == "OTP" and parse("ALERT off").name == "ALERT"
    assert parse("내역").name == "HIST" and parse("도움말").name == "HELP"
    for malformed in ("RESUME", "RESUME abcd", "LIMIT", "LIMIT lots", "LIMIT 5 12", "OTP",
                      "STOP now", "hello", "", "BAL BAL"):  # fmt: skip
        assert parse(malformed).name == "", malformed
    assert parse("안녕").lang == "ko" and parse("hello").lang is None


def test_amounts_are_exact() -> None:
    assert amounts.text(D("1500.00")) == "1500"
    assert amounts.text(D("12.50")) == "12.5"
    assert amounts.show(D(1500), "KRW") == "₩1,500"
    assert amounts.show(D("12.5"), "USD") == "$12.50"
    assert amounts.parse_user("10,000", "KRW") == D(10000)
    for bad in ("0", "-5", "1.5", "abc", "NaN"):
        with pytest.raises(amounts.AmountError):
            amounts.parse_user(bad, "KRW")
