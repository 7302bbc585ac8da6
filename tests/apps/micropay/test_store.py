"""The application's own database: orders move by compare-and-set; events and SMS received
are kept once, across a restart."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

from apps.micropay.ports import ChargingEvent, InboundSms
from apps.micropay.procedure import Event, State
from apps.micropay.store import Store


def order(store: Store, order_id: str = "o1") -> None:
    store.create_order(
        {
            "order_id": order_id,
            "product_id": "song",
            "title": "A song",
            "quantity": 1,
            "amount": "1500",
            "currency": "KRW",
            "two_step": 0,
        }
    )


def event(event_id: str) -> ChargingEvent:
    return ChargingEvent(
        event_id, "P_AM_CHARGING", "tel:+8210", "KRW", Decimal(1), Decimal(2), "", "", "", 7
    )


def test_one_of_two_racing_moves_wins(tmp_path: Path) -> None:
    store = Store(tmp_path / "shop.db")
    order(store)
    results: list[object] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        results.append(store.move("o1", Event.ENTER_ACCOUNT, State.IDLE, end_user="acct:1"))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    found = store.order("o1")
    assert found is not None and found.status is State.ACCOUNT_ENTERED
    store.close()


def test_events_and_sms_are_kept_once_across_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "shop.db")
    assert store.record_event(event("41"))
    assert not store.record_event(event("41"))
    sms = InboundSms("tel:+8210", "short:1555", "BAL", "2026-11-27T09:00:00Z", "c")
    assert store.record_inbound(sms, "k1")
    store.event_acted("41", "shown")
    store.close()
    again = Store(tmp_path / "shop.db")
    assert not again.record_event(event("41"))
    assert not again.record_inbound(sms, "k1")
    assert again.events(pending=True) == []
    assert [m["sms_key"] for m in again.inbound(pending=True)] == ["k1"]
    again.close()


def test_wait_for_wakes_on_the_move(tmp_path: Path) -> None:
    store = Store(tmp_path / "shop.db")
    order(store)
    timer = threading.Timer(
        0.2, lambda: store.move("o1", Event.ENTER_ACCOUNT, State.IDLE, end_user="acct:1")
    )
    timer.start()
    found = store.wait_for("o1", [State.ACCOUNT_ENTERED], 5)
    timer.join()
    assert found is not None and found.status is State.ACCOUNT_ENTERED
    store.close()
