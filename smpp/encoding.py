"""Text <-> SMS user data: GSM 03.38 when the text fits it, UCS-2 otherwise, concatenation UDH.

Rules (3GPP TS 23.038 / 23.040):

- GSM 7-bit default alphabet, sent unpacked (one septet per octet, SMPP data_coding 0). A
  character of the extension table costs two septets (ESC + code). One message holds 160 septets;
  a part of a concatenated message holds 153 (the 6-octet UDH takes 7 septets).
- UCS-2 (data_coding 8) is UTF-16BE: 70 code units in one message, 67 per part. A character
  outside the BMP is a surrogate pair: two units that always travel in the same part.
- Concatenation uses the 8-bit reference IE: ``05 00 03 ref total seq``; at most 255 parts.

Parts are cut between characters only, so no part ever ends inside an escape sequence or a
surrogate pair and each part decodes on its own. The GSM tables are aiosmpplib's codec.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiosmpplib.codec import GSM_BASIC_ENCODE_MAP, GSM_EXTENDED_ENCODE_MAP, GSM7BitCodec

from smpp.errors import EmptyMessage, MessageTooLong

DATA_CODING_GSM = 0x00
DATA_CODING_ASCII = 0x01
DATA_CODING_LATIN1 = 0x03
DATA_CODING_UCS2 = 0x08
ESM_CLASS_UDHI = 0x40

SINGLE_SEPTETS_MAX = 160
PART_SEPTETS_MAX = 153
SINGLE_UCS2_UNITS_MAX = 70
PART_UCS2_UNITS_MAX = 67
PARTS_MAX = 255

_GSM = GSM7BitCodec()


@dataclass(frozen=True)
class Concat:
    """Concatenation info of one part: reference, total parts, this part's 1-based number."""

    ref: int
    total: int
    seq: int


@dataclass(frozen=True)
class EncodedPart:
    data_coding: int
    esm_class: int  # ESM_CLASS_UDHI when short_message starts with a UDH
    short_message: (
        bytes  # UDH (if any) + text: <= 140 octets (UCS-2), <= 160 septets (GSM, unpacked)
    )
    text: str  # the characters this part carries


@dataclass(frozen=True)
class EncodedMessage:
    data_coding: int
    units: int  # septets (GSM) or UTF-16 code units (UCS-2) of the whole text
    parts: tuple[EncodedPart, ...]


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC_ENCODE_MAP or c in GSM_EXTENDED_ENCODE_MAP for c in text)


def char_units(char: str, data_coding: int) -> int:
    """Septets (GSM) or UTF-16 code units (UCS-2) that one character costs."""
    if data_coding == DATA_CODING_GSM:
        return 1 if char in GSM_BASIC_ENCODE_MAP else 2
    return 2 if ord(char) > 0xFFFF else 1


def encode_text(text: str, data_coding: int) -> bytes:
    if data_coding == DATA_CODING_GSM:
        return _GSM.encode(text)[0]
    return text.encode("utf-16-be")


def decode_text(payload: bytes, data_coding: int) -> str:
    """Decode user data without its UDH; foreign codings fall back without raising."""
    if data_coding == DATA_CODING_GSM:
        return _GSM.decode(payload, "replace")[0]
    if data_coding == DATA_CODING_UCS2:
        return payload.decode("utf-16-be", "replace")
    if data_coding == DATA_CODING_ASCII:
        return payload.decode("ascii", "replace")
    return payload.decode("latin-1")


def udh_concat(ref: int, total: int, seq: int) -> bytes:
    assert 0 <= ref <= 0xFF and 1 <= seq <= total <= PARTS_MAX
    return bytes((0x05, 0x00, 0x03, ref, total, seq))


def parse_udh(short_message: bytes) -> tuple[Concat | None, bytes]:
    """Split user data that carries a UDH into its concatenation IE (8- or 16-bit) and payload."""
    if not short_message:
        return None, b""
    udh_len = short_message[0]
    udh, payload = short_message[1 : 1 + udh_len], short_message[1 + udh_len :]
    concat = None
    i = 0
    while i + 2 <= len(udh):
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + length]
        if len(value) < length:
            break  # a truncated UDH: no concatenation info can be trusted
        if iei == 0x00 and length == 3:
            concat = Concat(value[0], value[1], value[2])
        elif iei == 0x08 and length == 4:
            concat = Concat(int.from_bytes(value[:2], "big"), value[2], value[3])
        i += 2 + length
    return concat, payload


def split_text(text: str, data_coding: int) -> list[str]:
    """Cut text into part-sized runs of whole characters (one run if it fits one message)."""
    single, part = (
        (SINGLE_SEPTETS_MAX, PART_SEPTETS_MAX)
        if data_coding == DATA_CODING_GSM
        else (SINGLE_UCS2_UNITS_MAX, PART_UCS2_UNITS_MAX)
    )
    if sum(char_units(c, data_coding) for c in text) <= single:
        return [text]
    runs: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        cost = char_units(char, data_coding)
        if used + cost > part:
            runs.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    runs.append("".join(current))
    return runs


def encode_message(text: str, ref: int, length_max: int | None = None) -> EncodedMessage:
    """Encode a whole message into its parts; raise the typed errors for empty or too long text."""
    if not text:
        raise EmptyMessage(part="message")
    if length_max is not None and len(text) > length_max:
        raise MessageTooLong(max_length=length_max, length=len(text))
    data_coding = DATA_CODING_GSM if is_gsm(text) else DATA_CODING_UCS2
    runs = split_text(text, data_coding)
    if len(runs) > PARTS_MAX:
        raise MessageTooLong(max_length=length_max or 0, length=len(text))
    units = sum(char_units(c, data_coding) for c in text)
    if len(runs) == 1:
        part = EncodedPart(data_coding, 0, encode_text(text, data_coding), text)
        return EncodedMessage(data_coding, units, (part,))
    parts = tuple(
        EncodedPart(
            data_coding,
            ESM_CLASS_UDHI,
            udh_concat(ref, len(runs), seq) + encode_text(run, data_coding),
            run,
        )
        for seq, run in enumerate(runs, start=1)
    )
    return EncodedMessage(data_coding, units, parts)


def decode_part(
    short_message: bytes, data_coding: int, esm_class: int
) -> tuple[Concat | None, bytes]:
    """User data of one received PDU -> (concatenation info or None, payload bytes)."""
    if esm_class & ESM_CLASS_UDHI:
        return parse_udh(short_message)
    return None, short_message


def join_payloads(payloads: list[bytes], data_coding: int) -> str:
    """Decode the payloads of all parts, in order, as one text (joined before decoding, so a
    pair a foreign sender cut in two still decodes)."""
    return decode_text(b"".join(payloads), data_coding)
