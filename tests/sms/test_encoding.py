"""The codec case table, run in both directions: text -> parts (exact octets) -> text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smpp.encoding import (
    DATA_CODING_GSM,
    DATA_CODING_UCS2,
    ESM_CLASS_UDHI,
    decode_part,
    encode_message,
    join_payloads,
    parse_udh,
)
from smpp.errors import EmptyMessage, MessageTooLong

REF = 0x2A


def udh(total: int, seq: int) -> str:
    return f"0500032a{total:02x}{seq:02x}"


GSM, UCS2 = DATA_CODING_GSM, DATA_CODING_UCS2
# name, text, data_coding, the exact short_message of each part (hex)
CASES = [
    ("ascii", "Hello", GSM, ["48656c6c6f"]),
    ("gsm basic non-ascii", "@£$¥èé", GSM, ["000102030405"]),
    ("escape char", "€", GSM, ["1b65"]),
    ("all escapes", "^{}\\[~]|€", GSM, ["1b141b281b291b2f1b3c1b3d1b3e1b401b65"]),
    ("160 septets fit", "a" * 160, GSM, ["61" * 160]),
    ("80 escapes fit", "€" * 80, GSM, ["1b65" * 80]),
    ("161 septets split", "a" * 161, GSM, [udh(2, 1) + "61" * 153, udh(2, 2) + "61" * 8]),
    (
        "escape never cut",
        "a" * 152 + "€" + "a" * 10,
        GSM,
        [udh(2, 1) + "61" * 152, udh(2, 2) + "1b65" + "61" * 10],
    ),
    (
        "81 escapes split",
        "€" * 81,
        GSM,
        [udh(2, 1) + "1b65" * 76, udh(2, 2) + "1b65" * 5],
    ),
    ("korean", "안녕", UCS2, ["c548b155"]),
    ("lower c cedilla is not GSM", "ç", UCS2, ["00e7"]),
    (
        "mixed falls to UCS-2",
        "price 1000원",
        UCS2,
        ["0070007200690063006500200031003000300030c6d0"],
    ),
    ("70 units fit", "가" * 70, UCS2, ["ac00" * 70]),
    ("71 units split 67+4", "가" * 71, UCS2, [udh(2, 1) + "ac00" * 67, udh(2, 2) + "ac00" * 4]),
    ("35 emoji fit", "😀" * 35, UCS2, ["d83dde00" * 35]),
    (
        "surrogate pair never cut",
        "가" * 66 + "😀" + "가" * 10,
        UCS2,
        [udh(2, 1) + "ac00" * 66, udh(2, 2) + "d83dde00" + "ac00" * 10],
    ),
    (
        "three parts",
        "나" * 150,
        UCS2,
        [udh(3, 1) + "b098" * 67, udh(3, 2) + "b098" * 67, udh(3, 3) + "b098" * 16],
    ),
]


@pytest.mark.parametrize(("name", "text", "coding", "parts"), CASES, ids=[c[0] for c in CASES])
def test_encode(name: str, text: str, coding: int, parts: list[str]) -> None:
    encoded = encode_message(text, REF)
    assert encoded.data_coding == coding
    assert [p.short_message.hex() for p in encoded.parts] == parts
    for part in encoded.parts:
        assert len(part.short_message) <= (160 if coding == GSM else 140)
        assert part.esm_class == (ESM_CLASS_UDHI if len(parts) > 1 else 0)


@pytest.mark.parametrize(("name", "text", "coding", "parts"), CASES, ids=[c[0] for c in CASES])
def test_decode(name: str, text: str, coding: int, parts: list[str]) -> None:
    esm = ESM_CLASS_UDHI if len(parts) > 1 else 0
    decoded = [decode_part(bytes.fromhex(p), coding, esm) for p in parts]
    if len(parts) > 1:
        assert [c.seq for c, _ in decoded] == list(range(1, len(parts) + 1))
        assert {(c.ref, c.total) for c, _ in decoded} == {(REF, len(parts))}
    assert join_payloads([payload for _, payload in decoded], coding) == text
    # each part also decodes on its own (nothing was cut in the middle of a character)
    pieces = [join_payloads([payload], coding) for _, payload in decoded]
    assert "".join(pieces) == text


def test_udh_16bit_reference_and_other_ies() -> None:
    # a port-addressing IE (0x05) first, then a 16-bit concatenation IE (0x08)
    data = bytes.fromhex("0c05040b8423f0080412340302") + b"hi"
    concat, payload = parse_udh(data)
    assert (concat.ref, concat.total, concat.seq) == (0x1234, 3, 2)
    assert payload == b"hi"


def test_udh_cut_short_is_not_a_crash() -> None:
    concat, payload = parse_udh(bytes.fromhex("0500"))
    assert concat is None and payload == b""


def test_empty_and_too_long() -> None:
    with pytest.raises(EmptyMessage):
        encode_message("", 1)
    with pytest.raises(MessageTooLong) as err:
        encode_message("a" * 11, 1, length_max=10)
    assert err.value.variables["max_length"] == "10"
    encode_message("a" * 10, 1, length_max=10)


def test_more_than_255_parts_is_too_long() -> None:
    with pytest.raises(MessageTooLong):
        encode_message("a" * (153 * 255 + 1), 1)
    assert len(encode_message("a" * (153 * 255), 1).parts) == 255


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_any_text_round_trips(text: str) -> None:
    encoded = encode_message(text, 7)
    esm = ESM_CLASS_UDHI if len(encoded.parts) > 1 else 0
    payloads = []
    for part in encoded.parts:
        # GSM goes unpacked (one septet per octet): 160 septets; UCS-2: 140 octets
        assert len(part.short_message) <= (160 if encoded.data_coding == GSM else 140)
        concat, payload = decode_part(part.short_message, encoded.data_coding, esm)
        payloads.append(payload)
        assert join_payloads([payload], encoded.data_coding) == part.text
    assert join_payloads(payloads, encoded.data_coding) == text
