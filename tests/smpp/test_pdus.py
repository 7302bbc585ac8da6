"""The codec without a stream: framing from the header alone, then bytes in, values out."""

from __future__ import annotations

import pytest

from smpp.addresses import to_smpp
from smpp.encoding import encode_message
from smpp.pdus import (
    PDU_HEADER_LENGTH,
    PDU_LENGTH_MAX,
    decode_pdu,
    pdu_length,
    submit_sm,
    user_data,
)


def header(length: int) -> bytes:
    return length.to_bytes(4, "big") + bytes(PDU_HEADER_LENGTH - 4)


@pytest.mark.parametrize("length", [PDU_HEADER_LENGTH, 17, PDU_LENGTH_MAX])
def test_a_plausible_length_is_the_whole_pdu(length: int) -> None:
    assert pdu_length(header(length)) == length


@pytest.mark.parametrize("length", [0, PDU_HEADER_LENGTH - 1, PDU_LENGTH_MAX + 1, 2**32 - 1])
def test_an_impossible_length_ends_the_session(length: int) -> None:
    with pytest.raises(ConnectionError, match="bad PDU length"):
        pdu_length(header(length))


def test_a_submit_sm_goes_round_in_bytes() -> None:
    part = encode_message("안녕 " * 40, 0x2A).parts[1]
    wire = submit_sm(part, to_smpp("short:1555"), to_smpp("tel:+821011110001")).pdu()
    assert pdu_length(wire[:PDU_HEADER_LENGTH]) == len(wire)
    data = user_data(decode_pdu(wire))
    assert (data.data_coding, data.concat.seq, data.concat.total) == (0x08, 2, 2)
    assert data.payload == part.short_message[6:]  # the UDH is read, the text is what is left
