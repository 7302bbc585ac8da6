"""Printing command results: JSON with ``--json``, otherwise a readable text form."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class CommandError(Exception):
    """A command-line usage problem that is not a domain refusal (bad file, missing key, ...)."""


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def show(result: Any, *, as_json: bool) -> None:
    if result is None:
        return
    if as_json:
        print(json.dumps(result, default=_default, ensure_ascii=False, indent=2))
        return
    if isinstance(result, dict):
        width = max((len(str(k)) for k in result), default=0)
        for key, value in result.items():
            print(f"{key:<{width}}  {_default(value) if not isinstance(value, str) else value}")
    elif isinstance(result, list):
        for row in result:
            if isinstance(row, dict):
                print(
                    "  ".join(
                        f"{k}={_default(v) if not isinstance(v, str) else v}"
                        for k, v in row.items()
                    )
                )
            else:
                print(row)
    else:
        print(result)
