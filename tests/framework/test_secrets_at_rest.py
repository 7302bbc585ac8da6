"""Secrets at rest: sealed CHAP secrets, the master key, private files, and app register.

The attack this answers: a local user read ``var/ledger.db`` (mode 0644 in a 0755 folder), took
the application's CHAP secret out of it (base64 only) and, with re-attach needing no key,
charged a subscriber. Here a copy of the database holds no secret, the gateway's files are its
own however the operator's umask is set, and the files that hold secrets are refused when
others may read them.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

import client
from framework.core.sealing import MASTER_KEY_FILE, Keyring, SealingError
from framework.core.store import FrameworkStore
from gateway.cli.app_secret import estimate_bits
from storage import open_database
from tests.conftest import ROOT, free_port
from tests.framework.gateway import Gateway, _read_endpoints, _toml
from tests.framework.keypool import private_pem

FIXTURE = Path(__file__).parent / "data" / "framework-v1.db"  # made by `app register` of main
FIXTURE_SECRET = b"legacy-secret-made-by-main-0123456789"
MICROPAY = str(ROOT / ".venv/bin/micropay")


def database_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def loose(*argv: str, **kwargs) -> subprocess.Popen:
    """A command started with the common umask 022, as an operator's shell would."""
    return subprocess.Popen(["/bin/sh", "-c", 'umask 022 && exec "$@"', "sh", *argv], **kwargs)


def private_modes(folder: Path) -> list[str]:
    """Everything under ``folder`` the group or others may touch (expected: nothing)."""
    found = []
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if not path.is_symlink() and mode & 0o077:
            found.append(f"{path.relative_to(folder)} {mode:04o}")
    return found


# -- sealing ----------------------------------------------------------------------------------
def test_a_database_of_the_previous_version_is_sealed_in_place(tmp_path: Path) -> None:
    copy = tmp_path / "ledger.db"
    shutil.copy(FIXTURE, copy)
    assert base64.b64encode(FIXTURE_SECRET) in copy.read_bytes()  # what the attacker read
    ring = Keyring.generate()
    store = FrameworkStore(open_database(f"sqlite:///{copy}"), ring)
    app = store.application("legacy-app")
    assert app is not None and app.secret == FIXTURE_SECRET
    assert app.auth_mechanisms == ("P_OSA_HMAC_SHA256", "P_OSA_MD5")
    assert store.seal_plain_secrets() == 0  # once is enough; reopening changes nothing
    store.db.close()
    raw = database_bytes(copy)
    assert FIXTURE_SECRET not in raw and base64.b64encode(FIXTURE_SECRET) not in raw
    with sqlite3.connect(copy) as db:
        (stored,) = db.execute("SELECT secret FROM fw_applications").fetchone()
    assert stored.startswith("aesgcm1:")
    with pytest.raises(SealingError):  # the database alone, or with another key: no secret
        FrameworkStore(open_database(f"sqlite:///{copy}"), Keyring.generate()).application(
            "legacy-app"
        )


def test_a_sealed_secret_opens_only_in_its_own_row(tmp_path: Path) -> None:
    ring = Keyring.generate()
    store = FrameworkStore(open_database(f"sqlite:///{tmp_path / 'f.db'}"), ring)
    for app_id in ("shop-a", "shop-b"):
        store.register_application(
            app_id, f"{app_id}-secret-0123456789".encode(), None, ["P_OSA_MD5"], ["P_SMS"],
            datetime.now(UTC),
        )  # fmt: skip
    with store.db.transaction() as tx:  # an attacker who may write swaps the two
        a = tx.one("SELECT secret FROM fw_applications WHERE app_id = 'shop-a'")
        tx.execute("UPDATE fw_applications SET secret = ? WHERE app_id = 'shop-b'", a)
    assert store.application("shop-a").secret == b"shop-a-secret-0123456789"
    with pytest.raises(SealingError):
        store.application("shop-b")


def test_the_master_key_rotates_and_old_keys_retire(gateway: Gateway) -> None:
    app = gateway.register("rotate-app")
    before = Keyring.load(gateway.data_dir / MASTER_KEY_FILE).current_id
    rotated = gateway.cli("--json", "framework", "master-key", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    ring = Keyring.load(gateway.data_dir / MASTER_KEY_FILE)
    assert ring.current_id != before and len(ring.keys) == 2
    # the running gateway reads the file again when it meets the new key
    with client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem):
        pass
    retired = gateway.cli("--json", "framework", "master-key", "retire")
    assert retired.returncode == 0 and before in retired.stdout
    assert len(Keyring.load(gateway.data_dir / MASTER_KEY_FILE).keys) == 1


# -- files the gateway writes ---------------------------------------------------------------
def _config(base: Path, **sections: dict) -> Path:
    values = {
        "data": {"dir": str(base / "data")},
        "corba": {"host": "127.0.0.1", "port": free_port()},
        "grpc": {"port": free_port()},
        "health": {"port": free_port()},
        "smsc": {"port": free_port()},
        "shop": {"port": free_port()},
        **sections,
    }
    path = base / "micropay.toml"
    path.write_text(
        "".join(
            f"[{s}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in items.items())
            for s, items in values.items()
        )
    )
    path.chmod(0o600)
    return path


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_serve_keeps_every_file_its_own_whatever_the_umask(tmp_path: Path) -> None:
    config = _config(tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "ledger.db").touch(mode=0o644)  # left by an older version: 0644 in a 0755 folder
    os.chmod(data / "ledger.db", 0o644)
    os.chmod(data, 0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
    proc = loose(MICROPAY, "--config", str(config), "serve", cwd=ROOT, env=env,
                 stdout=subprocess.PIPE, stderr=(tmp_path / "log").open("w"), text=True)  # fmt: skip
    try:
        endpoints = _read_endpoints(proc, ("health", "corba", "ior"))
        register = subprocess.run(
            ["/bin/sh", "-c", 'umask 022 && exec "$@"', "sh", MICROPAY, "--config", str(config),
             "--json", "app", "register", "perm-app", "--services", "payment"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert register.returncode == 0, register.stderr
        assert private_modes(data) == [], endpoints
        generated = data / "apps" / "perm-app.secret"
        assert estimate_bits(generated.read_bytes().strip()) >= 256
    finally:
        _stop(proc)
    assert private_modes(data) == []  # what it wrote while stopping, too


def test_demo_keeps_every_file_its_own_whatever_the_umask(tmp_path: Path) -> None:
    config = _config(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
    proc = loose(MICROPAY, "--config", str(config), "demo", cwd=ROOT, env=env,
                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Press Ctrl-C to stop." in line:
                break
        else:
            raise AssertionError(f"the demo ended early with {proc.wait()}")
        found = private_modes(tmp_path / "data")
        assert found == []
    finally:
        _stop(proc, signal.SIGINT)


# -- files it refuses -------------------------------------------------------------------------
def _cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
    return subprocess.run(
        [MICROPAY, "--config", str(config), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("what", ["configuration", "master key", "framework key", "secret"])
def test_a_secret_file_others_may_read_is_refused_with_the_fix(tmp_path: Path, what: str) -> None:
    config = _config(tmp_path)
    data = tmp_path / "data"
    # makes the data folder, the registry and the master key (a read such as `app list` makes
    # nothing where there is no data: it refuses)
    assert _cli(config, "app", "register", "first", "--services", "sms").returncode == 0
    assert _cli(config, "framework", "public-key").returncode == 0
    secret = tmp_path / "shop.secret"
    secret.write_bytes(os.urandom(32))
    target = {
        "configuration": config,
        "master key": data / MASTER_KEY_FILE,
        "framework key": data / "framework_rsa_2048.pem",
        "secret": secret,
    }[what]
    target.chmod(0o644)
    command = {
        "framework key": ("framework", "public-key"),
        "secret": ("app", "register", "s", "--secret-file", str(secret), "--services", "sms"),
    }.get(what, ("app", "list"))
    result = _cli(config, *command)
    assert result.returncode == 1
    assert f"chmod 600 {target}" in result.stderr


@pytest.mark.parametrize(
    ("secret", "accepted"),
    [
        (b"aaaaaaaaaaaaaaaa", False),  # the one the review used
        (b"a" * 64, False),
        (b"abababababababababababababababab", False),
        (b"0123456789abcdef0123456789abcdef", True),  # exactly 128 bits of hex
        (b"correct horse battery staple and more", True),
        pytest.param(os.urandom(16), True, id="16-random-bytes"),
    ],
)
def test_app_register_refuses_weak_secrets_and_says_why(
    tmp_path: Path, secret: bytes, accepted: bool
) -> None:
    config = _config(tmp_path)
    path = tmp_path / "app.secret"
    path.write_bytes(secret)
    result = _cli(config, "app", "register", "w", "--secret-file", str(path), "--services", "sms")
    assert (result.returncode == 0) is accepted, result.stderr
    if not accepted:
        assert "too weak" in result.stderr and "bits" in result.stderr


def test_a_generated_secret_authenticates(gateway: Gateway) -> None:
    result = gateway.cli("--json", "app", "register", "gen-app", "--services", "P_TEST",
                         "--public-key", str(_public_key(gateway.data_dir.parent)))  # fmt: skip
    assert result.returncode == 0, result.stderr
    path = gateway.data_dir / "apps" / "gen-app.secret"
    assert str(path) in result.stdout and path.read_bytes().strip().decode() not in result.stdout
    secret = path.read_bytes().strip()
    with client.connect(gateway.corbaloc, "gen-app", secret, private_pem("rsa2048")):
        pass


def _public_key(folder: Path) -> Path:
    from tests.framework.keypool import public_pem

    path = folder / "gen-app.pub.pem"
    path.write_text(public_pem("rsa2048"))
    return path
