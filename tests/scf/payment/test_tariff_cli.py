"""``micropay tariff`` as an operator runs it (real processes, --json, exit codes), and a running
gateway pricing volumes with what it set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from org.csapi.parlayx import common

from tests.conftest import ROOT
from tests.scf.payment.gateway import DirectGateway, new_account

CLI_TIMEOUT_S = 30


def micropay(gateway: DirectGateway, *args: str) -> tuple[int, object, str]:
    env = {**os.environ, "MICROPAY_LEDGER_URL": gateway.url}
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--json", "tariff", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr


def test_tariffs_set_by_the_operator_price_volumes(gateway: DirectGateway) -> None:
    _, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    with pytest.raises(common.ServiceException) as caught:  # no tariff yet
        mgr.getAmount(msisdn, 3, [])
    assert (caught.value.messageId, caught.value.variables) == ("SVC0002", ["parameters"])

    code, made, _ = micropay(
        gateway, "set", "default", "7", "--currency", "KRW", "--description", "songs"
    )
    assert code == 0 and (made["price"], made["per_units"], made["description"]) == (
        "7",
        1,
        "songs",
    )
    assert mgr.getAmount(msisdn, 3, []) == "21"
    assert micropay(gateway, "set", "default", "0.25", "--currency", "USD", "--per", "100")[0] == 0
    code, listed, _ = micropay(gateway, "list")
    assert [(t["name"], t["currency"], t["price"]) for t in listed] == [
        ("default", "KRW", "7"),
        ("default", "USD", "0.25"),
    ]
    code, shown, _ = micropay(gateway, "show", "default", "--currency", "USD")
    assert (code, [t["per_units"] for t in shown]) == (0, [100])
    assert micropay(gateway, "set", "default", "9", "--currency", "KRW")[0] == 0
    assert mgr.getAmount(msisdn, 3, []) == "27"  # a change applies to the next request
    code, removed, _ = micropay(gateway, "remove", "default", "--currency", "KRW")
    assert (code, removed["removed"]) == (0, 1)
    with pytest.raises(common.ServiceException):
        mgr.getAmount(msisdn, 3, [])


@pytest.mark.parametrize(
    "args",
    [
        ("set", "default", "0.001", "--currency", "USD"),  # more decimals than USD has
        ("set", "default", "0", "--currency", "KRW"),
        ("set", "bad name", "1", "--currency", "KRW"),
        ("set", "default", "1", "--currency", "XYZ"),
        ("set", "default", "1", "--currency", "KRW", "--per", "0"),
        ("show", "nosuch"),
        ("remove", "nosuch"),
    ],
)
def test_bad_tariff_commands_fail_with_one_line(gateway: DirectGateway, args) -> None:
    code, out, err = micropay(gateway, *args)
    assert code != 0 and out is None
    assert len(err.strip().splitlines()) == 1 and err.startswith("micropay: error: ")
