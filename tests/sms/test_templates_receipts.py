"""Receipt parsing and the subscriber templates (pure functions and files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scf.sms.outbox import address_status
from scf.sms.templates import DEFAULT_TEMPLATES, TemplateError, Templates, fields_of
from smpp.receipts import message_id_candidates, parse_receipt


@pytest.mark.parametrize(
    ("text", "tlv_id", "tlv_state", "expected"),
    [
        (
            "id:abc123 sub:001 dlvrd:001 submit date:2601021530 done date:2601021531 stat:DELIVRD err:000 Text:hi there",
            None,
            None,
            ("abc123", "DELIVRD", "000", "delivered"),
        ),
        (
            "id:99 sub:001 dlvrd:000 submit date:260102153045 done date:260102153100 stat:UNDELIV err:012 text:",
            None,
            None,
            ("99", "UNDELIV", "012", "failed"),
        ),
        (
            "ID:7 SUB:1 DLVRD:1 SUBMIT DATE:2601021530 DONE DATE:2601021530 STAT:expired ERR:0",
            None,
            None,
            ("7", "EXPIRED", "0", "failed"),
        ),
        ("stat:DELIVRD", "tlv-id", None, ("tlv-id", "DELIVRD", "", "delivered")),
        ("id:1 stat:DELIVRD", None, 5, ("1", "UNDELIV", "", "failed")),  # the TLV wins
        ("id:1 stat:ENROUTE err:0", None, None, ("1", "ENROUTE", "0", "submitted")),
        ("id:1 stat:UNKNOWN", None, None, ("1", "UNKNOWN", "", "uncertain")),
        ("id:1 stat:DELIVRD Text:stat:UNDELIV id:2", None, None, ("1", "DELIVRD", "", "delivered")),
    ],
)
def test_parse_receipt(text, tlv_id, tlv_state, expected) -> None:
    r = parse_receipt(text, tlv_id, tlv_state)
    assert (r.message_id, r.stat, r.err, r.part_state) == expected


def test_receipt_without_id() -> None:
    assert parse_receipt("stat:DELIVRD err:0") is None


def test_hex_and_decimal_ids_match() -> None:
    assert "ff" in message_id_candidates("255") and "255" in message_id_candidates("FF")


@pytest.mark.parametrize(
    ("states", "status"),
    [
        (["queued", "submitted"], "MessageWaiting"),
        (["submitted", "delivered"], "DeliveredToNetwork"),
        (["delivered", "delivered"], "DeliveredToTerminal"),
        (["delivered", "failed"], "DeliveryImpossible"),
        (["queued", "failed"], "DeliveryImpossible"),
        (["delivered", "uncertain"], "DeliveryUncertain"),
    ],
)
def test_address_status_needs_all_parts(states, status) -> None:
    assert address_status(states) == status


def test_defaults_have_korean_and_english() -> None:
    for kind, langs in DEFAULT_TEMPLATES.items():
        assert {"ko", "en"} <= langs.keys(), kind


def test_override_file_reloads_and_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    templates = Templates(path)
    assert templates.render("low_balance", "ko", balance="10", currency="원").startswith(
        "[micropay]"
    )
    path.write_text('[low_balance]\nko = "잔액 {balance}"\n', encoding="utf-8")
    assert templates.render("low_balance", "ko", balance="10", currency="원") == "잔액 10"
    assert templates.render("low_balance", "ko-KR", balance="10") == "잔액 10"
    assert "balance is low" in templates.render("low_balance", "fr", balance="1", currency="EUR")
    path.write_text("not toml [", encoding="utf-8")
    assert templates.render("low_balance", "ko", balance="1", currency="원").startswith(
        "[micropay]"
    )
    with pytest.raises(TemplateError):
        templates.render("no_such_kind", "ko")
    with pytest.raises(TemplateError):
        templates.render("payment_details", "en", amount="1")
    assert fields_of("{a} and {b}") == {"a", "b"}
