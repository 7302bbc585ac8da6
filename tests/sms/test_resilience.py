"""Nothing is lost when the SMSC or the gateway dies mid-stream; throttling is respected."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter

from gateway.config import Config
from scf.sms.runtime import SmsRuntime, start_sms
from scf.sms.service import SmsService
from storage import open_database
from tests.conftest import ROOT
from tests.sms.conftest import Listener, Smsc, wait_until

WINDOW = 10


def numbers(n: int, base: int = 0) -> list[str]:
    return [f"tel:+8210{base + i:08d}" for i in range(n)]


def send_all(service: SmsService, targets: list[str]) -> dict[str, str]:
    return {
        number: service.sendSms(
            "app1", [number], None, None, f"message for {number} " + "가" * 80, None
        )
        for number in targets
    }


def delivered_count(service: SmsService, ids: dict[str, str]) -> int:
    return sum(
        service.getSmsDeliveryStatus("app1", rid)[0].deliveryStatus == "DeliveredToTerminal"
        for rid in ids.values()
    )


def check_inboxes(smsc: Smsc, ids: dict[str, str], duplicates_max: int) -> None:
    copies = Counter()
    for number in ids:
        inbox = smsc.inbox(number)
        assert inbox, f"{number} lost its message"
        assert {m["text"] for m in inbox} == {f"message for {number} " + "가" * 80}
        copies[len(inbox)] += 1
    duplicates = sum((n - 1) * k for n, k in copies.items())
    assert duplicates <= duplicates_max, copies


def test_smsc_killed_and_restarted_mid_stream_loses_nothing(sms: SmsRuntime, smsc: Smsc) -> None:
    ids = send_all(sms.service, numbers(60))
    wait_until(lambda: smsc.admin("stats")["submit_sm"] >= 30, what="half submitted")
    smsc.kill()
    time.sleep(0.5)
    wait_until(lambda: not sms.sender.connected.is_set(), what="bind lost")
    smsc.start()
    wait_until(lambda: delivered_count(sms.service, ids) == 60, timeout_s=40, what="all delivered")
    # a part the SMSC journaled but whose answer died with it is sent twice, at most a window
    check_inboxes(smsc, ids, duplicates_max=2 * WINDOW)
    assert sms.sender.stats["binds"] >= 2


def test_throttling_is_respected(sms: SmsRuntime, smsc: Smsc) -> None:
    smsc.admin("rate", per_s=40)
    started = time.monotonic()
    ids = send_all(sms.service, numbers(60, base=1000))  # 2 parts each: 120 submit_sm
    wait_until(lambda: delivered_count(sms.service, ids) == 60, timeout_s=40, what="all delivered")
    elapsed = time.monotonic() - started
    stats = smsc.admin("stats")
    assert elapsed >= 120 / 40 - 1.2  # never faster than the SMSC allows
    assert sms.sender.stats["throttled"] == stats["throttled"] > 0
    # the sender backs off (pause, then a window of 1 growing back) instead of hammering: at
    # most half as many throttled answers as the 120 accepted. A sender that resubmitted at once
    # would be throttled hundreds of times in these 3 s; one that backs off gets up to a window
    # of them per episode (14-25 measured alone, 42 in a loaded test run)
    assert stats["throttled"] <= 60, stats
    check_inboxes(smsc, ids, duplicates_max=0)


def test_throttle_rule_for_one_number(sms: SmsRuntime, smsc: Smsc) -> None:
    [number] = numbers(1, base=5000)
    smsc.admin("rule", number=number, throttle=3)
    ids = send_all(sms.service, [number])
    wait_until(lambda: delivered_count(sms.service, ids) == 1, what="delivered after throttling")
    assert sms.sender.stats["throttled"] == 3


def test_gateway_restart_loses_and_duplicates_nothing(config: Config, smsc: Smsc) -> None:
    smsc.admin("rate", per_s=100)  # keep the stream going long enough to stop it midway
    first = start_sms(config, resolver=lambda e: Listener(), lease_ms=2_000)
    ids = send_all(first.service, numbers(80, base=2000))
    wait_until(lambda: first.sender.stats["acked"] >= 40, what="half acknowledged")
    first.stop()
    assert smsc.admin("stats")["submit_sm"] < 160 + 20
    second = start_sms(config, resolver=lambda e: Listener(), lease_ms=2_000)
    try:
        wait_until(lambda: delivered_count(second.service, ids) == 80, timeout_s=30, what="all")
        check_inboxes(smsc, ids, duplicates_max=0)
    finally:
        second.stop()


def test_gateway_killed_mid_stream_loses_nothing(config: Config, smsc: Smsc) -> None:
    smsc.admin("rate", per_s=100)
    db = open_database(config.ledger_url)
    service = SmsService(db, short_code=config["sms"]["short_code"])
    ids = send_all(service, numbers(80, base=3000))  # stored; no sender runs in this process
    env = {
        **os.environ,
        "MICROPAY_DATA_DIR": str(config.data_dir),
        "MICROPAY_SMSC_PORT": str(config["smsc"]["port"]),
    }

    def spawn() -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sms.sender_proc"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout.readline().strip() == "sender ready"
        return proc

    proc = spawn()
    try:
        wait_until(lambda: smsc.admin("stats")["submit_sm"] >= 50, what="some submitted")
        proc.kill()
        proc.wait(5)
        proc = spawn()
        try:
            wait_until(
                lambda: delivered_count(service, ids) == 80, timeout_s=40, what="all delivered"
            )
        except AssertionError:
            with db.transaction() as tx:
                print(
                    "DEBUG",
                    tx.all(
                        "SELECT state, count(*), max(attempts), max(last_error) FROM sms_part GROUP BY state"
                    ),
                )
            print("DEBUG smsc", smsc.admin("stats"))
            raise
        # parts in flight at the kill (a window) may be submitted again: never lost
        check_inboxes(smsc, ids, duplicates_max=WINDOW)
    finally:
        proc.terminate()
        proc.wait(10)
        db.close()
