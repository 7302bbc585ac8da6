"""The gateway's alert sender: the subscriber's alerts (``charging.alerts``) as SMS.

One thread per gateway; only the leader of the job ``alerts`` works (several gateways on one
database send each alert once). Every ``sms.alert_interval_ms`` it

1. applies the raised monthly limits whose cooling-off has ended (``Ledger.apply_due_limits``),
2. queues the alerts of large payments since its last look (``Ledger.scan_large_payments``),
3. sends each alert not sent yet from its operator-editable template
   (``SmsService.notify_subscriber``; ``scf/sms/templates.py``, kind = template name) in
   ``sms.alert_language``, and marks it sent.

An alert is marked sent after the SMS SCF has stored the message (its outbox then delivers it):
a gateway killed between the two sends that alert again -- at least once, never lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from charging import clock
from charging.alerts import Alert
from charging.ledger import Ledger
from charging.money import from_minor
from storage.cluster import Leadership

logger = logging.getLogger("micropay.alerts")

LEADERSHIP_NAME = "alerts"
Send = Callable[[str, str, str, dict[str, Any]], object]  # (template, msisdn, lang, fields)


def template_of(alert: Alert) -> str:
    if alert.kind == "alert_suspended" and alert.fields.get("by") == "operator":
        return "alert_suspended_operator"
    return alert.kind


def fields_of(alert: Alert, ledger: Ledger, short_code: str) -> dict[str, Any]:
    """The template's fields: amounts in major units, instants in the ledger's zone."""
    f = alert.fields
    out: dict[str, Any] = {"short_code": short_code.removeprefix("short:").removeprefix("tel:")}
    currency = f.get("currency", "")
    for name in ("limit", "amount", "balance", "above"):
        if name in f:
            out[name] = f"{from_minor(int(f[name]), currency):,}"
    for name, source in (("until", "locked_until"), ("effective_at", "effective_at"),
                         ("when", "occurred_at")):  # fmt: skip
        if source in f:
            out[name] = local_time(clock.from_text(f[source]), ledger)
    for name in ("currency", "failures", "minutes", "by"):
        if name in f:
            out[name] = f[name]
    return out


def local_time(instant: datetime, ledger: Ledger) -> str:
    return instant.astimezone(ledger.tz).strftime("%Y-%m-%d %H:%M")


class AlertSender:
    name = "alerts"  # a gateway component (gateway.components)

    def __init__(
        self,
        ledger: Ledger,
        send: Send,
        leadership: Leadership | None,
        *,
        language: str = "en",
        short_code: str = "short:1555",
        interval_ms: int = 1000,
    ) -> None:
        self.ledger, self.send, self.leadership = ledger, send, leadership
        self.language, self.short_code = language, short_code
        self.interval_ms = interval_ms
        self.sent = 0  # for health and tests
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-sender", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_ms / 1000):
            try:
                if self.leadership is None or self.leadership.held():
                    self.round()
            except Exception:  # the database or the SMS SCF may come back
                logger.exception("sending alerts failed")

    def round(self) -> int:
        """One pass: due limits, large payments, then every pending alert; how many were sent."""
        self.ledger.apply_due_limits()
        self.ledger.scan_large_payments()
        sent = 0
        for alert in self.ledger.pending_alerts():
            self.send(
                template_of(alert),
                alert.msisdn,
                self.language,
                fields_of(alert, self.ledger, self.short_code),
            )
            self.ledger.alert_sent(alert.seq)
            sent += 1
        self.sent += sent
        return sent


def start_alerts_component(runtime: Any) -> AlertSender | None:
    """Start the alert sender when the gateway has both a ledger and the SMS SCF."""
    ledger = runtime.extras.get("ledger")
    sms = runtime.extras.get("sms")
    if ledger is None or sms is None:
        return None
    config = runtime.config
    leadership = Leadership(
        ledger.db,
        LEADERSHIP_NAME,
        mode=str(config["ledger"]["leader_election"]),
        ttl_ms=int(config["ledger"]["leader_lease_ttl_s"]) * 1000,
    )

    def send(kind: str, msisdn: str, lang: str, fields: dict[str, Any]) -> object:
        return sms.notify_subscriber(kind, msisdn, lang=lang, **fields)

    sender = AlertSender(
        ledger,
        send,
        leadership,
        language=str(config["sms"]["alert_language"]),
        short_code=str(config["sms"]["short_code"]),
        interval_ms=int(config["sms"]["alert_interval_ms"]),
    )
    sender.start()
    runtime.health.add_check("alerts", lambda: (True, f"sent={sender.sent}"))
    return sender
