"""The one fault table: complete, well-formed, rendered exactly, and leak-free."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import grpc
import psycopg
import pytest

from charging import errors
from charging.errors import DomainError
from charging.money import to_minor
from scf.common import faults_doc
from scf.common.faults import (
    FAULT_TABLE,
    SPECS,
    TRANSIENT,
    UNEXPECTED,
    Kind,
    domain_error_classes,
    fault_for,
    fault_for_exception,
    render,
    spec_for,
)
from storage.database import StorageUnavailable, TransactionConflict
from tests.conftest import free_port

ALL_SPECS = (*FAULT_TABLE, UNEXPECTED, TRANSIENT)


def project_error_classes() -> list[type[DomainError]]:
    """DomainError and its subclasses defined by the project (not by a test)."""
    homes = ("domain_errors", "charging.", "scf.", "smpp.")
    return [c for c in domain_error_classes() if c.__module__.startswith(homes)]


# -- completeness ---------------------------------------------------------------------------------


def test_the_walk_finds_the_known_errors_recursively() -> None:
    found = set(project_error_classes())
    # InvalidAddress is a grandchild of DomainError (via InvalidInput): the walk is recursive.
    assert {errors.DomainError, errors.InvalidInput, errors.InvalidAddress} <= found
    assert errors.MonthlyLimitExceeded in found


@pytest.mark.parametrize("cls", project_error_classes(), ids=lambda c: c.__name__)
def test_every_domain_error_has_its_own_row(cls: type[DomainError]) -> None:
    assert "code" in vars(cls), f"{cls.__name__} must set its own code"
    assert cls.code in SPECS, f"{cls.__name__} ({cls.code}) has no row in scf/common/faults.py"
    assert spec_for(cls()) is SPECS[cls.code]


def test_codes_are_distinct_across_classes() -> None:
    codes = [c.code for c in project_error_classes()]
    assert len(codes) == len(set(codes))


def test_a_subclass_without_a_row_uses_its_ancestors_row() -> None:
    class Unlisted(errors.InsufficientBalance):  # a test-only class, filtered from the walk
        code = "unlisted_for_this_test"

    assert spec_for(Unlisted()) is SPECS["insufficient_balance"]

    class Bare(DomainError):
        code = "bare_for_this_test"

    fault = fault_for(Bare())
    assert (fault.message_id, fault.variables) == ("POL0001", ["bare_for_this_test"])


# -- well-formed rows -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.code)
def test_row_is_well_formed(spec) -> None:
    assert re.fullmatch(r"(SVC|POL)\d{4}", spec.message_id)
    assert spec.kind is (Kind.SERVICE if spec.message_id.startswith("SVC") else Kind.POLICY)
    placeholders = sorted({int(n) for n in re.findall(r"%(\d+)", spec.template)})
    assert placeholders == list(range(1, len(spec.variables) + 1))
    names = [v.name for v in spec.variables]
    assert len(names) == len(set(names))
    for name in names:  # google.rpc.ErrorInfo.metadata keys (AIP-193)
        assert re.fullmatch(r"[a-z][a-zA-Z0-9-_]+", name) and len(name) <= 64
    assert re.fullmatch(r"[A-Z][A-Z0-9_]+[A-Z0-9]", spec.message_id)  # ErrorInfo.reason
    assert spec.grpc_code in grpc.StatusCode.__members__
    assert spec.grpc_code != "OK" and 400 <= spec.http_status <= 599


def test_the_named_refusals_have_distinct_codes() -> None:
    expected = {
        "unregistered_account": "POL1009",
        "account_suspended": "POL1010",
        "account_expired": "POL1101",
        "account_closed": "POL1102",
        "insufficient_balance": "POL1000",
        "monthly_limit_exceeded": "POL1001",
        "transaction_limit_exceeded": "POL0254",
        "wrong_pin": "SVC0250",
        "pin_locked": "POL1103",
        "reference_code_reused": "SVC1102",
        "unknown_reservation": "SVC1101",
    }
    assert {code: SPECS[code].message_id for code in expected} == expected
    assert len(set(expected.values())) == len(expected)


def test_standard_texts_are_kept_as_prefixes() -> None:
    standard = {
        "SVC0001": "A service error occurred. Error code is %1",
        "SVC0002": "Invalid input value for message part %1",
        "SVC0005": "Correlator %1 specified in message part %2 is a duplicate",
        "SVC0007": "Invalid charging information",
        "SVC0008": "Overlapped Criteria %1",
        "SVC0250": "End user authentication failed.",
        "SVC0251": "Voucher %1 is not valid.",
        "SVC0280": "Message too long. Maximum length is %1 characters",
        "POL0001": "A policy error occurred. Error code is %1",
        "POL0008": "Charging is not supported",
        "POL0254": "The amount exceeds the operator limit for a single charge",
        "POL1000": "User has insufficient credit for transaction",
        "POL1001": "The %1 operator charging limit for this user has been exceeded",
        "POL1009": "User has not been provisioned for %1",
        "POL1010": "User has been suspended from %1",
    }
    for spec in ALL_SPECS:
        if spec.message_id in standard:
            assert spec.template.startswith(standard[spec.message_id]), spec.code


# -- rendering ------------------------------------------------------------------------------------

RENDER_CASES = [
    # (error, context, messageId, rendered text, variables)
    (
        errors.MonthlyLimitExceeded(
            amount=20000, limit=300000, spent=290000, reserved=0, currency="KRW"
        ),
        None,
        "POL1001",
        "The monthly operator charging limit for this user has been exceeded "
        "(limit 300000, spent 290000, reserved 0, attempted 20000 KRW)",
        ["monthly", "300000", "290000", "0", "20000", "KRW"],
    ),
    (
        errors.InsufficientBalance(amount_minor=1000, balance_minor=150, currency="USD"),
        None,
        "POL1000",
        "User has insufficient credit for transaction (available 1.50, attempted 10.00 USD)",
        ["1.50", "10.00", "USD"],
    ),
    (  # the currency comes from the surface's context when the error has none
        errors.TransactionLimitExceeded(amount=5001, limit=5000),
        {"currency": "KWD"},
        "POL0254",
        "The amount exceeds the operator limit for a single charge "
        "(limit 5.000, attempted 5.001 KWD)",
        ["5.000", "5.001", "KWD"],
    ),
    (  # no currency anywhere: minor units are labelled, never guessed
        errors.TransactionLimitExceeded(amount=5001, limit=5000),
        None,
        "POL0254",
        "The amount exceeds the operator limit for a single charge "
        "(limit 5000 (minor units), attempted 5001 (minor units) unspecified)",
        ["5000 (minor units)", "5001 (minor units)", "unspecified"],
    ),
    (
        errors.ReservationExceeded(amount=700, reserved=500, currency="KRW"),
        {"reservationIdentifier": "r-42"},
        "SVC1103",
        "The charge of 700 exceeds the 500 reserved by reservation r-42 (KRW)",
        ["700", "500", "r-42", "KRW"],
    ),
    (
        errors.RefundExceedsCharges(amount=1200, refundable=1000, currency="EUR"),
        None,
        "POL1104",
        "The refund of 12.00 exceeds the 10.00 still refundable (EUR)",
        ["12.00", "10.00", "EUR"],
    ),
    (
        errors.CurrencyMismatch(currency="USD", account_currency="KRW"),
        None,
        "SVC0007",
        "Invalid charging information: currency USD is not the account's currency KRW",
        ["USD", "KRW"],
    ),
    (
        errors.UnregisteredAccount(account="ACC-1"),
        None,
        "POL1009",
        "User has not been provisioned for micro-payment",
        ["micro-payment"],
    ),
    (
        errors.AccountExpired(account="ACC-1", valid_until="2026-01-31"),
        None,
        "POL1101",
        "User's micro-payment account expired on 2026-01-31",
        ["micro-payment", "2026-01-31"],
    ),
    (
        errors.VoucherInvalid(),
        {"voucherIdentifier": "V-123"},
        "SVC0251",
        "Voucher V-123 is not valid.",
        ["V-123"],
    ),
    (
        errors.ReferenceCodeReused(app_id="shop"),
        {"referenceCode": "order-7"},
        "SVC1102",
        "referenceCode order-7 was already used for a different request",
        ["order-7"],
    ),
    (  # the error's own value wins over the context
        errors.UnknownReservation(reservation_identifier="r-1"),
        {"reservationIdentifier": "r-2"},
        "SVC1101",
        "Reservation r-1 is unknown, expired or already closed",
        ["r-1"],
    ),
    (
        errors.InvalidInput(field="endUserIdentifier", reason="empty"),
        None,
        "SVC0002",
        "Invalid input value for message part endUserIdentifier",
        ["endUserIdentifier"],
    ),
    (
        errors.InvalidAddress(address="tel:123"),
        None,
        "SVC0002",
        "Invalid input value for message part address",
        ["address"],
    ),
    (
        errors.PinLocked(account="ACC-1"),
        None,
        "POL1103",
        "End user authentication is locked after too many failures; retry after the lockout period",
        ["the lockout period"],
    ),
    (
        errors.PinLocked(account="ACC-1", locked_until="2026-05-01T03:15:00.250000+00:00"),
        None,
        "POL1103",
        "End user authentication is locked after too many failures;"
        " retry after 2026-05-01T03:15:01Z",
        ["2026-05-01T03:15:01Z"],  # UTC with Z, as every date and time micropay answers
    ),
    (
        errors.PinLocked(account="ACC-1", locked_until="2026-05-01T12:15:00+09:00"),
        None,
        "POL1103",
        "End user authentication is locked after too many failures;"
        " retry after 2026-05-01T03:15:00Z",
        ["2026-05-01T03:15:00Z"],
    ),
    (errors.WrongPin(account="ACC-1"), None, "SVC0250", "End user authentication failed.", []),
]


@pytest.mark.parametrize(("error", "context", "message_id", "text", "variables"), RENDER_CASES)
def test_rendering(error, context, message_id, text, variables) -> None:
    fault = fault_for(error, context)
    assert (fault.message_id, fault.text, fault.variables) == (message_id, text, variables)
    assert fault.template == SPECS[error.code].template
    assert render(fault.template, fault.variables) == fault.text
    assert fault.error_info() == {
        "reason": message_id,
        "domain": "micropay",
        "metadata": dict(zip(fault.variable_names, variables, strict=True)),
    }


def test_invalid_amount_from_the_money_module() -> None:
    with pytest.raises(DomainError) as caught:
        to_minor("12.5", "KRW")
    fault = fault_for(caught.value)
    assert fault.message_id == "SVC0007" and fault.kind is Kind.SERVICE
    assert fault.text == (
        "Invalid charging information: amount '12.5' refused, KRW has 0 decimal places at most"
    )
    assert (fault.grpc_code, fault.http_status) == ("INVALID_ARGUMENT", 400)


def test_a_value_that_looks_like_a_placeholder_is_not_substituted_again() -> None:
    fault = fault_for(errors.InvalidInput(part="%2"), None)
    assert fault.text == "Invalid input value for message part %2"


def test_http_body_is_the_oneapi_shape() -> None:
    fault = fault_for(errors.AccountSuspended(account="ACC-1"))
    assert fault.http_status == 403
    assert fault.http_body() == {
        "requestError": {
            "policyException": {
                "messageId": "POL1010",
                "text": "User has been suspended from %1",
                "variables": ["micro-payment"],
            }
        }
    }


def test_only_the_tables_variables_leave_the_server() -> None:
    fault = fault_for(errors.UnregisteredAccount(account="ACC-SECRET-1", pin="1234"))
    exposed = repr((fault.text, fault.variables, fault.error_info(), fault.http_body()))
    assert "ACC-SECRET-1" not in exposed and "1234" not in exposed


# -- exceptions that are not domain errors --------------------------------------------------------


def _exposed(fault) -> str:
    return repr(
        (fault.text, fault.template, fault.variables, fault.error_info(), fault.http_body())
    )


def real_driver_errors(tmp_path: Path) -> list[BaseException]:
    """Errors raised by the real drivers, carrying SQL, paths and host names in their text."""
    found: list[BaseException] = []
    db = sqlite3.connect(tmp_path / "secret-ledger.db")
    try:
        db.execute("SELECT pin_hash FROM accounts WHERE msisdn = 'tel:+821012345678'")
    except sqlite3.Error as exc:
        found.append(exc)
    finally:
        db.close()
    try:  # nothing listens on this port: the driver names host, port and user
        psycopg.connect(
            host="127.0.0.1", port=free_port(), user="ledger_admin", dbname="x", connect_timeout=2
        )
    except psycopg.Error as exc:
        found.append(exc)
    found.append(RuntimeError("UPDATE accounts SET balance_minor = 0 -- internal detail"))
    found.append(AssertionError("invariant broken: /srv/micropay/var/ledger.db"))
    return found


def test_unexpected_errors_leak_nothing(tmp_path: Path, caplog) -> None:
    caught = real_driver_errors(tmp_path)
    assert len(caught) == 4
    for exc in caught:
        with caplog.at_level(logging.ERROR, logger="micropay.faults"):
            fault = fault_for_exception(exc)
        assert (fault.message_id, fault.kind, fault.grpc_code, fault.http_status) == (
            "SVC0001",
            Kind.SERVICE,
            "INTERNAL",
            500,
        )
        assert fault.variables == [fault.incident] and re.fullmatch(r"[0-9a-f]{12}", fault.incident)
        exposed = _exposed(fault)
        own_words = set(UNEXPECTED.template.split())
        for word in str(exc).split():
            if len(word) > 3 and word not in own_words:
                assert word not in exposed, (word, exposed)
        # ... while the operator finds the whole story in the log under the incident id
        record = caplog.records[-1]
        assert fault.incident in record.getMessage() and record.exc_info[1] is exc


@pytest.mark.parametrize(
    "exc",
    [
        StorageUnavailable("could not connect to server at 10.0.0.5"),
        TransactionConflict("deadlock detected on relation accounts"),
        TimeoutError("SMSC bind timed out"),
        ConnectionError("connection reset by 10.0.0.9"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_transient_errors_say_retry_and_nothing_else(exc) -> None:
    fault = fault_for_exception(exc)
    assert (fault.message_id, fault.text, fault.variables) == ("SVC1000", "No resources", [])
    assert (fault.grpc_code, fault.http_status) == ("UNAVAILABLE", 503)
    assert str(exc) not in _exposed(fault)


def test_fault_for_exception_passes_domain_errors_through_the_table() -> None:
    fault = fault_for_exception(errors.VoucherInvalid(), {"voucherIdentifier": "V-9"})
    assert (fault.message_id, fault.variables, fault.incident) == ("SVC0251", ["V-9"], None)


# -- the documentation ----------------------------------------------------------------------------


def test_docs_faults_md_is_the_table() -> None:
    current = faults_doc.DOC.read_text(encoding="utf-8")
    assert faults_doc.rendered_document(current) == current, (
        "docs/faults.md is stale: run .venv/bin/python -m scf.common.faults_doc --write"
    )
    for spec in FAULT_TABLE:
        assert f"`{spec.code}`" in current and f"**{spec.message_id}**" in current
