"""CHAP codec and mechanisms: one case table run both ways, whole, cut short, with trailing bytes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import crypto
from framework.core import chap, limits

# (packet, encoded octets)
CASES = [
    (chap.Packet(1, 0, b"\x01"), bytes([1, 0, 0, 6, 1, 1])),
    (chap.Packet(1, 255, b"abcd", b"fw"), bytes([1, 255, 0, 11, 4]) + b"abcd" + b"fw"),
    (chap.Packet(2, 7, bytes(16), b"shop-1"), bytes([2, 7, 0, 27, 16]) + bytes(16) + b"shop-1"),
    (chap.Packet(2, 7, bytes(255)), bytes([2, 7, 1, 4, 255]) + bytes(255)),
]


@pytest.mark.parametrize(("packet", "octets"), CASES)
def test_encode_and_decode_agree(packet: chap.Packet, octets: bytes) -> None:
    assert packet.encode() == octets
    assert chap.decode(octets, packet.code) == packet


@pytest.mark.parametrize(("packet", "octets"), CASES)
def test_every_truncation_is_malformed(packet: chap.Packet, octets: bytes) -> None:
    for cut in range(len(octets)):
        with pytest.raises(chap.MalformedPacket):
            chap.decode(octets[:cut], packet.code)


@pytest.mark.parametrize(("packet", "octets"), CASES)
def test_octets_past_length_are_padding(packet: chap.Packet, octets: bytes) -> None:
    """RFC 1994 §4: octets outside the Length field are padding and ignored."""
    assert chap.decode(octets + b"\x00junk", packet.code) == packet


@pytest.mark.parametrize(
    "octets",
    [
        bytes([2, 0, 0, 6, 1, 1]),  # wrong code for a challenge
        bytes([1, 0, 0, 4, 1, 1]),  # length shorter than the header
        bytes([1, 0, 0, 9, 1, 1]),  # length overruns the octets
        bytes([1, 0, 0, 6, 0, 1]),  # value size zero
        bytes([1, 0, 0, 6, 2, 1]),  # value size overruns length
        bytes([1, 0, 4, 5, 255]) + bytes(limits.chap_packet_bytes_max),  # too long
    ],
)
def test_malformed_challenges(octets: bytes) -> None:
    with pytest.raises(chap.MalformedPacket):
        chap.decode(octets, chap.CODE_CHALLENGE)


FW_CHALLENGES = chap.Binding(chap.Direction.FRAMEWORK_CHALLENGES, b"micropay", b"shop")
APP_CHALLENGES = chap.Binding(chap.Direction.APPLICATION_CHALLENGES, b"micropay", b"shop")


def test_md5_is_rfc1994_order_identifier_secret_value() -> None:
    # MD5(identifier ‖ secret ‖ value) = MD5("message digest") (RFC 1321 test suite); RFC 1994
    # binds nothing else, so both directions give the same value
    for binding in (FW_CHALLENGES, APP_CHALLENGES):
        value = chap.digest("P_OSA_MD5", ord("m"), b"essage ", b"digest", binding)
        assert value.hex() == "f96b697d7cb7938d525a2f31aaf161d0"


def test_hmac_sha256_binds_direction_and_both_ids_as_documented() -> None:
    # HMAC-SHA256(secret, "P_OSA_HMAC_SHA256" ‖ direction ‖ len16 ‖ fw id ‖ len16 ‖ app id ‖
    # identifier ‖ value), computed here byte by byte from docs/framework.md
    data = b"P_OSA_HMAC_SHA256\x01\x00\x08micropay\x00\x04shop\x07" + b"value"
    expected = hmac.new(b"Jefe", data, hashlib.sha256).hexdigest()
    assert chap.digest("P_OSA_HMAC_SHA256", 7, b"Jefe", b"value", FW_CHALLENGES).hex() == expected


@pytest.mark.parametrize(
    "other",
    [
        APP_CHALLENGES,  # the other direction: a reflected challenge
        chap.Binding(chap.Direction.FRAMEWORK_CHALLENGES, b"micropay", b"shop-2"),
        chap.Binding(chap.Direction.FRAMEWORK_CHALLENGES, b"other-fw", b"shop"),
    ],
)
def test_an_hmac_answer_verifies_only_for_its_direction_and_parties(other: chap.Binding) -> None:
    secret = b"a shared secret of some length"
    challenge = chap.new_challenge(5, b"micropay")
    answer = chap.answer("P_OSA_HMAC_SHA256", challenge, secret, b"", FW_CHALLENGES).encode()
    assert chap.verify("P_OSA_HMAC_SHA256", challenge, answer, secret, FW_CHALLENGES)
    assert not chap.verify("P_OSA_HMAC_SHA256", challenge, answer, secret, other)


@pytest.mark.parametrize("mechanism", ["P_OSA_MD5", "P_OSA_HMAC_SHA256"])
def test_framework_and_client_library_interoperate(mechanism: str) -> None:
    secret = b"a shared secret of some length"
    # the framework challenges, the client answers
    challenge = chap.new_challenge(9, b"micropay")
    response = crypto.chap_answer(mechanism, challenge.encode(), secret, b"shop", b"shop")
    assert chap.verify(mechanism, challenge, response, secret, FW_CHALLENGES)
    assert not chap.verify(mechanism, challenge, response, secret + b"x", FW_CHALLENGES)
    # the client challenges, the framework answers
    identifier, value, packet = crypto.chap_challenge()
    decoded = chap.decode(packet, 1)
    answer = chap.answer(mechanism, decoded, secret, b"micropay", APP_CHALLENGES).encode()
    assert crypto.chap_check(mechanism, identifier, value, answer, secret, b"shop")
    assert not crypto.chap_check(mechanism, (identifier + 1) % 256, value, answer, secret, b"shop")


def test_fresh_challenges_differ() -> None:
    values = {chap.new_challenge(1).value for _ in range(50)}
    assert len(values) == 50
    assert all(len(v) == limits.challenge_value_bytes for v in values)


def test_verify_refuses_other_identifier_and_garbage() -> None:
    secret = b"0123456789abcdef"
    challenge = chap.new_challenge(3)
    good = chap.answer("P_OSA_HMAC_SHA256", challenge, secret, b"", FW_CHALLENGES)
    other = chap.Packet(2, 4, good.value)
    assert chap.verify("P_OSA_HMAC_SHA256", challenge, good.encode(), secret, FW_CHALLENGES)
    assert not chap.verify("P_OSA_HMAC_SHA256", challenge, other.encode(), secret, FW_CHALLENGES)
    assert not chap.verify("P_OSA_HMAC_SHA256", challenge, b"", secret, FW_CHALLENGES)
    assert not chap.verify("P_OSA_MD5", challenge, good.encode(), secret, FW_CHALLENGES)


@pytest.mark.parametrize(
    ("client_list", "allowed", "chosen"),
    [
        ("P_OSA_HMAC_SHA256", ["P_OSA_HMAC_SHA256"], "P_OSA_HMAC_SHA256"),
        ("P_OSA_MD5,P_OSA_HMAC_SHA256", ["P_OSA_HMAC_SHA256", "P_OSA_MD5"], "P_OSA_MD5"),
        (" P_OSA_MD5 , P_OSA_HMAC_SHA256", ["P_OSA_HMAC_SHA256"], "P_OSA_HMAC_SHA256"),
        ("P_OSA_MD5", ["P_OSA_HMAC_SHA256"], None),
        ("P_OSA_HMAC_SHA1_96", ["P_OSA_HMAC_SHA256"], None),
        ("", ["P_OSA_HMAC_SHA256"], None),
    ],
)
def test_mechanism_choice(client_list: str, allowed: list[str], chosen: str | None) -> None:
    assert chap.choose_mechanism(client_list, allowed) == chosen


@given(st.binary(max_size=300))
def test_decode_never_fails_other_than_malformed(octets: bytes) -> None:
    try:
        packet = chap.decode(octets, chap.CODE_CHALLENGE)
    except chap.MalformedPacket:
        return
    assert chap.decode(packet.encode(), chap.CODE_CHALLENGE) == packet


@given(st.integers(0, 255), st.binary(min_size=1, max_size=255), st.binary(max_size=64))
def test_roundtrip(identifier: int, value: bytes, name: bytes) -> None:
    packet = chap.Packet(chap.CODE_RESPONSE, identifier, value, name)
    assert chap.decode(packet.encode(), chap.CODE_RESPONSE) == packet
