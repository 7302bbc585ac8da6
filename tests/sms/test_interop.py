"""Interoperability with an SMPP implementation we did not write: the smpp34 package.

- our sender and ESME against smpp34's SMSC (a separate process): submit, receipts (hex id in
  submit_sm_resp, decimal id in the receipt), a two-part UCS-2 MO message;
- smpp34's client (ESME) against our embedded SMSC: bind refused on a bad password, submit_sm,
  and the delivery receipt back.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import smpp34

from gateway.config import load_config
from scf.sms.runtime import start_sms
from smpp.credentials import read_password
from smpp.encoding import decode_part, join_payloads
from tests.conftest import ROOT, free_port
from tests.sms.conftest import Listener, Smsc, wait_until
from tests.sms.smpp34_smsc import MO_TEXT

TEXTS = {
    "tel:+821012340001": "Hello from micropay €5 {ok}",
    "tel:+821012340002": "안녕하세요, 결제 알림입니다. " * 8,  # UCS-2, 3 parts
}


def test_our_sender_against_the_smpp34_smsc(tmp_path: Path) -> None:
    port = free_port()
    record = tmp_path / "record.jsonl"
    (tmp_path / "pw").write_text("secret\n")
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.sms.smpp34_smsc", str(port), str(record)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    config = load_config(
        env={
            "MICROPAY_DATA_DIR": str(tmp_path / "var"),
            "MICROPAY_SMSC_PORT": str(port),
            "MICROPAY_SMSC_PASSWORD_FILE": str(tmp_path / "pw"),
        }
    )
    runtime = None
    try:
        assert server.stdout.readline().strip() == "ready"
        runtime = start_sms(config, resolver=lambda e: Listener(), lease_ms=2_000)
        service = runtime.service
        reg = service.register_activation_number("app1", "short:1555")
        ids = {n: service.sendSms("app1", [n], None, None, t, None) for n, t in TEXTS.items()}

        def delivered() -> bool:
            return all(
                service.getSmsDeliveryStatus("app1", rid)[0].deliveryStatus == "DeliveredToTerminal"
                for rid in ids.values()
            )

        try:
            wait_until(delivered, what="receipts from smpp34")
        except AssertionError:
            print("DEBUG stats", runtime.sender.stats)
            print("DEBUG record", record.read_text() if record.exists() else None)
            with runtime.db.transaction() as tx:
                print(
                    "DEBUG parts",
                    tx.all("SELECT address, seq, state, smsc_message_id, last_error FROM sms_part"),
                )
            raise
        # what smpp34 decoded off the wire reassembles to exactly what was sent
        seen: dict[str, list[dict]] = {}
        for line in record.read_text().splitlines():
            pdu = json.loads(line)
            seen.setdefault(pdu["to"], []).append(pdu)
        for number, text in TEXTS.items():
            pdus = seen[number.removeprefix("tel:+")]
            assert {p["to_ton"] for p in pdus} == {1} and {
                p["registered_delivery"] for p in pdus
            } == {1}
            parts = [
                decode_part(bytes.fromhex(p["short_message"]), p["data_coding"], p["esm_class"])
                for p in pdus
            ]
            parts.sort(key=lambda cp: cp[0].seq if cp[0] else 0)
            assert join_payloads([payload for _, payload in parts], pdus[0]["data_coding"]) == text
        assert [len(seen[n.removeprefix("tel:+")]) for n in TEXTS] == [1, 3]
        assert [seen[n.removeprefix("tel:+")][0]["data_coding"] for n in TEXTS] == [0, 8]
        # the two-part MO from smpp34 is reassembled and routed to the registration
        got = wait_until(lambda: service.getReceivedSms("app1", reg), what="MO from smpp34")
        assert [(m.message, m.senderAddress) for m in got] == [(MO_TEXT, "tel:+821077778888")]
    finally:
        if runtime is not None:
            runtime.stop()
        server.kill()
        server.wait(5)


async def _smpp34_client(port: int, password: str) -> tuple[str, smpp34.DeliverSmEvent]:
    client = smpp34.Client("127.0.0.1", port, "micropay", password, bind_type="TRX")
    smsc = await asyncio.wait_for(client.connect(), 10)
    resp = await smsc.submit_sm(
        "821099990000",
        "첫 메시지".encode("utf-16-be"),
        source_addr="1555",
        source_addr_ton=3,
        dest_addr_ton=1,
        dest_addr_npi=1,
        data_coding=8,
        registered_delivery=1,
    )
    assert resp.is_success
    event = await asyncio.wait_for(smsc.next(), 10)
    await smsc.unbind()
    await client.stop()
    return resp.message_id, event


async def _bad_bind(port: int) -> None:
    # smpp34 1.5.0 reports a refused bind (our bind_transceiver_resp carries 0x0E
    # ESME_RINVPASWD, header only) as "bind timed out" once its connect timeout runs out
    client = smpp34.Client(
        "127.0.0.1", port, "micropay", "wrong", bind_type="TRX", connect_timeout_ms=1500
    )
    try:
        await asyncio.wait_for(client.connect(), 10)
    finally:
        await client.stop()


def test_smpp34_client_against_our_smsc(smsc: Smsc) -> None:
    with pytest.raises(smpp34.SmppError, match="(?i)bind"):
        asyncio.run(_bad_bind(smsc.port))
    password = read_password(smsc.data_dir / "password")
    message_id, event = asyncio.run(_smpp34_client(smsc.port, password))
    assert isinstance(event, smpp34.DeliverSmEvent) and event.esm_class == 0x04
    assert f"id:{message_id} ".encode() in event.short_message
    assert b"stat:DELIVRD" in event.short_message
    [msg] = smsc.inbox("tel:+821099990000")
    assert msg["text"] == "첫 메시지" and msg["from"] == "short:1555"
