"""Test purposes, verdicts and results: the data the catalogue, the runner and the reports share.

A test purpose follows the ETSI TSS&TP style (ES 202 388-x): an identifier, the clause of the
standard it checks, the precondition, the stimulus and the expected result, plus a small function
that performs it against the implementation under test (IUT). Identifiers read
``SUITE/GROUP/CAT-NN`` where CAT is ETSI's BV (valid behaviour), BI (invalid behaviour) or BO
(inopportune behaviour), e.g. ``PAY/AMT/BI-03``.

A purpose's function returns on **pass**, raises :class:`Inconclusive` when a precondition is
missing (no test account of the needed kind, a hook the operator did not configure) and
``AssertionError`` on **fail**; anything else it raises is an **error** of the test system or an
unexpected answer of the IUT, both reported with the exception.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SUITES = ("framework", "payment", "account", "sms", "camara")
# The framework's and SCFs' purposes run over these two (the default of ``tp``); the CAMARA
# Carrier Billing purposes (suite ``camara``) over HTTP, the API's only transport.
TRANSPORTS = ("corba", "grpc")
ALL_TRANSPORTS = ("corba", "grpc", "camara")
_ID = re.compile(r"^(FW|PAY|AM|SMS|CB)/[A-Z]{3}/(BV|BI|BO)-\d{2}$")
_SUITE_OF = {"FW": "framework", "PAY": "payment", "AM": "account", "SMS": "sms", "CB": "camara"}
# The order groups run in (the test suite structure): a group not listed runs last.
GROUPS = ("INI", "AUT", "ACC", "DIS", "SAM",  # framework
          "STA", "BAL", "PIN", "HIS", "REC", "VOU", "NOT",  # account management
          "AMT", "SPL", "VOL", "RES", "RVL",  # payment
          "SND", "DLV", "NOT", "RCV",  # sms
          "TOK", "ONE", "TWO", "VAL", "IDM", "PAG", "REF")  # camara  # fmt: skip


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconc"
    ERROR = "error"


class Inconclusive(Exception):
    """The purpose could not be run: a precondition is missing (not a failure of the IUT)."""


@dataclass(frozen=True)
class Purpose:
    id: str
    title: str
    clause: str
    precondition: str
    stimulus: str
    expected: str
    run: Callable[[Any], None]
    transports: tuple[str, ...] = TRANSPORTS
    destructive: bool = False  # moves money or locks something: only on named test accounts
    covers: tuple[str, ...] = ()  # operations and faults (IDL / messageId names) it exercises
    timeout_s: float = 60.0

    @property
    def suite(self) -> str:
        return _SUITE_OF[self.id.split("/", 1)[0]]

    @property
    def group(self) -> str:
        return self.id.split("/")[1]


@dataclass
class Result:
    purpose: Purpose
    transport: str
    verdict: Verdict
    duration_s: float
    reason: str = ""  # why it did not pass (one line)
    detail: str = ""  # traceback or longer explanation
    notes: list[str] = field(default_factory=list)  # what was observed, in order
    cleanup: list[str] = field(default_factory=list)  # compensations made afterwards


CATALOGUE: list[Purpose] = []


def tp(
    id: str,
    title: str,
    *,
    clause: str,
    pre: str,
    stimulus: str,
    expected: str,
    transports: tuple[str, ...] = TRANSPORTS,
    destructive: bool = False,
    covers: tuple[str, ...] = (),
    timeout_s: float = 60.0,
) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register the decorated function as the test purpose ``id`` (data plus a small function)."""

    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        assert _ID.match(id), f"bad test purpose id {id!r}"
        assert all(t in ALL_TRANSPORTS for t in transports), transports
        assert id not in {p.id for p in CATALOGUE}, f"duplicate test purpose id {id}"
        CATALOGUE.append(
            Purpose(
                id,
                title,
                clause,
                pre,
                stimulus,
                expected,
                fn,
                tuple(transports),
                destructive,
                tuple(covers),
                timeout_s,
            )
        )
        return fn

    return register


def catalogue() -> list[Purpose]:
    """Every test purpose, in catalogue order (suite, then the order the modules declare)."""
    import apps.interop.catalogue  # noqa: F401  (registers the purposes)

    suite = {s: i for i, s in enumerate(SUITES)}
    group = {g: i for i, g in enumerate(GROUPS)}
    category = {"BV": 0, "BI": 1, "BO": 2}
    return sorted(
        CATALOGUE,
        key=lambda p: (
            suite[p.suite],
            group.get(p.group, len(GROUPS)),
            category[p.id[-5:-3]],
            p.id,
        ),
    )


def select(
    purposes: list[Purpose],
    transport: str,
    suites: tuple[str, ...] = SUITES,
    patterns: tuple[str, ...] = (),
) -> list[Purpose]:
    """The purposes of these suites that apply to the transport (and match a pattern, if any:
    an id prefix such as ``PAY/RES`` or a full id)."""
    chosen = [p for p in purposes if p.suite in suites and transport in p.transports]
    if patterns:
        chosen = [p for p in chosen if any(p.id.startswith(x) for x in patterns)]
    return chosen
