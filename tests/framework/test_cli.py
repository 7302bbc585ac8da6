"""``micropay app|agreement|framework`` commands and ``micropay serve`` as real processes."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from org.csapi.fw.fw_access import trust_and_security as ts

import client
from client.orb import client_orb
from framework.core import signing
from tests.conftest import ROOT
from tests.framework.gateway import Gateway
from tests.framework.keypool import private_pem, public_pem

MICROPAY = str(ROOT / ".venv/bin/micropay")


@pytest.fixture
def cli(tmp_path: Path):
    config = tmp_path / "micropay.toml"
    config.write_text(f'[data]\ndir = "{tmp_path / "data"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [MICROPAY, "--config", str(config), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )

    run.data = tmp_path / "data"  # type: ignore[attr-defined]
    return run


def test_app_register_list_show_disable_enable(cli, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-secret-of-enough-length\n")
    key = tmp_path / "key.pub"
    key.write_text(public_pem("ed25519"))
    ok = cli(
        "--json",
        "app",
        "register",
        "shop-1",
        "--secret-file",
        str(secret),
        "--public-key",
        str(key),
        "--auth-mechanisms",
        "P_OSA_HMAC_SHA256,P_OSA_MD5",
        "--services",
        "payment,account,sms,P_TEST",
    )
    assert ok.returncode == 0, ok.stderr
    row = json.loads(ok.stdout)
    assert row["services"] == "P_PAYMENT,P_ACCOUNT_MANAGEMENT,P_SMS,P_TEST"
    assert row["public_key"].startswith("sha256:")
    assert "a-secret" not in ok.stdout
    cli("app", "register", "shop-2", "--secret-file", str(secret), "--services", "P_SMS")
    listed = json.loads(cli("--json", "app", "list").stdout)
    assert [r["app_id"] for r in listed] == ["shop-1", "shop-2"]
    assert listed[1]["public_key"] == "none"
    shown = json.loads(cli("--json", "app", "show", "shop-1").stdout)
    assert shown["enabled"] is True and shown["auth_failures"] == 0
    assert json.loads(cli("--json", "app", "disable", "shop-1").stdout)["enabled"] is False
    assert json.loads(cli("--json", "app", "show", "shop-1").stdout)["enabled"] is False
    assert json.loads(cli("--json", "app", "enable", "shop-1").stdout)["enabled"] is True
    text = cli("app", "show", "shop-2").stdout
    assert "app_id" in text and "shop-2" in text
    assert json.loads(cli("--json", "agreement", "list").stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--services", "payment"], "already registered"),
        (["--services", "bogus"], "unknown service"),
        (["--services", "payment", "--auth-mechanisms", "P_OSA_HMAC_SHA1_96"], "mechanism"),
        (["--services", "payment", "--public-key", "/nonexistent.pem"], "cannot read"),
        (["--services", "payment", "--public-key", "SELF"], "not usable"),
    ],
)
def test_app_register_refusals(cli, tmp_path: Path, args: list[str], message: str) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-secret-of-enough-length")
    cli("app", "register", "taken", "--secret-file", str(secret), "--services", "sms")
    args = [str(secret) if a == "SELF" else a for a in args]
    app_id = "taken" if message == "already registered" else "new-app"
    result = cli("app", "register", app_id, "--secret-file", str(secret), *args)
    assert result.returncode == 1
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_app_refusals_without_state(cli, tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("tiny\n")
    result = cli("app", "register", "x", "--secret-file", str(short), "--services", "sms")
    assert result.returncode == 1 and "secret" in result.stderr
    result = cli(
        "app", "register", "x", "--secret-file", str(tmp_path / "missing"), "--services", "sms"
    )
    assert result.returncode == 1 and "cannot read" in result.stderr
    for action in ("show", "disable", "enable"):
        result = cli("app", action, "ghost")
        assert result.returncode == 1 and "no application ghost" in result.stderr
    assert cli("agreement", "show", "nope").returncode == 1


def test_framework_public_key(cli) -> None:
    text = cli("framework", "public-key")
    assert text.returncode == 0, text.stderr
    key = signing.load_public_key(text.stdout)
    assert key.key_size == 2048  # type: ignore[union-attr]
    assert cli("framework", "public-key").stdout == text.stdout  # created once, then kept
    both = json.loads(cli("--json", "framework", "public-key").stdout)
    assert set(both) == {"P_SHA256_RSA_2048", "P_ED25519"}
    assert both["P_SHA256_RSA_2048"].strip() == text.stdout.strip()
    ed = cli("framework", "public-key", "--algorithm", "P_ED25519").stdout
    assert signing.load_public_key(ed) is not None
    missing = cli("framework", "public-key", "--algorithm", "P_MD5_RSA_512")
    assert missing.returncode == 1 and "no framework key" in missing.stderr
    for name in ("framework_rsa_2048.pem", "framework_ed25519.pem"):
        assert stat.S_IMODE((cli.data / name).stat().st_mode) == 0o600


def test_serve_prints_endpoints_serves_and_stops_on_signals(tmp_path: Path) -> None:
    gateway = Gateway.start(tmp_path, command=[MICROPAY, "serve"])
    try:
        assert gateway.endpoints["corba"].startswith("corbaloc::127.0.0.1:")
        assert gateway.endpoints["corba"].endswith("/IpInitial")
        ior_path = Path(gateway.endpoints["ior"])
        assert ior_path == gateway.data_dir / "ipinitial.ior"
        ior = ior_path.read_text().strip()
        assert ior.startswith("IOR:")
        health = gateway.health()
        assert health["status"] == "ready"
        assert set(health["checks"]) >= {"corba", "framework"}
        orb = client_orb().orb
        for endpoint in (ior, gateway.corbaloc):
            assert orb.string_to_object(endpoint)._narrow(ts.IpInitial) is not None
        app = gateway.register("serve-app", services=("P_PAYMENT",))
        with client.connect(ior_path, app.app_id, app.secret, private_pem("rsa2048")) as session:
            assert session.discovery.listServiceTypes() == ["P_PAYMENT"]
        assert gateway.stop(signal.SIGTERM) == 0
        # same port, same INS key: the IOR written before the restart still reaches IpInitial
        config = gateway.config_path
        restarted = subprocess.Popen(
            [MICROPAY, "--config", str(config), "serve"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert restarted.stdout is not None
            lines = [restarted.stdout.readline() for _ in range(3)]
            assert lines[1].strip() == f"corba: {gateway.corbaloc}"
            with client.connect(ior, app.app_id, app.secret, private_pem("rsa2048")) as session:
                assert session.discovery.listServiceTypes() == ["P_PAYMENT"]
        finally:
            restarted.send_signal(signal.SIGINT)
            assert restarted.wait(15) == 0
    finally:
        gateway.stop()


def test_iiop_beyond_loopback_is_announced_loudly_and_in_readyz(tmp_path: Path) -> None:
    gateway = Gateway.start(tmp_path, {"corba": {"host": "0.0.0.0"}}, command=[MICROPAY, "serve"])
    try:
        detail = gateway.health()["checks"]["corba"]["detail"]
        assert "exposed=cleartext-iiop" in detail
        log = gateway.log_text()
        assert "WARNING: IIOP listens beyond loopback in cleartext" in log
        assert '"level": "warning"' in log and "Protecting IIOP" in log
    finally:
        gateway.stop()
    (tmp_path / "quiet").mkdir()
    quiet = Gateway.start(tmp_path / "quiet", command=[MICROPAY, "serve"])  # loopback: no noise
    try:
        assert "exposed" not in quiet.health()["checks"]["corba"]["detail"]
        assert "IIOP listens beyond loopback" not in quiet.log_text()
    finally:
        quiet.stop()
