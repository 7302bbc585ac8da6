"""Interoperability with an SMSC built on node-smpp (npm ``smpp``, pinned in
tests/sms/node_smsc/package-lock.json and installed by build.sh): an SMPP implementation we did
not write, in its own process (tests/sms/node_smsc/smsc.js).

- MO messages to short codes as real SMSCs address them (TON 3, TON 0, TON 0 with the country
  code in front) reach the application's registration, from national and international senders;
- an MO no application takes is kept (acknowledged only once stored) and handed over when a
  registration for it appears;
- senders go out with the configured TON/NPI: the default short code, a per-code override, and
  international destinations;
- a wrong password: back-off on the slow authentication path, a stop after N, the cause in the
  bind status /readyz shows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.config import load_config
from scf.sms.runtime import start_sms
from scf.sms.service import SmsService
from storage import open_database
from tests.conftest import ROOT, free_port
from tests.sms.conftest import Listener, wait_until

NODE_SMSC = ROOT / "tests" / "sms" / "node_smsc"
SYSTEM_ID, PASSWORD = "micropay", "s3cret"
HANDSET_NATIONAL, HANDSET = "01077778888", "tel:+821077778888"


def _mo(source: str, source_ton: int, dest: str, dest_ton: int, text: str) -> dict:
    return {
        "pdu": {
            "source_addr": source,
            "source_addr_ton": source_ton,
            "source_addr_npi": 1,
            "destination_addr": dest,
            "dest_addr_ton": dest_ton,
            "dest_addr_npi": 0 if dest_ton == 3 else 1,
            "short_message": text,
        }
    }


MO = [
    _mo(HANDSET_NATIONAL, 2, "7175", 3, "VOTE A"),  # national sender, short code TON 3
    _mo("821077778888", 1, "7175", 0, "VOTE B"),  # short code TON 0
    _mo("821077778888", 1, "821555", 0, "BAL"),  # TON 0, the country code in front
    _mo("821077778888", 1, "9999", 3, "LOST"),  # nobody listens on 9999 (yet)
]


def _records(path: Path, event: str) -> list[dict]:
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in lines if r["event"] == event]


@contextmanager
def node_smsc(tmp_path: Path, mo: list[dict]) -> Iterator[tuple[int, Path]]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (build.sh installs it)"
    assert (NODE_SMSC / "node_modules" / "smpp").is_dir(), "run ./build.sh test (npm ci)"
    port, record, mo_file = free_port(), tmp_path / "node-record.jsonl", tmp_path / "mo.json"
    mo_file.write_text(json.dumps(mo))
    proc = subprocess.Popen(
        [node, "smsc.js", str(port), SYSTEM_ID, PASSWORD, str(record), str(mo_file)],
        cwd=NODE_SMSC,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield port, record
    finally:
        proc.kill()
        proc.wait(5)


def _config(tmp_path: Path, port: int, password: str, **extra: str):
    (tmp_path / "pw").write_text(password + "\n")
    return load_config(
        env={
            "MICROPAY_DATA_DIR": str(tmp_path / "var"),
            "MICROPAY_SMSC_PORT": str(port),
            "MICROPAY_SMSC_SYSTEM_ID": SYSTEM_ID,
            "MICROPAY_SMSC_PASSWORD_FILE": str(tmp_path / "pw"),
            **extra,
        }
    )


def test_short_codes_unrouted_mo_and_sender_addresses(tmp_path: Path) -> None:
    with node_smsc(tmp_path, MO) as (port, record):
        config = _config(tmp_path, port, PASSWORD, MICROPAY_SMS_SHORT_CODE_OVERRIDES="7175=0/1")
        db = open_database(config.ledger_url)  # registrations first: MO comes right after bind
        provisioning = SmsService(db)
        reg_vote = provisioning.register_activation_number("app1", "short:7175", criteria="vote")
        reg_bal = provisioning.register_activation_number("app1", "short:1555")
        db.close()
        runtime = start_sms(config, resolver=lambda e: Listener(), lease_ms=2_000)
        try:
            service = runtime.service
            acks = wait_until(
                lambda: len(_records(record, "mo_resp")) >= len(MO) and _records(record, "mo_resp"),
                what="deliver_sm_resp for every MO",
            )
            assert {a["status"] for a in acks} == {0}  # each acknowledged once stored
            votes = service.getReceivedSms("app1", reg_vote)
            assert sorted((m.message, m.senderAddress) for m in votes) == [
                ("VOTE A", HANDSET),
                ("VOTE B", HANDSET),
            ]
            assert [m.smsServiceActivationNumber for m in votes] == ["short:7175"] * 2
            assert [m.message for m in service.getReceivedSms("app1", reg_bal)] == ["BAL"]
            assert [(u["to"], u["text"]) for u in service.unrouted()] == [("short:9999", "LOST")]
            reg_lost = service.register_activation_number("app2", "short:9999")
            assert [m.message for m in service.getReceivedSms("app2", reg_lost)] == ["LOST"]
            assert service.unrouted() == []

            service.sendSms("app1", ["tel:010-1111-0001"], None, None, "from 1555", None)
            service.sendSms("app1", ["tel:+821011110002"], "7175", None, "from 7175", None)
            submits = wait_until(
                lambda: len(_records(record, "submit")) >= 2 and _records(record, "submit"),
                what="two submit_sm",
            )
            by_dest = {s["destination_addr"]: s for s in submits}
            first, second = by_dest["821011110001"], by_dest["821011110002"]
            assert (first["source_addr"], first["source_addr_ton"], first["source_addr_npi"]) == (
                "1555",
                3,
                0,
            )
            assert (second["source_addr"], second["source_addr_ton"]) == ("7175", 0)
            assert second["source_addr_npi"] == 1
            assert {(s["dest_addr_ton"], s["dest_addr_npi"]) for s in submits} == {(1, 1)}
        finally:
            runtime.stop()


def test_wrong_password_backs_off_and_stops(tmp_path: Path) -> None:
    with node_smsc(tmp_path, []) as (port, record):
        config = _config(
            tmp_path,
            port,
            "wrong",
            MICROPAY_SMSC_BIND_AUTH_RETRY_MS_MIN="300",
            MICROPAY_SMSC_BIND_AUTH_RETRY_MS_MAX="600",
            MICROPAY_SMSC_BIND_AUTH_FAILURES_MAX="4",
        )
        runtime = start_sms(config, resolver=lambda e: Listener())
        try:
            wait_until(lambda: runtime.sender.backoff.stopped, what="the sender gives up")
            bound, detail = runtime.sender.bind_status()
            assert not bound
            assert "ESME_RINVPASWD" in detail and "stopped after 4" in detail, detail
            binds = _records(record, "bind")
            assert [b["status"] for b in binds] == [0x0E] * 4  # refused: wrong password
            gaps = [b["t"] - a["t"] for a, b in zip(binds, binds[1:], strict=False)]
            assert gaps[0] >= 280 and all(g >= 560 for g in gaps[1:]), gaps  # 300, 600, 600
            runtime.sender.connected.wait(1.0)  # nothing more comes
            assert len(_records(record, "bind")) == 4
        finally:
            runtime.stop()


@pytest.mark.parametrize("status", [0x0E, 0x0F])
def test_authentication_failures_take_the_slow_path(status: int) -> None:
    """Pure back-off: authentication failures wait far longer than network failures."""
    from smpp.bind_backoff import BindBackoff, BindFailure, classify

    backoff = BindBackoff()
    assert classify(status) is BindFailure.AUTHENTICATION
    network = [backoff.failed(BindFailure.NETWORK, "refused") for _ in range(8)]
    assert network[:3] == [100, 200, 400] and network[-1] == 5_000
    auth = [backoff.failed(classify(status), "bind refused") for _ in range(8)]
    assert auth[:2] == [30_000, 60_000] and auth[-1] == 600_000
    backoff.bound()
    assert backoff.failed(BindFailure.NETWORK, "x") == 100 and backoff.describe()
