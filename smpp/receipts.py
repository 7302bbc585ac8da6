"""Delivery receipts: the SMPP 3.4 Appendix B text, matched to parts by SMSC message id.

Receipt text looks like ``id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm
stat:DDDDDDD err:E Text:...``. SMSCs differ in the details (10- or 12-digit dates, upper/lower
case, hex ids in submit_sm_resp but decimal ids in the receipt), so this parser is tolerant where
aiosmpplib's ``DeliverSm.parse_receipt`` is strict (it raises on 12-digit dates). The
``receipted_message_id`` and ``message_state`` TLVs win over the text when present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# receipt stat word -> what it means for one part
PART_DELIVERED = "delivered"
PART_FAILED = "failed"
PART_UNCERTAIN = "uncertain"
PART_SUBMITTED = "submitted"  # still on its way (ENROUTE, ACCEPTD)

STAT_TO_PART_STATE = {
    "DELIVRD": PART_DELIVERED,
    "UNDELIV": PART_FAILED,
    "EXPIRED": PART_FAILED,
    "DELETED": PART_FAILED,
    "REJECTD": PART_FAILED,
    "UNKNOWN": PART_UNCERTAIN,
    "ENROUTE": PART_SUBMITTED,
    "ACCEPTD": PART_SUBMITTED,
}
# SMPP 3.4 §5.2.28 message_state values, by the receipt's stat: word.
MESSAGE_STATES = {
    "ENROUTE": 1,
    "DELIVRD": 2,
    "EXPIRED": 3,
    "DELETED": 4,
    "UNDELIV": 5,
    "ACCEPTD": 6,
    "UNKNOWN": 7,
    "REJECTD": 8,
}
MESSAGE_STATE_TO_STAT = {value: stat for stat, value in MESSAGE_STATES.items()}

_FIELD = re.compile(r"(?i)(?P<key>id|sub|dlvrd|submit date|done date|stat|err|text):(?P<value>\S*)")


@dataclass(frozen=True)
class Receipt:
    message_id: str
    stat: str
    err: str = ""
    sub: str = ""
    dlvrd: str = ""
    submit_date: str = ""
    done_date: str = ""

    @property
    def part_state(self) -> str:
        return STAT_TO_PART_STATE.get(self.stat, PART_UNCERTAIN)


def parse_receipt(
    text: str, receipted_message_id: str | None = None, message_state: int | None = None
) -> Receipt | None:
    """Parse a receipt; None when no message id can be found at all."""
    fields: dict[str, str] = {}
    for match in _FIELD.finditer(text):
        key = match["key"].lower()
        if key == "text":
            break  # free text follows; it may contain anything
        fields.setdefault(key, match["value"])
    message_id = receipted_message_id or fields.get("id", "")
    if not message_id:
        return None
    stat = fields.get("stat", "").upper()
    if message_state is not None and message_state in MESSAGE_STATE_TO_STAT:
        stat = MESSAGE_STATE_TO_STAT[message_state]
    return Receipt(
        message_id=message_id,
        stat=stat or "UNKNOWN",
        err=fields.get("err", ""),
        sub=fields.get("sub", ""),
        dlvrd=fields.get("dlvrd", ""),
        submit_date=fields.get("submit date", ""),
        done_date=fields.get("done date", ""),
    )


def message_id_candidates(message_id: str) -> list[str]:
    """Spellings under which a receipt's id may have been returned in submit_sm_resp.

    Some SMSCs answer submit_sm with a hex id and write it in decimal in the receipt (or the
    reverse); comparing the integer values as well matches both.
    """
    out = [message_id]
    if message_id.isdigit():
        value = int(message_id)
        out += [format(value, "x"), format(value, "X")]
    elif re.fullmatch(r"[0-9A-Fa-f]+", message_id):
        out += [str(int(message_id, 16)), message_id.lower(), message_id.upper()]
    return list(dict.fromkeys(out))
