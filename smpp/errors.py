"""The SMPP codec's refusals: text it cannot make into a message.

They are domain errors (:mod:`domain_errors`), so the SMS SCF reports them through the one fault
table (``scf/common/faults.py``: SVC0002 with the part, SVC0280 with the limit) and the embedded
SMSC's admin port as a plain error.
"""

from __future__ import annotations

from domain_errors import InvalidInput


class EmptyMessage(InvalidInput):
    code = "empty_message"
    text = "The message is empty"


class MessageTooLong(InvalidInput):
    code = "message_too_long"
    text = "Message too long"
