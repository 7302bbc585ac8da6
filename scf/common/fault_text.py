"""Reading a rendered fault back: which row of the one fault table a text is, with which
variables.

The CAMARA surface answers a refusal as ``{status, code, message}`` with the row's text rendered
(docs/faults.md); several rows share a CAMARA code (403 ``CARRIER_BILLING.PAYMENT_DENIED`` is a
suspended account, an expired one, a closed one, too little credit ...). A client that needs the
Parlay X messageId and variables -- the shop tells its shoppers the same words on every transport
-- reads them back here, from the same table that rendered them: each template becomes a pattern
(``%n`` matches any text), the rows whose CAMARA form fits the answer are tried in table order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from scf.common.faults import CAMARA_FORMS, FAULT_TABLE, TRANSIENT, UNEXPECTED, FaultSpec, Kind

_PLACEHOLDER = re.compile(r"%(\d+)")


@dataclass(frozen=True)
class ReadFault:
    """A row and the variables its text carried, by position (%1 first) and by name."""

    spec: FaultSpec
    variables: list[str]

    @property
    def message_id(self) -> str:
        return self.spec.message_id

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    def metadata(self) -> dict[str, str]:
        return {v.name: value for v, value in zip(self.spec.variables, self.variables,
                                                  strict=False)}  # fmt: skip


@cache
def _pattern(template: str) -> re.Pattern[str]:
    out, at = [], 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[at : m.start()]))
        out.append(f"(?P<v{m.group(1)}>.*?)")
        at = m.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out), re.S)


def _camara_codes(spec: FaultSpec) -> set[tuple[int, str]]:
    form = CAMARA_FORMS[spec.code]
    codes = {form.code, *(c for _, c in form.operations)}
    if form.refund_code:
        codes.add(form.refund_code)
    return {(form.status, c) for c in codes}


def read(text: str, candidates: tuple[FaultSpec, ...] | None = None) -> ReadFault | None:
    """The first row of ``candidates`` (default: every row) whose template renders ``text``."""
    for spec in candidates if candidates is not None else (*FAULT_TABLE, UNEXPECTED, TRANSIENT):
        found = _pattern(spec.template).fullmatch(text)
        if found is None:
            continue
        count = len(set(_PLACEHOLDER.findall(spec.template)))
        return ReadFault(spec, [found.group(f"v{i}") for i in range(1, count + 1)])
    return None


def read_camara(status: int, code: str, message: str) -> ReadFault | None:
    """The row of a CAMARA error answer: its status and code pick the rows, its message the
    one (rows that share a template share their messageId too). None for an answer no row
    gives (the token's 401, the rate limit's 429)."""
    rows = tuple(
        spec
        for spec in (*FAULT_TABLE, UNEXPECTED, TRANSIENT)
        if (status, code) in _camara_codes(spec)
    )
    return read(message, rows) if rows else None
