"""``micropay demo`` as a newcomer runs it, and the conformance run against it in one command.

The demo starts from a folder outside the checkout on free ports (a configuration names them and
the data folder); ``micropay interop --demo`` then runs the whole catalogue against it over CORBA
and over gRPC and must report PASSED with every purpose passed -- the demo provisioned the
application, accounts, tariff and SMS registration, and each run gets fresh vouchers, so a second
run passes too. Ctrl-C stops the demo cleanly; after a restart the data is still there and the
banner tells the accounts as they are now.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.apps.interop.test_interop import assert_all_passed
from tests.conftest import ROOT, free_port

MICROPAY = str(ROOT / ".venv/bin/micropay")
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30
INTEROP_TIMEOUT_S = 240


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}


@dataclass
class Demo:
    proc: subprocess.Popen
    lines: list[str]

    @property
    def banner(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        return self.proc.returncode


def start_demo(config: Path, cwd: Path) -> Demo:
    proc = subprocess.Popen(
        [MICROPAY, "--config", str(config), "demo"], cwd=cwd, env=clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    got: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            got.put(line)
        got.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not lines or not lines[-1].startswith("Press Ctrl-C to stop."):
        try:
            line = got.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            raise AssertionError("the demo did not start in time:\n" + "".join(lines)) from None
        if line is None:
            raise AssertionError(f"the demo exited with {proc.wait()}:\n" + "".join(lines))
        lines.append(line)
    demo = Demo(proc, lines)
    threading.Thread(
        target=lambda: [lines.append(x) for x in iter(got.get, None)], daemon=True
    ).start()
    return demo


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("demo")
    ports = {s: free_port() for s in ("corba", "grpc", "smsc", "health", "shop")}
    config = base / "micropay.toml"
    config.write_text(
        f'[data]\ndir = "{base / "var"}"\n'
        + "".join(f"[{s}]\nport = {p}\n" for s, p in ports.items())
    )
    return config, base


@pytest.fixture(scope="module")
def demo(setting: tuple[Path, Path]) -> Iterator[Demo]:
    config, base = setting
    running = start_demo(config, base)
    try:
        yield running
    finally:
        running.stop()


def micropay(
    config: Path, cwd: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MICROPAY, "--config", str(config), *args], cwd=cwd, env=clean_env(),
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_whole_catalogue_passes_against_the_demo_in_one_command(
    demo: Demo, setting: tuple[Path, Path], tmp_path: Path
) -> None:
    config, base = setting
    assert "micropay interop --demo" in demo.banner
    done = micropay(config, tmp_path, "interop", "--demo", timeout=INTEROP_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert done.stdout.rstrip().endswith("verdict: PASSED"), done.stdout[-3000:]
    reports = base / "var" / "interop"
    for transport in ("corba", "grpc"):
        assert assert_all_passed(reports / f"report-{transport}.xml", transport) > 150
    # A second run: the voucher of the first is spent, a fresh one is issued; SMS again.
    again = micropay(config, tmp_path, "--json", "interop", "--demo", "--purpose", "AM/VOU",
                     "--purpose", "SMS/RCV", "--purpose", "FW/SAM/BV-04", timeout=INTEROP_TIMEOUT_S)  # fmt: skip
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]
    summary = json.loads(again.stdout)
    assert summary["passed"] is True and [r["transport"] for r in summary["runs"]] == [
        "corba",
        "grpc",
    ]
    assert all(r["counts"]["pass"] == len(r["results"]) > 4 for r in summary["runs"])


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ctrl_c_stops_and_a_restart_tells_the_accounts_as_they_are(
    demo: Demo, setting: tuple[Path, Path], tmp_path: Path
) -> None:
    config, base = setting
    assert "1002  010-1111-0002  postpaid, ₩48,000 of its ₩50,000 spent this month" in demo.banner
    assert "1003  010-1111-0003  suspended" in demo.banner
    assert "changed since" not in demo.banner
    assert demo.stop() == 0
    assert "[demo] stopped" in demo.banner and "Traceback" not in demo.banner
    assert micropay(config, tmp_path, "status", "--json").returncode == 0
    changes = (
        ("account", "set", "1002", "--monthly-limit", "60000"),
        ("account", "resume", "1003"),
    )
    for change in changes:
        done = micropay(config, tmp_path, *change)
        assert done.returncode == 0, done.stderr
    again = start_demo(config, base)
    try:
        assert (
            "1002  010-1111-0002  postpaid, ₩48,000 of its ₩60,000 spent this month" in again.banner
        )
        assert "1003  010-1111-0003  active" in again.banner
        assert "1002, 1003 changed since" in again.banner
        listed = json.loads(micropay(config, tmp_path, "--json", "account", "list").stdout)
        assert {a["number"] for a in listed} >= {"1001", "1006", "IOP-FUNDED", "IOP-EXPIRED"}
    finally:
        assert again.stop() == 0
