"""JSON in and out without a float: numbers are read as ``Decimal`` and written as the exact
decimal text they hold (``json`` writes no ``Decimal``, and a float is never money here).

``dumps`` marks each Decimal with a random per-process prefix, lets ``json`` escape everything
else, then puts the number's text in place of its marked string: the prefix starts with a NUL
that ``json`` escapes as ``\\u0000``, so no text a client sent can look like a marked number.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

_NONCE = secrets.token_hex(8)
_MARK = f"\x00{_NONCE}:"
_MARKED = re.compile(r'"\\u0000' + _NONCE + r':(-?[0-9]+(?:\.[0-9]+)?)"')


def loads(text: str | bytes) -> Any:
    """JSON with every non-integer number as a ``Decimal`` (integers stay ``int``)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("a non-finite amount")
        return _MARK + format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: Any) -> str:
    """Compact JSON; a ``Decimal`` becomes a JSON number with exactly its digits."""
    text = json.dumps(value, default=_default, separators=(",", ":"), ensure_ascii=False)
    return _MARKED.sub(r"\1", text) if _NONCE in text else text
