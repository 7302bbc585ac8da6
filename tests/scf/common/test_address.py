"""Parlay X addresses: one case table, run through every entry point, plus agreement with the
ledger's own normaliser (the key accounts are stored under). Numbers are E.164 (libphonenumber):
national forms are read in the default region (KR), invalid numbers are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charging import msisdn, validate
from charging.errors import InvalidAddress
from scf.common.address import (
    ADDRESS_CHARS_MAX,
    Address,
    AddressKind,
    normalise,
    parse_activation_number,
    parse_end_user,
    parse_loose,
)
from scf.common.faults import fault_for

G, S = AddressKind.GLOBAL, AddressKind.SHORT_CODE

# (input, kind, canonical URI) for addresses an end user may have
END_USER_CASES = [
    ("tel:+821012345678", G, "tel:+821012345678"),
    ("tel:+82-10-1234-5678", G, "tel:+821012345678"),
    ("tel:+82.10.1234.5678", G, "tel:+821012345678"),
    ("tel:+82(10)1234-5678", G, "tel:+821012345678"),
    ("tel:+-82-10-1234-5678", G, "tel:+821012345678"),  # a separator straight after '+'
    ("TEL:+821012345678", G, "tel:+821012345678"),  # schemes are case-insensitive
    ("  tel:+821012345678\n", G, "tel:+821012345678"),
    ("tel:+8201012345678", G, "tel:+821012345678"),  # the trunk 0 after the country code
    ("tel:+12025550123", G, "tel:+12025550123"),  # another country's number
    ("tel:010-1234-5678", G, "tel:+821012345678"),  # national: Parlay X MUST accept it
    ("tel:01012345678", G, "tel:+821012345678"),
    ("tel:02-312-3456", G, "tel:+8223123456"),  # a Seoul landline
]

# (input, kind, canonical URI) accepted only where an activation number is expected
SHORT_CODE_CASES = [
    ("short:7777", S, "short:7777"),
    ("SHORT:123", S, "short:123"),
    ("short:12345678", S, "short:12345678"),
]

MALFORMED = [
    "",
    "tel:",
    "tel:+",
    "tel:+-",
    "+821012345678",  # no scheme
    "821012345678",
    "tel+821012345678",
    "tel:+82 10 1234 5678",  # spaces are not visual separators in RFC 3966
    "tel:+821012345678;ext=12",  # beyond the address portion
    "tel:01012345678;phone-context=+82",
    "tel:+82%2010",
    "tel:+0821012345678",  # E.164 country codes do not start with 0
    "tel:+12",
    "tel:+1234567890123456",  # 16 digits
    "tel:1234567890123456",  # national, 16 digits
    "tel:+821555",  # well-formed, but no valid Korean number (a short code is short:1555)
    "tel:+8210",
    "tel:7777",  # national, but no valid number in KR
    "tel:+123",
    "tel:+999123456789",  # no such country code
    "tel:+82A0",
    "tel:*123#",
    "tel:++821012345678",
    "sip:alice@example.com",
    "mailto:alice@example.com",
    "tel:+82\u0661\u0662",  # non-ASCII digits
    "tel:+" + "1" * ADDRESS_CHARS_MAX,
]
SHORT_CODE_MALFORMED = ["short:12", "short:123456789", "short:+7777", "short:77-77", "short:"]


@pytest.mark.parametrize(("text", "kind", "uri"), END_USER_CASES)
def test_end_user_addresses(text: str, kind: AddressKind, uri: str) -> None:
    address = parse_end_user(text)
    assert (address.kind, address.uri, str(address)) == (kind, uri, uri)
    assert normalise(text) == uri
    assert normalise(uri) == uri  # the canonical form is a fixed point
    assert parse_activation_number(text) == address  # a tel: number is a valid activation number
    assert address.e164 == (uri[4:] if kind is G else None)
    assert validate.tel_uri(uri) == uri  # the ledger keys the account under the same URI


@pytest.mark.parametrize(("text", "kind", "uri"), SHORT_CODE_CASES)
def test_short_codes_only_as_activation_numbers(text: str, kind: AddressKind, uri: str) -> None:
    address = parse_activation_number(text)
    assert (address.kind, address.uri) == (kind, uri)
    assert normalise(text, short_codes=True) == uri
    with pytest.raises(InvalidAddress):
        parse_end_user(text)  # a short code is a service, never an end user's account


@pytest.mark.parametrize("text", [*MALFORMED, *SHORT_CODE_MALFORMED])
def test_malformed_addresses_are_refused(text: str) -> None:
    with pytest.raises(InvalidAddress) as caught:
        parse_activation_number(text, part="addresses")
    assert caught.value.variables["part"] == "addresses"
    with pytest.raises(InvalidAddress):
        parse_end_user(text)
    with pytest.raises(InvalidAddress):
        normalise(text, short_codes=True)


@pytest.mark.parametrize("value", [None, 821012345678, b"tel:+8210", ["tel:+8210"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidAddress):
        parse_end_user(value)


def test_the_fault_names_the_message_part() -> None:
    with pytest.raises(InvalidAddress) as caught:
        parse_end_user("tel:+82;ext=1")
    fault = fault_for(caught.value)
    assert (fault.message_id, fault.text) == (
        "SVC0002",
        "Invalid input value for message part endUserIdentifier",
    )
    assert "ext" not in repr(fault.variables)


def test_address_is_a_value() -> None:
    assert Address(G, "821012345678") == parse_end_user("tel:010-1234-5678")
    assert len({parse_end_user("tel:+82-10-1234-5678"), parse_end_user("tel:01012345678")}) == 1


@pytest.mark.parametrize(
    "typed",
    [
        "010-1111-0001",
        "010 1111 0001",
        "01011110001",
        "+82 10-1111-0001",
        "821011110001",  # country code first, without '+'
        "tel:01011110001",
        "tel:+821011110001",
    ],
)
def test_numbers_as_people_type_them(typed: str) -> None:
    """The command line, the shop and the phone view take a number as it is written."""
    assert parse_loose(typed).uri == "tel:+821011110001"
    assert parse_loose("short:1555", short_codes=True).uri == "short:1555"
    with pytest.raises(InvalidAddress):
        parse_loose("1555")  # not a number; a short code is named short:


def test_national_numbers_follow_the_default_region() -> None:
    try:
        msisdn.set_default_region("us")
        assert normalise("tel:(202)555-0123") == "tel:+12025550123"
        with pytest.raises(InvalidAddress):
            normalise("tel:010-1234-5678")  # no US number
    finally:
        msisdn.set_default_region(msisdn.DEFAULT_REGION)
    with pytest.raises(ValueError, match="region"):
        msisdn.set_default_region("XX")


separators = st.sampled_from(["", "", "", "-", ".", "(", ")"])


@given(
    plus=st.booleans(),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=15),
    seps=st.lists(separators, min_size=16, max_size=16),
)
def test_agrees_with_the_ledgers_normaliser(plus: bool, digits: str, seps: list[str]) -> None:
    """Any tel: spelling is either refused by both or normalised to the same URI by both."""
    body = "".join(d + s for d, s in zip(digits, seps, strict=False))
    text = "tel:" + ("+" if plus else "") + body
    try:
        ours: str | None = normalise(text)
    except InvalidAddress:
        ours = None
    try:
        ledgers: str | None = validate.tel_uri(text)
    except InvalidAddress:
        ledgers = None
    assert ours == ledgers
