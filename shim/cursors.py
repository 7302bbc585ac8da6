"""Stream cursors: opaque to clients, plain to us (``<kind>.<number>[.<number>]``).

A cursor names the last item a client processed; the stream resumes after it. One that is
malformed, of another stream, or beyond anything the gateway has written is INVALID_ARGUMENT
(SVC0002 naming ``after_cursor``): the client must not silently miss or invent a position.
"""

from __future__ import annotations

from charging.errors import InvalidInput
from shim import limits

PART = "after_cursor"


def encode(kind: str, *numbers: int) -> str:
    return ".".join([kind, *(str(n) for n in numbers)])


def decode(kind: str, text: str, count: int) -> tuple[int, ...] | None:
    """The numbers of a cursor of ``kind`` (None for "": from the start)."""
    if text == "":
        return None
    parts = text.split(".") if len(text) <= limits.cursor_chars_max else []
    if len(parts) != count + 1 or parts[0] != kind or not all(p.isdigit() for p in parts[1:]):
        raise InvalidInput(part=PART, reason="not a cursor of this stream")
    return tuple(int(p) for p in parts[1:])


def beyond(position: int, newest: int) -> None:
    """Refuse a cursor past the newest item written (it was never handed out)."""
    if position > newest:
        raise InvalidInput(part=PART, reason="unknown cursor")
