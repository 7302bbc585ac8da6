"""``micropay account`` and ``micropay voucher`` as operators run them: real processes, --json,
exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CLI_TIMEOUT_S = 30


@pytest.fixture
def micropay(tmp_path: Path):
    """Run ``micropay --json ARGS`` against a ledger in ``tmp_path``: (exit code, JSON, stderr)."""

    def run(*args: str, url: str | None = None) -> tuple[int, object, str]:
        env = {
            **os.environ,
            "MICROPAY_DATA_DIR": str(tmp_path / "var"),
            "MICROPAY_LEDGER_URL": url or "",
        }
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "--json", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
        )
        out = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, out, done.stderr

    return run


def test_account_life_cycle(micropay, tmp_path):
    pin_file = tmp_path / "pin"
    pin_file.write_text("2468\n")
    code, account, _ = micropay(
        "account", "create", "1001", "--msisdn", "tel:+82-10-1234-5678", "--currency", "KRW",
        "--balance", "10000", "--monthly-limit", "50000", "--transaction-limit", "20000",
        "--low-balance", "3000", "--valid-until", "2099-12-31", "--pin-file", str(pin_file),
    )  # fmt: skip
    assert code == 0
    assert account["msisdn"] == "tel:+821012345678"
    assert (account["balance"], account["headroom"], account["has_pin"]) == ("10000", "50000", True)
    assert (tmp_path / "var" / "ledger.db").exists()  # the default ledger URL: <data>/ledger.db

    code, topped, _ = micropay(
        "account", "topup", "1001", "5000", "--reference", "t-1", "--extend-days", "30"
    )
    assert (code, topped["balance"], topped["replayed"]) == (0, "15000", False)
    code, again, _ = micropay(
        "account", "topup", "1001", "5000", "--reference", "t-1", "--extend-days", "30"
    )
    assert (code, again["balance"], again["replayed"]) == (0, "15000", True)

    code, changed, _ = micropay(
        "account", "set", "1001", "--monthly-limit", "none", "--valid-until", "none"
    )
    assert (code, changed["monthly_limit"], changed["headroom"], changed["valid_until"]) == (
        0,
        None,
        None,
        None,
    )

    assert micropay("account", "suspend", "1001")[1]["state"] == "suspended"
    code, shown, _ = micropay("account", "show", "1001")
    assert (code, shown["state"]) == (0, "suspended")
    assert micropay("account", "resume", "1001")[1]["state"] == "active"

    code, history, _ = micropay("account", "history", "1001")
    assert code == 0 and [h["kind"] for h in history] == ["recharge", "opening"]
    assert micropay("account", "close", "1001")[1]["state"] == "closed"
    code, accounts, _ = micropay("account", "list")
    assert code == 0 and [a["number"] for a in accounts] == ["1001"]


def test_usd_amounts_are_exact_decimals(micropay):
    code, account, _ = micropay(
        "account", "create", "2001", "--msisdn", "tel:+12025550100", "--currency", "USD",
        "--balance", "12.50", "--kind", "prepaid",
    )  # fmt: skip
    assert (code, account["balance"]) == (0, "12.50")
    code, out, err = micropay("account", "topup", "2001", "0.005")
    assert code == 1 and out is None
    assert err.startswith("micropay: error: Invalid amount") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("account", "show", "9999"), "not registered"),
        (("account", "create", "3001", "--msisdn", "tel:+82", "--currency", "KRW"), "address"),
        (("account", "create", "3001", "--msisdn", "010-1234", "--currency", "KRW"), "address"),
        (
            (
                "account",
                "create",
                "3001",
                "--msisdn",
                "tel:+821030010001",
                "--currency",
                "KRW",
                "--balance",
                "1.5",
            ),
            "amount",
        ),
        (
            ("account", "create", "3001", "--msisdn", "tel:+821030010001", "--currency", "XYZ"),
            "currency",
        ),
        (
            (
                "account",
                "create",
                "3001",
                "--msisdn",
                "tel:+821030010001",
                "--currency",
                "KRW",
                "--pin-file",
                "/nonexistent",
            ),
            "PIN file",
        ),
        (
            (
                "account",
                "create",
                "3001",
                "--msisdn",
                "tel:+821030010001",
                "--currency",
                "KRW",
                "--kind",
                "postpaid",
            ),
            "monthly_limit",
        ),
        (
            (
                "account",
                "create",
                "3001",
                "--msisdn",
                "tel:+821030010001",
                "--currency",
                "KRW",
                "--valid-until",
                "2000-01-01",
            ),
            "past",
        ),
        (("account", "set", "9999", "--low-balance", "5"), "not registered"),
        (("voucher", "issue", "0", "--currency", "KRW"), "amount"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(micropay, args, message):
    micropay("account", "create", "3000", "--msisdn", "tel:+821030000001", "--currency", "KRW")
    code, out, err = micropay(*args)
    assert code == 1 and out is None
    assert err.startswith("micropay: error:") and message in err and err.count("\n") == 1


def test_usage_errors_exit_2(micropay):
    code, _, err = micropay("account", "create", "3001", "--currency", "KRW")
    assert code == 2 and "--msisdn" in err


def test_vouchers_are_issued_with_a_pin_shown_once(micropay):
    code, issued, _ = micropay("voucher", "issue", "5000", "--currency", "KRW", "--count", "2")
    assert code == 0 and len(issued) == 2
    assert all(len(v["pin"]) == 16 and v["amount"] == "5000" for v in issued)
    code, listed, _ = micropay("voucher", "list", "--state", "issued")
    assert code == 0 and sorted(v["voucher_id"] for v in listed) == sorted(
        v["voucher_id"] for v in issued
    )
    assert not any("pin" in v for v in listed)


@pytest.mark.postgres
def test_the_ledger_url_may_name_postgresql(micropay, postgres_url):
    code, account, _ = micropay(
        "account", "create", "4001", "--msisdn", "tel:+821055500001", "--currency", "KRW",
        "--kind", "postpaid", "--monthly-limit", "300000", url=postgres_url,
    )  # fmt: skip
    assert (code, account["balance"], account["kind"]) == (0, "300000", "postpaid")
    code, shown, _ = micropay("account", "show", "4001", url=postgres_url)
    assert (code, shown["state"]) == (0, "active")


def test_one_phone_one_open_account_whatever_the_spelling(micropay):
    """010-7700-0090, tel:01077000090 and tel:+821077000090 are one phone (numbers.default_region
    KR): stored as tel:+821077000090, and a second open account for it is refused."""
    code, account, _ = micropay(
        "account", "create", "5001", "--msisdn", "010-7700-0090", "--currency", "KRW"
    )  # fmt: skip
    assert (code, account["msisdn"]) == (0, "tel:+821077000090")
    for spelling in ("tel:+821077000090", "tel:01077000090", "010 7700 0090"):
        code, _, err = micropay(
            "account", "create", "5002", "--msisdn", spelling, "--currency", "KRW"
        )  # fmt: skip
        assert code == 1 and "open account" in err, (spelling, err)


def test_grants_floats_and_the_settlement_report(micropay, tmp_path):
    """An operator grants an application recharges (capped), funds its float, and reads what it
    owes each application for the month -- every movement journaled, the ledger clean."""
    secret = tmp_path / "shop.secret"
    secret.write_text("a-secret-of-enough-length-0123\n")
    secret.chmod(0o600)
    code, app, err = micropay(
        "app", "register", "shop", "--secret-file", str(secret), "--services", "payment,account",
        "--grant", "recharge", "--currency", "KRW", "--recharge-cap", "50000",
    )  # fmt: skip
    assert code == 0, err
    assert app["grants"] == "recharge KRW (cap 50000)"
    code, shown, _ = micropay("app", "set", "shop", "--grant", "voucher")
    assert (code, shown["grants"]) == (0, "recharge KRW (cap 50000), voucher")
    code, _, err = micropay("app", "set", "shop", "--grant", "recharge")
    assert code == 1 and "--currency" in err
    code, funded, _ = micropay("float", "fund", "shop", "200000", "--currency", "KRW",
                               "--reference", "f-1")  # fmt: skip
    assert (code, funded["balance"], funded["replayed"]) == (0, "200000", False)
    code, again, _ = micropay("float", "fund", "shop", "200000", "--currency", "KRW",
                              "--reference", "f-1")  # fmt: skip
    assert (again["balance"], again["replayed"]) == ("200000", True)
    assert micropay("float", "list")[1] == [
        {"app_id": "shop", "currency": "KRW", "balance": "200000"}
    ]
    micropay("account", "create", "1001", "--msisdn", "tel:+821012345678", "--currency", "KRW",
             "--balance", "10000")  # fmt: skip
    from charging.ledger import Ledger

    with Ledger.open(f"sqlite:///{tmp_path / 'var' / 'ledger.db'}") as ledger:
        month = ledger._moment().month
        ledger.charge(
            app_id="shop",
            reference_code="c-1",
            account="1001",
            amount_minor=3_000,
            currency="KRW",
            description="song",
        )
        ledger.charge(
            app_id="shop",
            reference_code="c-2",
            account="1001",
            amount_minor=2_000,
            currency="KRW",
            description="book",
        )
        ledger.refund(
            app_id="shop",
            reference_code="r-1",
            account="1001",
            amount_minor=500,
            currency="KRW",
            description="refund",
        )
        ledger.recharge(
            app_id="shop", reference_code="t-1", account="1001", amount_minor=1_000, currency="KRW"
        )
    code, report, _ = micropay("settlement", "report", "--month", month)
    assert report == [{
        "app_id": "shop", "currency": "KRW", "month": month, "payments": 2,
        "collected": "5000", "refunds": 1, "refunded": "500", "net": "4500", "balance": "4500",
    }]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "settlement", "report", "shop", "--month", month,
         "--csv"], cwd=ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
        env={**os.environ, "MICROPAY_DATA_DIR": str(tmp_path / "var"), "MICROPAY_LEDGER_URL": ""},
    )  # fmt: skip
    assert done.stdout.splitlines() == [
        "app_id,currency,month,payments,collected,refunds,refunded,net,balance",
        f"shop,KRW,{month},2,5000,1,500,4500,4500",
    ]
    assert micropay("float", "list", "shop")[1][0]["balance"] == "199000"
    code, reconciled, _ = micropay("ledger", "reconcile")
    assert (code, reconciled["clean"]) == (0, True)
