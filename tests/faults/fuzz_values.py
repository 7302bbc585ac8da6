"""Hypothesis strategies for malformed requests, shared by the CORBA and the gRPC fuzz tests.

Values a careless or hostile client sends: text in odd Unicode (bidi overrides, joiners, BOMs,
combining marks, astral planes, fullwidth digits, format strings, SQL), huge text, numbers at
and beyond the edges, decimals outside the xsd:decimal lexical space -- mixed with valid values,
so that requests get past the first check and reach the deeper ones.
"""

from __future__ import annotations

from hypothesis import strategies as st

VALID_TEL = "tel:+821000000000"  # the fuzzed account (opened by the fixtures)
VALID_ACCOUNT = "acct:F00000"
HUGE_REPEAT_MAX = 50_000

ODD_TEXT = [
    "\u202e",  # right-to-left override
    "\u200d\u200b",  # zero-width joiner and space
    "\ufeff",  # byte order mark
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\U0001f600\U0010fffd",  # astral planes
    "가나다",
    "１２３",  # fullwidth digits: Decimal() would take them
    "\u0085\u2028\u2029",  # odd line breaks
    "\t\r\n",
    "%1 %s {0} ${x}",
    "'; DROP TABLE ledger_accounts; --",
    "tel:+82",
    "tel:+8210abc",
    "acct:",
    "IOR:",
    "IOR:0123456789abcdef",
    "corbaloc::127.0.0.1:1/Nothing",
    "\\x00",
    "\x7f\x1b[31m",
    " ",
    "",
]
MALFORMED_DECIMALS = [
    "1e5", "1E-2", "NaN", "-NaN", "Infinity", "-inf", "-0", "0.0000001", "1,000", " 12 ",
    "１２", "1_000", "+5", "", ".", "-", ".5", "5.", "00001", "9" * 41, "1" * 40,
    "99999999999999999999", "-100", "0", "0.5", "100", "12.50", "0x10", "½",
]  # fmt: skip
CURRENCIES = ["KRW", "USD", "KWD", "XXX", "krw", "", "KRWKRW", "€", "\u202eKRW"]


def text(*, nul: bool, chars_max: int = 40) -> st.SearchStrategy[str]:
    """Any text -- NUL only where the surface can carry it (IDL strings cannot) -- odd text,
    and huge text (10^3 to 5x10^4 repeats of a piece: under 2 MB, omniORB's message limit, per request)."""
    excluded = "" if nul else "\x00"
    return st.one_of(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=excluded),
            max_size=chars_max,
        ),
        st.sampled_from(ODD_TEXT),
        st.builds(
            lambda piece, n: piece * n,
            st.sampled_from(["9", "a", "가", "\U0001f600", "tel:+82"]),
            st.integers(1_000, HUGE_REPEAT_MAX),
        ),
    )


def uri(*, nul: bool) -> st.SearchStrategy[str]:
    """End-user identifiers: the real one, well-formed strangers, and junk."""
    return st.one_of(
        st.sampled_from([VALID_TEL, VALID_ACCOUNT]),
        st.builds(lambda d: f"tel:+{d}", st.text("0123456789", max_size=30)),
        st.builds(lambda t: f"acct:{t}", text(nul=nul, chars_max=20)),
        text(nul=nul),
    )


def decimal_text(*, nul: bool) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(MALFORMED_DECIMALS),
        st.integers(-(10**20), 10**20).map(str),
        st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
        text(nul=nul, chars_max=12),
    )


def currency(*, nul: bool) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(CURRENCIES), text(nul=nul, chars_max=5))


INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
EDGE_INT64 = st.sampled_from(
    [0, 1, -1, 2**31, -(2**31) - 1, 10**15, 10**15 + 1, 2**63 - 1, -(2**63)]
)
INT64S = st.one_of(EDGE_INT64, INT64, st.integers(-1000, 100_000))
INT32S = st.one_of(st.sampled_from([0, -1, 1, 2**31 - 1, -(2**31)]), INT32)
