"""The CHAP exchange of IpAPILevelAuthentication.challenge, as plain bytes in and out (no I/O).

Packets follow RFC 1994 §4.1 (DESIGN §5): a Challenge is code 1, an identifier, a 2-byte
big-endian Length covering the whole packet, a Value-Size, the Value and an optional Name; a
Response is code 2 with the same identifier and Value = the mechanism's digest. As RFC 1994 says,
octets past Length are padding and ignored; a Length that overruns the octets, a Value-Size of
zero or one that overruns Length is malformed.

Mechanisms (the client's comma-separated list, first one supported and allowed wins):
- ``P_OSA_MD5``: Value = MD5(identifier ‖ secret ‖ challenge value), exactly RFC 1994 §2
  (legacy). It binds neither the direction nor the parties, so RFC 1994 §6's reflection attack
  is stopped outside the digest: the framework never answers a challenge it has outstanding for
  the application on any gateway, nor one from a client that has not proven itself.
- ``P_OSA_HMAC_SHA256``: Value = HMAC-SHA256(key = secret, "P_OSA_HMAC_SHA256" ‖ direction ‖
  len ‖ framework id ‖ len ‖ application id ‖ identifier ‖ challenge value), direction 1 when the
  framework challenges the application and 2 when the application challenges the framework,
  each len a 2-byte big-endian length. An answer computed for one direction (or one pair of
  parties) never verifies in the other, so a challenge reflected between two gateways, or
  between a gateway and a client, proves nothing.
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


class Direction(enum.IntEnum):
    """Who challenges whom: the first octet bound into a P_OSA_HMAC_SHA256 digest."""

    FRAMEWORK_CHALLENGES = 1  # the application answers
    APPLICATION_CHALLENGES = 2  # the framework answers


@dataclass(frozen=True)
class Binding:
    """What a P_OSA_HMAC_SHA256 answer is bound to besides the challenge value."""

    direction: Direction
    framework_id: bytes
    app_id: bytes

    def label(self) -> bytes:
        return (
            Mechanism.P_OSA_HMAC_SHA256.value.encode()
            + bytes([self.direction])
            + _with_length(self.framework_id)
            + _with_length(self.app_id)
        )


def _with_length(field: bytes) -> bytes:
    assert len(field) <= 0xFFFF
    return struct.pack(">H", len(field)) + field


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
    if len(octets) > limits.chap_packet_bytes_max:
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
    if len(name) > limits.chap_name_bytes_max:
        raise MalformedPacket("name too long")
    return Packet(got_code, identifier, value, name)


def digest(mechanism: str, identifier: int, secret: bytes, value: bytes, binding: Binding) -> bytes:
    """The Response Value for a Challenge ``value`` under ``mechanism`` (P_OSA_MD5 ignores
    ``binding``: RFC 1994 has none)."""
    ident = bytes([identifier])
    if mechanism == Mechanism.P_OSA_MD5:
        return hashlib.md5(ident + secret + value, usedforsecurity=False).digest()
    if mechanism == Mechanism.P_OSA_HMAC_SHA256:
        return hmac.new(secret, binding.label() + ident + value, hashlib.sha256).digest()
    raise ValueError(f"unsupported mechanism {mechanism!r}")


def new_challenge(identifier: int, name: bytes = b"") -> Packet:
    """A Challenge with a fresh random value (never reused: one challenge, one answer)."""
    return Packet(
        CODE_CHALLENGE, identifier, secrets.token_bytes(limits.challenge_value_bytes), name
    )


def answer(
    mechanism: str, challenge: Packet, secret: bytes, name: bytes, binding: Binding
) -> Packet:
    """The Response to ``challenge``."""
    value = digest(mechanism, challenge.identifier, secret, challenge.value, binding)
    return Packet(CODE_RESPONSE, challenge.identifier, value, name)


def verify(
    mechanism: str, challenge: Packet, response_octets: bytes, secret: bytes, binding: Binding
) -> bool:
    """True when ``response_octets`` is a well-formed Response that proves ``secret``."""
    try:
        response = decode(response_octets, CODE_RESPONSE)
    except MalformedPacket:
        return False
    if response.identifier != challenge.identifier:
        return False
    expected = digest(mechanism, challenge.identifier, secret, challenge.value, binding)
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
