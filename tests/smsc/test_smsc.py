"""The embedded SMSC on its own: binds, admin port, journal replay, inbox store, CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scf.sms.smpp_client import BindRefused, SmppSession
from smpp.credentials import ensure_password, read_password
from smsc.admin import AdminError, admin_call
from smsc.embedded import spawn_smsc
from smsc.store import SmscStore, handset_file, read_inbox
from tests.conftest import ROOT, free_port


@pytest.fixture
def running(tmp_path: Path):
    handle = spawn_smsc(tmp_path / "smsc", port=free_port())
    try:
        yield handle
    finally:
        handle.stop()


async def _bind(port: int, system_id: str, password: str) -> str:
    async def on_deliver(msg):  # pragma: no cover - nothing is delivered here
        return 0

    session = await SmppSession.open("127.0.0.1", port, system_id, password, on_deliver)
    await session.close()
    return session.system_id


def test_binds_are_authenticated(running) -> None:
    password = read_password(running.data_dir / "password")
    assert len(password) == 8
    assert (running.data_dir / "password").stat().st_mode & 0o077 == 0
    assert asyncio.run(_bind(running.port, "micropay", password)) == "micropaySMSC"
    with pytest.raises(BindRefused) as wrong_password:
        asyncio.run(_bind(running.port, "micropay", "nope"))
    assert wrong_password.value.status == 0x0E  # ESME_RINVPASWD
    with pytest.raises(BindRefused) as wrong_id:
        asyncio.run(_bind(running.port, "someone", password))
    assert wrong_id.value.status == 0x0F  # ESME_RINVSYSID


def test_password_is_generated_once(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    first = ensure_password(path)
    assert ensure_password(path) == first
    path.write_text("far-too-long\n")
    with pytest.raises(ValueError):
        ensure_password(path)


def test_admin_needs_the_token(running) -> None:
    info = json.loads((running.data_dir / "admin.json").read_text())
    assert info["smpp_port"] == running.port
    assert admin_call(running.data_dir, "ping")["pid"] == running.process.pid
    import socket

    with socket.create_connection((info["host"], info["port"]), timeout=5) as sock:
        sock.sendall(b'{"cmd": "stats", "token": "guess"}\n')
        assert json.loads(sock.makefile().readline()) == {"ok": False, "error": "bad token"}
    with pytest.raises(AdminError, match="unknown command"):
        admin_call(running.data_dir, "format-disk")
    with pytest.raises(AdminError):
        admin_call(
            running.data_dir, "mo", **{"from": "not a number", "to": "short:1555", "text": "x"}
        )


def test_admin_call_without_smsc(tmp_path: Path) -> None:
    with pytest.raises(AdminError, match="no embedded SMSC"):
        admin_call(tmp_path, "ping")


def test_stopped_cleanly_and_exits_with_its_parent(tmp_path: Path) -> None:
    # a parent that starts an SMSC and is then killed: the SMSC must not outlive it
    script = (
        "import sys, time; from smsc.embedded import spawn_smsc; "
        f"h = spawn_smsc({str(tmp_path / 's')!r}, port=0); print(h.process.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    child_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait(5)
    for _ in range(100):
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        import time

        time.sleep(0.05)
    else:
        os.kill(child_pid, 9)
        raise AssertionError("SMSC outlived its parent")


def test_store_survives_torn_lines(tmp_path: Path) -> None:
    store = SmscStore(tmp_path)
    store.journal({"op": "accept", "id": "a"})
    store.close()
    with (tmp_path / "journal.jsonl").open("a") as fh:
        fh.write('{"op": "acc')  # killed mid-write
    store = SmscStore(tmp_path)
    store.journal({"op": "receipt_done", "id": "a"})
    assert [r["op"] for r in store.replay()] == ["accept", "receipt_done"]
    store.deliver_to_handset("tel:+8210", {"text": "hi", "part_ids": ["a"]})
    with handset_file(tmp_path / "handsets", "tel:+8210").open("a") as fh:
        fh.write('{"text": "to')
    assert [m["text"] for m in read_inbox(tmp_path, "tel:+8210")] == ["hi"]
    assert store.covered_part_ids() == {"a"}


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_cli_inbox_and_mo(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {**os.environ, "MICROPAY_DATA_DIR": str(data)}
    handle = spawn_smsc(data / "smsc", port=free_port())
    try:
        done = _cli(env, "sms", "mo", "+821012345678", "short:1555", "잔액 조회")
        assert done.returncode == 0, done.stderr
        assert "parts" in done.stdout
        done = _cli(env, "--json", "sms", "mo", "tel:+821012345678", "1555", "x" * 200)
        assert (
            json.loads(done.stdout)["parts"] == 2 and json.loads(done.stdout)["to"] == "short:1555"
        )
        bad = _cli(env, "sms", "mo", "nobody", "short:1555", "hi")
        assert bad.returncode == 1 and bad.stderr.startswith("micropay: error:")
        assert admin_call(handle.data_dir, "stats")["pending_mo"] == 2  # no ESME bound yet
    finally:
        handle.stop()
    # the inbox is read from the handset files, with or without a running SMSC
    store = SmscStore(data / "smsc")
    store.deliver_to_handset(
        "tel:+821099998888",
        {
            "from": "short:1555",
            "to": "tel:+821099998888",
            "text": "결제 완료",
            "parts": 1,
            "received_at": "2026-01-01T00:00:00+00:00",
            "part_ids": ["x"],
        },
    )
    store.close()
    done = _cli(env, "sms", "inbox", "tel:+82-10-9999-8888", "--json")
    assert done.returncode == 0, done.stderr
    assert [m["text"] for m in json.loads(done.stdout)] == ["결제 완료"]
    text = _cli(env, "sms", "inbox", "+821099998888")
    assert "결제 완료" in text.stdout
    for national in ("010-9999-8888", "tel:01099998888"):  # as Korean subscribers write it
        text = _cli(env, "sms", "inbox", national)
        assert "결제 완료" in text.stdout, (national, text.stdout, text.stderr)
    empty = _cli(env, "sms", "inbox", "tel:+821000000000")
    assert "no messages" in empty.stdout
    bad = _cli(env, "sms", "inbox", "tel:abc")
    assert bad.returncode == 1
