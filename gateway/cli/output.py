"""Printing command results: JSON with ``--json``, otherwise text for people.

For people a dict is ``key  value`` lines and a list of dicts is a table with a header (as
``kubectl get`` prints); values are written as people write them -- ``-`` for nothing, ``yes``
and ``no``, decimal amounts as they are -- never as Python literals (``None``, ``False``).
A :class:`Table` names the columns people see; ``--json`` always has every field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class CommandError(Exception):
    """A command-line usage problem that is not a domain refusal (bad file, missing key, ...)."""


@dataclass
class Table:
    """Rows for ``show``: every field in JSON, ``columns`` (default all) for people."""

    rows: list[dict[str, Any]]
    columns: tuple[str, ...] = field(default_factory=tuple)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Table):
        return value.rows
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def text(value: Any) -> str:
    """One value as people read it."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value) or "-"
    if isinstance(value, dict):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def table(rows: list[dict[str, Any]], columns: tuple[str, ...] = ()) -> str:
    """Rows as aligned columns under an upper-case header."""
    names = list(columns) or list(dict.fromkeys(k for row in rows for k in row))
    cells = [[text(row.get(name)) for name in names] for row in rows]
    header = [name.upper() for name in names]
    widths = [max(len(c) for c in column) for column in zip(header, *cells, strict=True)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *cells]
    )


def show(result: Any, *, as_json: bool) -> None:
    if result is None:
        return
    if as_json:
        print(json.dumps(result, default=_json_default, ensure_ascii=False, indent=2))
        return
    if isinstance(result, Table):
        if result.rows:
            print(table(result.rows, result.columns))
    elif isinstance(result, dict):
        width = max((len(str(k)) for k in result), default=0)
        for key, value in result.items():
            print(f"{key:<{width}}  {text(value)}")
    elif isinstance(result, list):
        if result and all(isinstance(row, dict) for row in result):
            print(table(result))
        else:
            for row in result:
                print(text(row))
    else:
        print(result)
