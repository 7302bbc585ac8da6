"""CHAP codec and mechanisms: one case table run both ways, whole, cut short, with trailing bytes."""

from __future__ import annotations

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
        bytes([1, 0, 4, 5, 255]) + bytes(limits.chap_packet_max_bytes),  # too long
    ],
)
def test_malformed_challenges(octets: bytes) -> None:
    with pytest.raises(chap.MalformedPacket):
        chap.decode(octets, chap.CODE_CHALLENGE)


def test_md5_is_rfc1994_order_identifier_secret_value() -> None:
    # MD5(identifier ‖ secret ‖ value) = MD5("message digest") (RFC 1321 test suite)
    value = chap.digest("P_OSA_MD5", ord("m"), b"essage ", b"digest")
    assert value.hex() == "f96b697d7cb7938d525a2f31aaf161d0"


def test_hmac_sha256_keys_with_the_secret_over_identifier_and_value() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    value = chap.digest("P_OSA_HMAC_SHA256", ord("w"), b"Jefe", b"hat do ya want for nothing?")
    assert value.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


@pytest.mark.parametrize("mechanism", ["P_OSA_MD5", "P_OSA_HMAC_SHA256"])
def test_framework_and_client_library_interoperate(mechanism: str) -> None:
    secret = b"a shared secret of some length"
    # the framework challenges, the client answers
    challenge = chap.new_challenge(9, b"micropay")
    response = crypto.chap_answer(mechanism, challenge.encode(), secret, b"shop")
    assert chap.verify(mechanism, challenge, response, secret)
    assert not chap.verify(mechanism, challenge, response, secret + b"x")
    # the client challenges, the framework answers
    identifier, value, packet = crypto.chap_challenge()
    answer = chap.answer(mechanism, chap.decode(packet, 1), secret, b"micropay").encode()
    assert crypto.chap_check(mechanism, identifier, value, answer, secret)
    assert not crypto.chap_check(mechanism, (identifier + 1) % 256, value, answer, secret)


def test_fresh_challenges_differ() -> None:
    values = {chap.new_challenge(1).value for _ in range(50)}
    assert len(values) == 50
    assert all(len(v) == limits.challenge_value_bytes for v in values)


def test_verify_refuses_other_identifier_and_garbage() -> None:
    secret = b"0123456789abcdef"
    challenge = chap.new_challenge(3)
    good = chap.answer("P_OSA_HMAC_SHA256", challenge, secret, b"")
    other = chap.Packet(2, 4, good.value)
    assert chap.verify("P_OSA_HMAC_SHA256", challenge, good.encode(), secret)
    assert not chap.verify("P_OSA_HMAC_SHA256", challenge, other.encode(), secret)
    assert not chap.verify("P_OSA_HMAC_SHA256", challenge, b"", secret)
    assert not chap.verify("P_OSA_MD5", challenge, good.encode(), secret)


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
