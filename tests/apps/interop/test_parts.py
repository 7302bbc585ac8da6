"""The harness's parts on their own: its CHAP against the framework's, the refusal checks (which
must be able to fail), the test profile, amounts, and the three reports of a made-up run."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.interop import chap, money, report_html, report_junit, report_text
from apps.interop.catalogue_doc import DOC, updated
from apps.interop.model import Result, Verdict, catalogue
from apps.interop.profile import (
    AccountStatus,
    ProfileError,
    classify,
    load_profile,
    parse_test_account,
)
from apps.interop.profile import (
    TestAccount as Account,
)
from apps.interop.progress import Progress
from apps.interop.refusals import Refusal, check_refusal, expect_refusal
from apps.interop.runner import Run
from framework.core import chap as framework_chap

MECHANISMS = ("P_OSA_HMAC_SHA256", "P_OSA_MD5")


# -- CHAP: the harness's own code agrees with the framework's, both ways --------------------------
@given(
    mechanism=st.sampled_from(MECHANISMS),
    identifier=st.integers(0, 255),
    secret=st.binary(min_size=16, max_size=64),
    value=st.binary(min_size=8, max_size=64),
)
def test_chap_agrees_with_the_framework(
    mechanism: str, identifier: int, secret: bytes, value: bytes
) -> None:
    _, _, packet = chap.challenge_packet(identifier, value)
    challenge = framework_chap.decode(packet, 1)
    parties = (b"micropay", b"interop-app")
    fw_challenges, app_challenges = (
        framework_chap.Binding(direction, *parties) for direction in framework_chap.Direction
    )
    ours = chap.response_packet(mechanism, packet, secret, parties)
    assert framework_chap.verify(mechanism, challenge, ours, secret, fw_challenges)
    theirs = framework_chap.answer(mechanism, challenge, secret, b"fw", app_challenges).encode()
    assert chap.check_response(mechanism, identifier, value, theirs, secret, parties) == ""
    assert chap.check_response(mechanism, identifier, value, theirs, b"x" + secret, parties) != ""


def test_chap_refuses_what_is_not_a_challenge() -> None:
    for packet in (b"", b"\x02\x01\x00\x06\x01x", b"\x01\x01\x00\x40\x01x"):
        with pytest.raises(ValueError):
            chap.response_packet(
                "P_OSA_HMAC_SHA256", packet, b"secret-secret-secret", (b"micropay", b"app")
            )


# -- refusals: the checks fail when the IUT answers otherwise --------------------------------------
def _raise(refusal: Refusal) -> None:
    raise refusal


def test_expect_refusal_accepts_the_standard_answer() -> None:
    corba = Refusal("SVC0002", "service", "Invalid input value for message part %1", ["addresses"])
    assert expect_refusal(lambda: _raise(corba), "SVC0002", part="addresses") is corba
    grpc = Refusal("POL1009", "policy", "", metadata={"service": "x"}, grpc_code="NOT_FOUND")
    expect_refusal(lambda: _raise(grpc), "POL1009")
    common = Refusal(
        "TpCommonExceptions", "framework", "", exception_type="P_NO_CALLBACK_ADDRESS_SET"
    )
    expect_refusal(
        lambda: _raise(common), "TpCommonExceptions", exception_type="P_NO_CALLBACK_ADDRESS_SET"
    )


@pytest.mark.parametrize(
    ("refusal", "names", "part", "why"),
    [
        (Refusal("SVC0007", "service"), ("SVC0002",), None, "expected SVC0002"),
        (Refusal("POL1009", "service"), ("POL1009",), None, "PolicyException"),
        (
            Refusal("SVC0002", "service", variables=["message"]),
            ("SVC0002",),
            "addresses",
            "message part",
        ),
        (Refusal("SVC0002", "service", grpc_code="INTERNAL"), ("SVC0002",), None, "gRPC status"),
        (
            Refusal("OBJECT_NOT_EXIST", "system"),
            ("P_ACCESS_DENIED",),
            None,
            "expected P_ACCESS_DENIED",
        ),
    ],
)
def test_expect_refusal_fails_on_another_answer(
    refusal: Refusal, names: tuple[str, ...], part: str | None, why: str
) -> None:
    with pytest.raises(AssertionError, match=why):
        expect_refusal(lambda: _raise(refusal), *names, part=part)


def test_expect_refusal_fails_and_undoes_an_unexpected_success() -> None:
    undone: list[str] = []
    with pytest.raises(AssertionError, match="succeeded"):
        expect_refusal(lambda: "reservation-1", "SVC1101", on_success=undone.append)
    assert undone == ["reservation-1"]


def test_check_refusal_of_the_wrong_exception_type() -> None:
    with pytest.raises(AssertionError, match="ExceptionType"):
        check_refusal(Refusal("TpCommonExceptions", "framework", exception_type="P_TASK_REFUSED"),
                      ("TpCommonExceptions",), exception_type="P_INVALID_STATE")  # fmt: skip


# -- the test profile --------------------------------------------------------------------------------
def test_test_accounts_from_the_command_line() -> None:
    account = parse_test_account("acct:IOP-1,pin=4321,role=lockable")
    assert (account.address, account.pin, account.roles) == (
        "acct:IOP-1",
        "4321",
        {"lockable", "pinned"},
    )
    assert parse_test_account("tel:+821012345678,kind=postpaid").roles == {"postpaid"}
    for bad in ("IOP-1", "acct:X,role=admin", "acct:X,colour=red", "acct:X,kind=credit"):
        with pytest.raises(ProfileError):
            parse_test_account(bad)


def test_a_profile_file(tmp_path: Path) -> None:
    (tmp_path / "peer.secret").write_text("a secret of sixteen+ bytes\n")
    (tmp_path / "peer.pem").write_text("not read until used")
    (tmp_path / "p.toml").write_text(
        '[[account]]\naddress = "acct:A"\npin = "1"\nroles = ["lockable"]\n'
        '[[account]]\naddress = "tel:+821000000001"\nkind = "postpaid"\n'
        '[[voucher]]\nid = "V1"\npin = "P1"\n[sms]\nbilling_account = "acct:B"\n'
        '[peer]\napp_id = "peer"\nsecret_file = "peer.secret"\nprivate_key = "peer.pem"\n'
        "[framework]\nmd5 = true\naccess_sessions_max = 64\n"
        '[payment]\nvolume_parameters = { tariff = "video" }\n'
    )
    profile = load_profile(tmp_path / "p.toml")
    assert [a.address for a in profile.accounts] == ["acct:A", "tel:+821000000001"]
    assert profile.accounts[0].roles == {"lockable", "pinned"}
    assert profile.recipients == ["tel:+821000000001"]
    assert profile.peer is not None and profile.peer.secret == b"a secret of sixteen+ bytes"
    assert (profile.md5_allowed, profile.access_sessions_max) == (True, 64)
    assert profile.volume_parameters == {"tariff": "video"} and profile.vouchers[0].id == "V1"
    (tmp_path / "bad.toml").write_text('[[account]]\npin = "1"\n')
    with pytest.raises(ProfileError, match="address"):
        load_profile(tmp_path / "bad.toml")


def test_roles_from_the_account_status() -> None:
    small = Decimal(10)
    active = dict(registered=True, state="Active", currency="KRW", month_to_date_spend=Decimal(0))
    plain = AccountStatus(**active, balance=Decimal(100_000), remaining_headroom=Decimal(100_000))
    assert classify(Account("acct:A"), plain, small) == {"active", "funded", "unlimited"}
    limited = AccountStatus(**active, balance=Decimal(100_000), remaining_headroom=Decimal(2000),
                            transaction_limit=Decimal(2000), monthly_limit=Decimal(5000))  # fmt: skip
    assert classify(Account("acct:B"), limited, small) == {"active", "funded", "limited"}
    monthly = AccountStatus(**active, balance=Decimal(100_000), remaining_headroom=Decimal(5000),
                            monthly_limit=Decimal(5000))  # fmt: skip
    assert classify(Account("acct:M"), monthly, small) == {"active", "funded", "monthly"}
    low = AccountStatus(**active, balance=Decimal(10_000), remaining_headroom=Decimal(10_000),
                        low_balance_threshold=Decimal(9000))  # fmt: skip
    assert "low" in classify(Account("acct:C"), low, small)
    assert classify(Account("acct:D"), AccountStatus(False, "Unregistered"), small) == {
        "unregistered"
    }
    assert classify(Account("acct:E"), AccountStatus(True, "Suspended", "KRW"), small) == {
        "suspended"
    }


# -- amounts ---------------------------------------------------------------------------------------
def test_amounts_are_exact() -> None:
    assert money.text(Decimal(10), "KRW") == "10" and money.text(Decimal("0.1"), "USD") == "0.10"
    assert money.wire_minor("12.50", "USD") == (1250, 2)
    assert money.wire_minor("12.5", "KRW") == (125, 1)  # reaches the IUT as written, to be refused
    assert money.finer("10") == "10.5" and money.finer("0.10") == "0.105"
    assert money.to_minor(Decimal("1.25"), "USD") == 125
    with pytest.raises(ValueError):
        money.to_minor(Decimal("1.255"), "USD")


# -- reports of a made-up run --------------------------------------------------------------------------
def _run() -> Run:
    purposes = {p.id: p for p in catalogue()}
    run = Run("corba", "corbaloc::127.0.0.1:2809/IpInitial", "iop", "abcd1234", 1_800_000_000.0)
    run.results = [
        Result(purposes["FW/INI/BV-01"], "corba", Verdict.PASS, 0.01, notes=["framework id 'x'"]),
        Result(purposes["PAY/AMT/BV-01"], "corba", Verdict.FAIL, 0.02, "the balance moved by 0",
               "Traceback ...", cleanup=["refundAmount 10 KRW to acct:A"]),
        Result(purposes["SMS/NOT/BV-01"], "corba", Verdict.INCONCLUSIVE, 0.0, "no MO hook"),
        Result(purposes["AM/BAL/BV-01"], "corba", Verdict.ERROR, 60.0, "timed out <after> 60 s"),
    ]  # fmt: skip
    run.balances = [("acct:A", "100", "100"), ("acct:B", "50", "40")]
    run.duration_s = 60.03
    return run


def test_junit_counts_every_verdict(tmp_path: Path) -> None:
    report_junit.write(_run(), tmp_path / "j.xml")
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "4",
        "1",
        "1",
        "1",
    )
    cases = {c.get("name", "").split()[0]: c for c in root.iter("testcase")}
    assert cases["PAY/AMT/BV-01"].find("failure") is not None
    assert cases["AM/BAL/BV-01"].find("error") is not None
    assert "inconclusive" in (cases["SMS/NOT/BV-01"].find("skipped").get("message") or "")  # type: ignore[union-attr]
    assert cases["FW/INI/BV-01"].get("classname") == "interop.corba.framework.INI"


def test_html_is_self_contained_and_escaped() -> None:
    page = report_html.render(_run())
    assert "NOT PASSED" in page and "PAY/AMT/BV-01" in page and "&lt;after&gt;" in page
    assert "http" not in page and "<script" not in page and "<link" not in page


def test_the_summary_table_says_what_did_not_pass() -> None:
    text = report_text.table(_run())
    assert "verdict: NOT PASSED" in text and "PAY/AMT/BV-01" in text
    assert "acct:B 50 -> 40" in text
    assert report_text.as_json(_run())["counts"] == {"pass": 1, "fail": 1, "inconc": 1, "error": 1}


def test_progress_without_a_terminal_writes_a_line_per_purpose() -> None:
    out = io.StringIO()
    progress = Progress(4, "corba", out)
    for i, result in enumerate(_run().results):
        progress.start(i, result.purpose)
        progress.done(i, result)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert (
        len(lines) == 4
        and lines[1].startswith("[  2/4] FAIL   PAY/AMT/BV-01")
        and "\r" not in out.getvalue()
    )


def test_the_catalogue_page_is_up_to_date() -> None:
    text = DOC.read_text()
    assert updated(text) == text, "run: python -m apps.interop.catalogue_doc --write"


# -- CAMARA: the answers' check (it must be able to fail), amounts, the document ------------------
def _answer(method: str, path: str, status: int, body: object) -> httpx.Response:
    request = httpx.Request(method, f"https://gw.example:8443{path}",
                            headers={"content-type": "application/json"}, content=b"{}")  # fmt: skip
    return httpx.Response(status, json=body, request=request)


def test_the_openapi_check_fails_an_answer_that_does_not_conform() -> None:
    from apps.interop.openapi_check import OpenApiCheck
    from camara.openapi import document

    check = OpenApiCheck(document("https://gw.example:8443"))
    pay = "/carrier-billing/v0.5/payments"
    error = {"status": 403, "code": "CARRIER_BILLING.PAYMENT_DENIED", "message": "no"}
    check.check(_answer("POST", pay, 403, error))  # an error code createPayment may answer
    with pytest.raises(AssertionError, match="not as the served document says"):
        check.check(_answer("POST", pay, 403, {**error, "code": "CARRIER_BILLING.INVALID_CODE"}))
    with pytest.raises(AssertionError, match="not as the served document says"):
        check.check(_answer("POST", pay, 201, {"paymentId": "p"}))  # required fields missing
    with pytest.raises(AssertionError, match="not as the served document says"):
        check.check(_answer("POST", pay, 418, error))  # a status the operation does not have
    assert check.checked == 1
    assert check.check(_answer("POST", "/oauth2/token", 200, {})).status_code == 200  # not checked


def test_the_served_document_must_be_r32s() -> None:
    from apps.interop.openapi_check import r32_problems
    from camara.openapi import document

    served = document("https://gw.example:8443")
    assert r32_problems(served) == []
    del served["paths"]["/carrier-billing/v0.5/payments/{paymentId}/validate"]
    served["components"]["securitySchemes"] = {}
    problems = r32_problems(served)
    assert any("validatePayment" in p for p in problems), problems
    assert any("openIdConnect" in p for p in problems), problems


def test_camara_amounts_are_exact_json_numbers() -> None:
    from apps.interop.camara_api import dumps, loads

    text = dumps({"amount": Decimal("0.10"), "n": 3, "text": "\x00interop-decimal:1"})
    assert text.startswith('{"amount": 0.10, "n": 3,'), text
    assert loads(text)["amount"] == Decimal("0.10")
    assert loads(text)["text"] == "\x00interop-decimal:1"  # a client's text stays text


def test_a_camara_account_declares_role_and_currency(tmp_path: Path) -> None:
    account = parse_test_account("tel:+821077700012,role=confirming,currency=krw")
    assert account.roles == {"confirming"} and account.currency == "KRW"
    (tmp_path / "p.toml").write_text(
        '[[account]]\naddress = "tel:+821077700001"\nroles = ["funded"]\ncurrency = "KRW"\n'
    )
    [loaded] = load_profile(tmp_path / "p.toml").accounts
    assert loaded.all_roles == {"funded"} and loaded.currency == "KRW"
