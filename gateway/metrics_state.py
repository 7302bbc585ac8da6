"""Metrics read when Prometheus scrapes: state of this gateway and of the shared database.

:class:`StateCollector` looks up what the components left on the runtime at each scrape (so the
start order does not matter) and reads:

- the charging-event dispatcher: ``micropay_leader{job}`` (1 on the one gateway that delivers),
  ``micropay_charging_events_delivered_total``;
- the ledger's event outbox against each application's slowest assignment cursor:
  ``micropay_charging_events_latest_seq``, ``micropay_charging_event_lag_events{app_id}`` and
  ``micropay_charging_event_lag_seconds{app_id}`` (age of the oldest event not yet dealt with);
  these come from the shared database, so every gateway reports the same values;
- SMS: ``micropay_smpp_bound`` (this gateway's bind to the SMSC),
  ``micropay_sms_outbox_parts_queued`` (parts waiting to be submitted, all gateways),
  ``micropay_sms_notifications_waiting{state}`` (pending / dead application notifications),
  ``micropay_sms_unrouted`` (MO messages kept because nothing takes them yet),
  ``micropay_sms_sender_events_total{event}`` and ``micropay_sms_notifications_total{result}``
  (this gateway's sender and notification dispatcher);
- ``micropay_sessions{surface,kind}`` (live handshakes, access sessions and service tokens);
- the framework's guard: ``micropay_auth_failures_total`` (failed handshakes this gateway
  counted), ``micropay_auth_failing_addresses{app_id}`` (addresses with failures in the alarm
  window, all gateways; alert when it reaches ``framework.auth_alarm_peers``),
  ``micropay_auth_handshakes_evicted_total`` (stale half-open handshakes that gave way) and
  ``micropay_access_sessions_reaped_total`` (sessions whose client stopped answering);
- ``micropay_database_up`` (the shared database answered this scrape).

A part that fails (the database away) is left out of that scrape; ``micropay_database_up`` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger("micropay.metrics")

LEADERSHIP_JOB = "charging-events"


class StateCollector(Collector):
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def describe(self) -> list[Metric]:
        return []  # read at scrape only (never at registration, before the components exist)

    def collect(self) -> Iterator[Metric]:
        extras = self.runtime.extras
        database_ok = True
        parts = (self._dispatcher, self._event_lag, self._sms, self._sessions, self._guard)
        for part in parts:
            try:
                yield from part(extras)
            except Exception as exc:  # a scrape must answer even when the database does not
                database_ok = False
                logger.warning("metrics: %s failed (%s)", part.__name__, type(exc).__name__)
        up = GaugeMetricFamily("micropay_database_up", "The shared database answered this scrape")
        up.add_metric([], 1 if database_ok else 0)
        yield up

    # -- parts ---------------------------------------------------------------------------------
    def _dispatcher(self, extras: dict[str, Any]) -> Iterator[Metric]:
        dispatcher = extras.get("charging_dispatcher")
        if dispatcher is None:
            return
        leader = GaugeMetricFamily(
            "micropay_leader",
            "1 when this gateway holds the job's database leadership",
            labels=["job"],
        )
        leader.add_metric([LEADERSHIP_JOB], 1 if dispatcher.leading else 0)
        yield leader
        delivered = CounterMetricFamily(
            "micropay_charging_events_delivered",
            "Charging events this gateway delivered to applications (reportNotification)",
        )
        delivered.add_metric([], dispatcher.delivered)
        yield delivered

    def _event_lag(self, extras: dict[str, Any]) -> Iterator[Metric]:
        ledger = extras.get("ledger")
        if ledger is None:
            return
        latest = ledger.latest_event_seq()
        with ledger.db.transaction(write=False) as tx:
            cursors = tx.all(
                "SELECT app_id, MIN(cursor_seq) FROM am_assignments GROUP BY app_id ORDER BY app_id"
            )
        newest = GaugeMetricFamily(
            "micropay_charging_events_latest_seq", "Sequence number of the newest charging event"
        )
        newest.add_metric([], latest)
        lag = GaugeMetricFamily(
            "micropay_charging_event_lag_events",
            "Charging events after the application's slowest notification cursor",
            labels=["app_id"],
        )
        age = GaugeMetricFamily(
            "micropay_charging_event_lag_seconds",
            "Age of the oldest charging event the application's slowest cursor has not passed",
            labels=["app_id"],
        )
        now = datetime.now(UTC)
        for app_id, cursor in cursors:
            behind = max(0, latest - int(cursor))
            seconds = 0.0
            if behind:
                oldest = ledger.events_after(int(cursor), 1)
                if oldest:
                    seconds = max(0.0, (now - oldest[0].occurred_at).total_seconds())
            lag.add_metric([app_id], behind)
            age.add_metric([app_id], seconds)
        yield from (newest, lag, age)

    def _sms(self, extras: dict[str, Any]) -> Iterator[Metric]:
        sms = extras.get("sms_runtime")
        if sms is None:
            return
        bound = GaugeMetricFamily(
            "micropay_smpp_bound", "1 while this gateway is bound to the SMSC"
        )
        bound.add_metric([], 1 if sms.sender.connected.is_set() else 0)
        sender = CounterMetricFamily(
            "micropay_sms_sender_events",
            "This gateway's SMPP sender: submitted, acked, throttled, failed, retried, released "
            "parts; receipts, MO messages, binds and bind failures",
            labels=["event"],
        )
        for event, count in sorted(sms.sender.stats.items()):
            sender.add_metric([event], count)
        notified = CounterMetricFamily(
            "micropay_sms_notifications",
            "This gateway's SMS notification attempts by result",
            labels=["result"],
        )
        for result, count in sorted(sms.dispatcher.stats.items()):
            notified.add_metric([result], count)
        yield from (bound, sender, notified)
        with sms.db.transaction(write=False) as tx:
            queued = tx.one("SELECT COUNT(*) FROM sms_part WHERE state = 'queued'")
            unrouted = tx.one("SELECT COUNT(*) FROM sms_unrouted")
            waiting = dict(
                tx.all(
                    "SELECT state, COUNT(*) FROM sms_event WHERE state IN ('pending', 'dead') "
                    "GROUP BY state"
                )
            )
        depth = GaugeMetricFamily(
            "micropay_sms_outbox_parts_queued",
            "SMS parts waiting to be submitted to the SMSC (all gateways)",
        )
        depth.add_metric([], int(queued[0]) if queued else 0)
        events = GaugeMetricFamily(
            "micropay_sms_notifications_waiting",
            "Application notifications (receipts, MO) not delivered: pending or dead",
            labels=["state"],
        )
        for state in ("pending", "dead"):
            events.add_metric([state], int(waiting.get(state, 0)))
        kept = GaugeMetricFamily(
            "micropay_sms_unrouted",
            "MO messages no notification or registration has taken yet (all gateways)",
        )
        kept.add_metric([], int(unrouted[0]) if unrouted else 0)
        yield from (depth, events, kept)

    def _sessions(self, extras: dict[str, Any]) -> Iterator[Metric]:
        sessions = GaugeMetricFamily(
            "micropay_sessions",
            "Live handshakes, access sessions and service tokens on this gateway",
            labels=["surface", "kind"],
        )
        framework = self.runtime.framework
        if framework is not None:
            for kind, count in framework.stats().items():
                sessions.add_metric(["corba", kind], count)
        grpc_server = extras.get("grpc")
        if grpc_server is not None:
            for kind, count in grpc_server.access.stats().items():
                sessions.add_metric(["grpc", kind], count)
        yield sessions

    def _guard(self, extras: dict[str, Any]) -> Iterator[Metric]:
        framework = self.runtime.framework
        if framework is None:
            return
        guard = framework.guard_stats()
        for name, text in (
            ("auth_failures", "Failed authentications this gateway counted toward a lock-out"),
            ("auth_handshakes_evicted", "Stale half-open handshakes that gave way to new ones"),
            (
                "access_sessions_reaped",
                "Access sessions ended because the client stopped answering",
            ),
        ):
            counter = CounterMetricFamily(f"micropay_{name}", text)
            counter.add_metric([], guard[name])
            yield counter
        failing = GaugeMetricFamily(
            "micropay_auth_failing_addresses",
            "Client addresses with failed authentications in the alarm window (all gateways)",
            labels=["app_id"],
        )
        for app_id, count in sorted(framework.failing_addresses().items()):
            failing.add_metric([app_id], count)
        yield failing
