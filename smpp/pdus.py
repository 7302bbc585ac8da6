"""SMPP 3.4 PDUs through aiosmpplib's PDU classes, shared by the ESME (scf/sms) and the SMSC (smsc/).

Bytes in, values out: no stream is read here. An edge reads the 16-octet header, asks
:func:`pdu_length` how long the whole PDU is, reads the rest and hands the bytes to
:func:`decode_pdu`; it writes what ``pdu.pdu()`` returns.

No PDU is encoded or decoded by hand here: aiosmpplib's ``SmppMessage`` classes do the wire
format. This module only adds what those classes lack for our use:

- ``RAW_CODECS``: identity codecs handed to ``from_pdu`` so user data comes back as its raw
  octets (as a latin-1 string) and is decoded by :mod:`smpp.encoding`, which knows GSM
  escapes, UDH and surrogate pairs;
- concatenation info recovered from the library's SAR values (aiosmpplib 0.7.4 reads the 16-bit
  reference IE as a 32-bit integer; ``ref >> 16`` undoes that exactly, since total >= 1);
- builders that put pre-encoded user data (UDH included) into ``SubmitSm``/``DeliverSm`` with
  ``auto_message_payload=False`` so nothing is ever moved into message_payload or re-split.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import datetime

from aiosmpplib import NPI, TON, DeliverSm, OptionalParam, PhoneNumber, SmppMessage, SubmitSm
from aiosmpplib.protocol import MESSAGE_TYPE_MAP, PDU_HEADER_LENGTH
from aiosmpplib.state import MESSAGE_STATE, RECEIPTED_MESSAGE_ID, SmppDataCoding

from smpp.addresses import SmppAddress
from smpp.encoding import DATA_CODING_UCS2, ESM_CLASS_UDHI, Concat, EncodedPart
from smpp.receipts import MESSAGE_STATES

PDU_LENGTH_MAX = 70_000  # a message_payload TLV holds up to 64 KiB; anything larger is garbage
ESM_CLASS_RECEIPT = 0x04


def _raw_encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    return text.encode("latin-1", errors), len(text)


def _raw_decode(data: bytes, errors: str = "strict") -> tuple[str, int]:
    return bytes(data).decode("latin-1"), len(data)


RAW_CODECS: dict[str, codecs.CodecInfo] = {
    name: codecs.CodecInfo(name=name, encode=_raw_encode, decode=_raw_decode)  # type: ignore[arg-type]
    for name in SmppDataCoding.__members__
}


class PduError(Exception):
    """A PDU that cannot be decoded; ``sequence_num`` lets the peer be answered with generic_nack."""

    def __init__(self, sequence_num: int, command_id: int, reason: str) -> None:
        super().__init__(f"undecodable PDU 0x{command_id:08x}: {reason}")
        self.sequence_num = sequence_num
        self.command_id = command_id


def pdu_length(header: bytes) -> int:
    """The octets of the whole PDU whose header (its first 16 octets) this is; ConnectionError
    when it cannot be one: the stream is out of step and the session must end."""
    assert len(header) == PDU_HEADER_LENGTH
    length = int.from_bytes(header[:4], "big")
    if not PDU_HEADER_LENGTH <= length <= PDU_LENGTH_MAX:
        raise ConnectionError(f"bad PDU length {length}")
    return length


def decode_pdu(data: bytes) -> SmppMessage:
    """Decode a PDU with the library's classes; raise PduError for what they cannot decode."""
    sequence_num = int.from_bytes(data[12:16], "big")
    command_id = int.from_bytes(data[4:8], "big")
    try:
        header = SmppMessage.parse_header(data)
        cls = MESSAGE_TYPE_MAP[header.smpp_command]
        if len(data) == PDU_HEADER_LENGTH and header.command_status and command_id & 0x80000000:
            # an error response without body, as SMPP 3.4 §4 wants it; the library's from_pdu
            # of bind_*_resp cannot read that, so build it from the header alone
            return cls(sequence_num=header.sequence_num, command_status=header.command_status)
        return cls.from_pdu(data, header, "gsm0338", RAW_CODECS)
    except (ValueError, KeyError, IndexError, UnicodeError) as exc:
        raise PduError(sequence_num, command_id, type(exc).__name__) from None


@dataclass(frozen=True)
class UserData:
    """User data of a received submit_sm/deliver_sm: coding, concatenation and raw payload."""

    data_coding: int
    concat: Concat | None
    payload: bytes


def user_data(msg: SubmitSm) -> UserData:
    data_coding = SmppDataCoding[msg.encoding].value if msg.encoding else 0
    payload = (msg.short_message or msg.message_payload).encode("latin-1")
    ref, seq, total = msg.get_segmentation_data()
    concat = None
    if total:
        if msg.esm_class & ESM_CLASS_UDHI and ref > 0xFF:
            ref >>= 16  # the library's 16-bit-IE reading; see the module docstring
        concat = Concat(ref, total, seq)
    return UserData(data_coding, concat, payload)


def phone(addr: SmppAddress) -> PhoneNumber:
    return PhoneNumber(addr.digits, TON(addr.ton), NPI(addr.npi))


def _encoding_name(data_coding: int) -> str | None:
    return "ucs2" if data_coding == DATA_CODING_UCS2 else None


def submit_sm(
    part: EncodedPart,
    source: SmppAddress,
    destination: SmppAddress,
    *,
    registered_delivery: int = 1,
) -> SubmitSm:
    pdu = SubmitSm(
        short_message=part.text or " ",
        source=phone(source),
        destination=phone(destination),
        esm_class=part.esm_class,
        registered_delivery=registered_delivery,
        encoding=_encoding_name(part.data_coding),
        auto_message_payload=False,
    )
    pdu.set_encoded_message(part.short_message)
    return pdu


def deliver_sm(part: EncodedPart, source: SmppAddress, destination: SmppAddress) -> DeliverSm:
    pdu = DeliverSm(
        short_message=part.text or " ",
        source=phone(source),
        destination=phone(destination),
        esm_class=part.esm_class,
        registered_delivery=0,
        encoding=_encoding_name(part.data_coding),
        auto_message_payload=False,
    )
    pdu.set_encoded_message(part.short_message)
    return pdu


def receipt_deliver_sm(
    message_id: str,
    source: SmppAddress,
    destination: SmppAddress,
    *,
    stat: str,
    err: int,
    submit_date: datetime,
    done_date: datetime,
    text: str = "",
) -> DeliverSm:
    """A delivery receipt (esm_class 0x04) in the SMPP 3.4 Appendix B text format, plus the
    receipted_message_id and message_state TLVs."""
    body = DeliverSm.encode_receipt(
        {
            "id": message_id,
            "sub": 1,
            "dlvrd": 1 if stat == "DELIVRD" else 0,
            "submit date": submit_date,
            "done date": done_date,
            "stat": stat,
            "err": err,
            "text": text,
        }
    )
    return DeliverSm(
        short_message=body,
        source=phone(source),
        destination=phone(destination),
        esm_class=ESM_CLASS_RECEIPT,
        registered_delivery=0,
        auto_message_payload=False,
        optional_params=[
            OptionalParam(RECEIPTED_MESSAGE_ID, message_id),
            OptionalParam(MESSAGE_STATE, MESSAGE_STATES.get(stat, 7)),
        ],
    )
