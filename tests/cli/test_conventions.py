"""The ``micropay`` command line as an operator meets it: real processes, run from a folder outside
the checkout, with no ``MICROPAY_*`` variables -- where the data is, global flags anywhere,
``--json`` everywhere, exit status, no traceback on a closed pipe or Ctrl-C, text for people."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from charging.ledger import Ledger
from gateway.cli import build_parser
from tests.conftest import ROOT
from tests.framework.gateway import Gateway

MICROPAY = str(ROOT / ".venv/bin/micropay")
TIMEOUT_S = 60


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
    return {**env, **extra}


class Cli:
    """``micropay`` run in ``cwd`` (outside the checkout) against the configuration ``config``."""

    def __init__(self, cwd: Path, config: Path | None) -> None:
        self.cwd, self.config = cwd, config

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        given = ["--config", str(self.config)] if self.config else []
        return subprocess.run(
            [MICROPAY, *given, *args], cwd=self.cwd, env=env or clean_env(),
            capture_output=True, text=True, timeout=TIMEOUT_S,
        )  # fmt: skip

    def json(self, *args: str) -> object:
        done = self("--json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working folder outside the checkout."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert not folder.resolve().is_relative_to(ROOT)
    return folder


@pytest.fixture
def cli(tmp_path: Path, outside: Path) -> Cli:
    config = tmp_path / "micropay.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n')
    return Cli(outside, config)


def expired_account(data: Path, number: str) -> None:
    """An account whose last valid day has passed (made on a clock of the past)."""
    with Ledger.open(
        f"sqlite:///{data / 'ledger.db'}", clock=lambda: datetime(2020, 1, 1, tzinfo=UTC)
    ) as ledger:
        ledger.create_account(number, msisdn="tel:+821040040004", currency="KRW",
                              balance_minor=30_000, valid_until=date(2020, 1, 31))  # fmt: skip


# -- 1. where the data is --------------------------------------------------------------------------
def test_a_read_where_there_is_no_data_refuses_and_creates_nothing(outside: Path) -> None:
    nowhere = outside / "no-such-data"
    env = clean_env(MICROPAY_DATA_DIR=str(nowhere))
    cli = Cli(outside, None)
    for args in (["account", "list"], ["account", "show", "1001"], ["sms", "inbox", "010-1111-0001"],
                 ["app", "list"], ["voucher", "list"], ["ledger", "reconcile"],
                 ["settlement", "report"], ["tariff", "list"], ["sms", "list"]):  # fmt: skip
        done = cli(*args, env=env)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.startswith("micropay: error: no ") and str(nowhere) in done.stderr
        assert "MICROPAY_DATA_DIR" in done.stderr and done.stderr.count("\n") == 1
        assert done.stdout == ""
    assert not nowhere.exists() and not (outside / "var").exists()


def test_the_default_data_folder_is_the_checkouts_from_anywhere(outside: Path) -> None:
    shown = Cli(outside, None).json("status")
    assert shown["data_folder"] == str(ROOT / "var")
    assert shown["data_folder_from"] == "the default: var/ of the checkout"
    assert shown["ledger"] == f"sqlite:///{ROOT / 'var' / 'ledger.db'}"
    assert not (outside / "var").exists()
    relative = outside / "relative.toml"
    relative.write_text('[data]\ndir = "here"\n')  # relative to the working folder
    shown = Cli(outside, relative).json("status")
    assert shown["data_folder"] == str(outside / "here")
    assert shown["data_folder_from"] == f"[data] dir in {relative}"
    assert (shown["data_folder_exists"], shown["ledger_data"]) == (False, "missing")
    assert not (outside / "here").exists()  # status creates nothing


def test_status_names_the_running_gateway_and_its_endpoints(tmp_path: Path, outside: Path) -> None:
    gateway = Gateway.start(tmp_path, command=[MICROPAY, "serve"])
    try:
        cli = Cli(outside, gateway.config_path)
        shown = cli.json("status")
        assert shown["data_folder"] == str(gateway.data_dir)
        assert shown["ledger_data"] == "present"
        assert shown["gateway"].startswith(f"running, pid {gateway.proc.pid}: ready")
        assert shown["corba"] == gateway.corbaloc and shown["health"] == gateway.endpoints["health"]
        text = cli("status").stdout
        assert f"corba               {gateway.corbaloc}" in text
        assert "None" not in text and "{" not in text
    finally:
        gateway.stop()
    shown = Cli(outside, gateway.config_path).json("status")
    assert shown["gateway"].startswith("not running")  # serve removed its record on the way out
    assert not (gateway.data_dir / "gateway.json").exists()


# -- 3. a closed pipe, Ctrl-C ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [["account", "list"], ["interop", "--list"], ["account", "show", "1001"]]
)
def test_a_reader_that_went_away_is_no_traceback(cli: Cli, args: list[str]) -> None:
    created = cli("account", "create", "1001", "--msisdn", "010-1111-0001", "--currency", "KRW")
    assert created.returncode == 0
    proc = subprocess.Popen(
        [MICROPAY, "--config", str(cli.config), *args], cwd=cli.cwd, env=clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `| head` does once it has its line: every write gets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(TIMEOUT_S) == 141, err
    assert err == ""


def test_ctrl_c_is_exit_130_without_a_traceback(cli: Cli, outside: Path) -> None:
    fifo = outside / "pin-fifo"
    os.mkfifo(fifo)  # opening it blocks until a writer comes: the command waits there
    proc = subprocess.Popen(
        [MICROPAY, "--config", str(cli.config), "account", "create", "1001", "--msisdn",
         "010-1111-0001", "--currency", "KRW", "--pin-file", str(fifo)],
        cwd=outside, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:  # wait until it blocks in open(fifo)
        wchan = Path(f"/proc/{proc.pid}/wchan").read_text() if proc.poll() is None else ""
        if wchan in ("wait_for_partner", "fifo_open"):  # blocked in open(fifo)
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""


# -- 4. global flags anywhere, --json on every command, exit status ------------------------------------
def test_global_flags_are_accepted_before_and_after_the_command(cli: Cli, tmp_path: Path) -> None:
    cli("account", "create", "1001", "--msisdn", "010-1111-0001", "--currency", "KRW")
    config = str(cli.config)
    outputs = [
        Cli(cli.cwd, None)(*args).stdout
        for args in (
            ["--config", config, "--json", "account", "show", "1001"],
            ["account", "show", "1001", "--json", "--config", config],
            ["account", "--json", "show", "1001", "--config", config],
            ["--json", "account", "show", "--config", config, "1001"],
        )
    ]
    assert json.loads(outputs[0])["number"] == "1001"
    assert all(o == outputs[0] for o in outputs), outputs
    listed = Cli(cli.cwd, None)("sms", "inbox", "010-1111-0001", "--json", "--config", config)
    assert listed.returncode == 1 and "no embedded SMSC data" in listed.stderr


def leaf_parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    found: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.append((path, parser))
        for action in subs:
            for name, child in action.choices.items():
                walk(child, f"{path} {name}")

    walk(build_parser(), "micropay")
    return found


def test_every_command_takes_json_and_says_what_it_and_its_arguments_are() -> None:
    leaves = leaf_parsers()
    assert len(leaves) > 35
    for path, parser in leaves:
        options = {s for a in parser._actions for s in a.option_strings}
        assert "--json" in options, f"{path} has no --json"
        assert parser.description, f"{path} has no description"
        for action in parser._actions:
            if not action.option_strings:
                assert action.help, f"{path}: {action.dest} has no help"
        if path != "micropay shop":  # there --config names the shop's settings
            assert "--config" in options, f"{path} has no --config"


def test_help_documents_exit_status_and_stands_alone(cli: Cli) -> None:
    done = cli("--help")
    assert done.returncode == 0
    assert "exit status:" in done.stdout and "130" in done.stdout
    assert "DESIGN" not in done.stdout and "§" not in done.stdout
    for command in ("serve", "demo", "status"):
        text = cli(command, "--help").stdout
        assert text.split("\n\n")[1].strip(), f"micropay {command} --help has no description"
    assert re.search(r"\n  NUMBER +the account number", cli("account", "show", "--help").stdout)


def test_usage_errors_exit_2_refusals_exit_1(cli: Cli) -> None:
    assert cli("account", "frobnicate").returncode == 2
    assert cli("account", "show").returncode == 2
    cli("account", "create", "1005", "--msisdn", "010-1111-0005", "--currency", "KRW",
        "--balance", "6000")  # fmt: skip
    done = cli("account", "topup", "1005", "1e3")
    assert done.returncode == 1 and done.stderr.startswith("micropay: error:"), done.stderr
    assert cli.json("account", "show", "1005")["balance"] == "6000"  # nothing was credited


# -- 5. text for people, one state vocabulary ------------------------------------------------------------
def test_people_read_one_state_and_no_python_literals(cli: Cli, tmp_path: Path) -> None:
    cli("account", "create", "1001", "--msisdn", "010-1111-0001", "--currency", "KRW",
        "--balance", "100000")  # fmt: skip
    cli("account", "create", "1003", "--msisdn", "010-1111-0003", "--currency", "KRW")
    cli("account", "suspend", "1003")
    expired_account(tmp_path / "data", "1004")
    listed = cli("account", "list").stdout.splitlines()
    header = listed[0].split()
    assert header[:4] == ["NUMBER", "MSISDN", "KIND", "STATE"]
    states = {line.split()[0]: line.split()[3] for line in listed[1:]}
    assert states == {"1001": "active", "1003": "suspended", "1004": "expired"}
    shown = cli("account", "show", "1004").stdout
    lines = dict(line.split(None, 1) for line in shown.splitlines())
    assert lines["state"] == "expired" and "status" not in lines
    assert lines["valid_until"] == "2020-01-31" and lines["transaction_limit"] == "-"
    assert lines["has_pin"] == "no"
    for text in ("\n".join(listed), shown, cli("app", "list").stdout):
        for literal in ("None", "True", "False"):
            assert literal not in text, text
    assert cli.json("account", "show", "1004")["state"] == "expired"
    assert {a["state"] for a in cli.json("account", "list")} == {"active", "suspended", "expired"}


# -- 11. the benchmarks' command lines ------------------------------------------------------------------
def bench_modules() -> list[str]:
    """``bench`` and every bench module that runs as a program."""
    runnable = [
        f"bench.{p.stem}"
        for p in sorted((ROOT / "bench").glob("*.py"))
        if p.stem != "__main__" and 'if __name__ == "__main__":' in p.read_text()
    ]
    return ["bench", *runnable]


@pytest.mark.parametrize("module", bench_modules())
def test_every_benchmark_prints_help_and_runs_nothing(module: str, tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", module, "--help"], cwd=ROOT, env=clean_env(),
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:"), done.stdout[:300]
    assert "==" not in done.stdout and time.monotonic() - started < 20  # no benchmark ran


def test_new_shop_credentials_suggest_an_id_the_demo_does_not_use(cli: Cli, tmp_path: Path) -> None:
    made = cli.json("shop", "--new-credentials", str(tmp_path / "creds"))
    assert made["app_id"] == "my-shop"
    assert made["register_with"].startswith("micropay app register my-shop ")
    assert "micropay-shop" not in json.dumps(made)  # the demo's own application
    chosen = cli.json("shop", "--new-credentials", str(tmp_path / "creds"), "--app-id", "tea-shop")
    assert chosen["register_with"].startswith("micropay app register tea-shop ")
    assert chosen["secret_file"] == made["secret_file"]  # kept, not made again
