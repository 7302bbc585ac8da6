"""The CHAP exchange of IpAPILevelAuthentication.challenge, as plain bytes in and out (no I/O).

Packets follow RFC 1994 §4.1 (DESIGN §5): a Challenge is code 1, an identifier, a 2-byte
big-endian Length covering the whole packet, a Value-Size, the Value and an optional Name; a
Response is code 2 with the same identifier and Value = the mechanism's digest. As RFC 1994 says,
octets past Length are padding and ignored; a Length that overruns the octets, a Value-Size of
zero or one that overruns Length is malformed.

Mechanisms (the client's comma-separated list, first one supported and allowed wins):
- ``P_OSA_MD5``: Value = MD5(identifier ‖ secret ‖ challenge value), RFC 1994 §2 (legacy).
- ``P_OSA_HMAC_SHA256``: Value = HMAC-SHA256(key = secret, identifier ‖ challenge value).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass

from framework.core import limits

CODE_CHALLENGE = 1
CODE_RESPONSE = 2
HEADER_BYTES = 4  # code, identifier, length (2)


class Mechanism(enum.StrEnum):
    P_OSA_HMAC_SHA256 = "P_OSA_HMAC_SHA256"
    P_OSA_MD5 = "P_OSA_MD5"


DEFAULT_MECHANISM = Mechanism.P_OSA_HMAC_SHA256


class MalformedPacket(ValueError):
    """The octets are not a CHAP packet of the expected kind."""


@dataclass(frozen=True)
class Packet:
    code: int
    identifier: int
    value: bytes
    name: bytes = b""

    def encode(self) -> bytes:
        assert 0 <= self.identifier <= 255 and 1 <= len(self.value) <= 255
        length = HEADER_BYTES + 1 + len(self.value) + len(self.name)
        assert length <= 0xFFFF
        head = struct.pack(">BBHB", self.code, self.identifier, length, len(self.value))
        return head + self.value + self.name


def decode(octets: bytes, code: int) -> Packet:
    """Parse one packet of ``code``; raise :class:`MalformedPacket` on anything else."""
    if len(octets) > limits.chap_packet_max_bytes:
        raise MalformedPacket("packet too long")
    if len(octets) < HEADER_BYTES + 1:
        raise MalformedPacket("packet too short")
    got_code, identifier, length, value_size = struct.unpack_from(">BBHB", octets)
    if got_code != code:
        raise MalformedPacket(f"code {got_code}, expected {code}")
    if length > len(octets) or length < HEADER_BYTES + 1:
        raise MalformedPacket("bad length")
    if value_size == 0 or HEADER_BYTES + 1 + value_size > length:
        raise MalformedPacket("bad value size")
    value = bytes(octets[5 : 5 + value_size])
    name = bytes(octets[5 + value_size : length])
    if len(name) > limits.chap_name_max_bytes:
        raise MalformedPacket("name too long")
    return Packet(got_code, identifier, value, name)


def digest(mechanism: str, identifier: int, secret: bytes, value: bytes) -> bytes:
    """The Response Value for a Challenge ``value`` under ``mechanism``."""
    ident = bytes([identifier])
    if mechanism == Mechanism.P_OSA_MD5:
        return hashlib.md5(ident + secret + value, usedforsecurity=False).digest()
    if mechanism == Mechanism.P_OSA_HMAC_SHA256:
        return hmac.new(secret, ident + value, hashlib.sha256).digest()
    raise ValueError(f"unsupported mechanism {mechanism!r}")


def new_challenge(identifier: int, name: bytes = b"") -> Packet:
    """A Challenge with a fresh random value (never reused: one challenge, one answer)."""
    return Packet(
        CODE_CHALLENGE, identifier, secrets.token_bytes(limits.challenge_value_bytes), name
    )


def answer(mechanism: str, challenge: Packet, secret: bytes, name: bytes) -> Packet:
    """The Response to ``challenge``."""
    value = digest(mechanism, challenge.identifier, secret, challenge.value)
    return Packet(CODE_RESPONSE, challenge.identifier, value, name)


def verify(mechanism: str, challenge: Packet, response_octets: bytes, secret: bytes) -> bool:
    """True when ``response_octets`` is a well-formed Response that proves ``secret``."""
    try:
        response = decode(response_octets, CODE_RESPONSE)
    except MalformedPacket:
        return False
    if response.identifier != challenge.identifier:
        return False
    expected = digest(mechanism, challenge.identifier, secret, challenge.value)
    return hmac.compare_digest(response.value, expected)


def split_list(text: str) -> list[str]:
    """A TpAuthMechanismList / capability list: comma-separated, blanks ignored."""
    return [item.strip() for item in text.split(",") if item.strip()]


def choose_mechanism(client_list: str, allowed: list[str]) -> str | None:
    """The first mechanism of the client's list that the framework supports and allows."""
    supported = {m.value for m in Mechanism}
    for name in split_list(client_list):
        if name in supported and name in allowed:
            return name
    return None
