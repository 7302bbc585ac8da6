"""The gateway's Prometheus metrics (``GET /metrics`` on the health endpoint) and call logs.

``start_metrics_component`` runs first in ``COMPONENTS``: it makes
:meth:`GatewayMetrics.record_call` the sink of :mod:`telemetry.calls` (the CORBA servants'
``observed`` operations and the gRPC shim's observer open and finish one record per call, with
the application, account, reference code and messageId), listens to the ledger's group commits
(:func:`charging.group_commit.observe_batches`), and registers the collector of
``gateway.metrics_state`` that reads the rest (SMS outbox, SMPP bind, charging-event lag,
leadership, sessions) when Prometheus scrapes. Every name is listed, with what to alert on, in
docs/operations.md.

Each finished SCF call is also one JSON log line (``log.calls``: all, faults, none) with the
application id, the account, the reference code, the outcome and the duration -- never a PIN,
secret or message text (only named fields are ever recorded, and ``gateway.logs`` masks
secret-looking keys as well).
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

from charging import group_commit
from gateway.batches import BatchThread
from gateway.metrics_state import StateCollector
from telemetry import calls as observe

logger = logging.getLogger("micropay.calls")

CALL_SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
BATCH_REQUESTS_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
FLUSH_SECONDS_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
CALL_LOGS = ("all", "faults", "none")


class GatewayMetrics:
    """The registry of one gateway process and the sinks that feed it."""

    def __init__(self, runtime: Any, call_logs: str = "all") -> None:
        if call_logs not in CALL_LOGS:
            raise ValueError(f"log.calls must be one of {', '.join(CALL_LOGS)}")
        self.call_logs = call_logs
        disable_created_metrics()  # no *_created series: start times are process_start_time
        self.registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        r = self.registry
        self.calls = Counter(
            "micropay_calls", "Calls served, per surface and operation", ["surface", "operation"],
            registry=r,
        )  # fmt: skip
        self.faults = Counter(
            "micropay_faults",
            "Calls that ended in a fault, per surface, operation and fault (Parlay X messageId, "
            "framework exception, token refusal or gRPC status)",
            ["surface", "operation", "fault"],
            registry=r,
        )
        self.duration = Histogram(
            "micropay_call_duration_seconds",
            "Time from request to answer of unary calls",
            ["surface", "operation"],
            buckets=CALL_SECONDS_BUCKETS,
            registry=r,
        )
        self.batch_requests = Histogram(
            "micropay_ledger_batch_requests",
            "Requests per group-commit transaction of the ledger",
            buckets=BATCH_REQUESTS_BUCKETS,
            registry=r,
        )
        self.flush_seconds = Histogram(
            "micropay_ledger_flush_seconds",
            "Time from the start of a group-commit transaction to the end of its durable commit",
            buckets=FLUSH_SECONDS_BUCKETS,
            registry=r,
        )
        r.register(StateCollector(runtime))
        self._series: dict[tuple[str, str], tuple[Any, Any]] = {}  # (calls, duration) children
        self._finished = BatchThread("call-metrics", self._record)

    # -- sinks ---------------------------------------------------------------------------------
    def record_call(self, call: observe.Call) -> None:
        """The sink of finished calls: the serving thread only queues the record. One thread
        counts, times and logs it -- prometheus_client's locks and the log line, taken by every
        ORB worker thread at once, made a trivial CORBA call five times slower at 8 clients."""
        self._finished.put(call)

    def close(self) -> None:
        """Record what is queued, then stop the recording thread."""
        self._finished.close()

    def _record(self, call: observe.Call) -> None:
        key = (call.surface, call.operation)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (self.calls.labels(*key), self.duration.labels(*key))
        series[0].inc()
        if call.fault:
            self.faults.labels(call.surface, call.operation, call.fault).inc()
        streaming = call.fields.pop("stream", None) is not None
        if not streaming:
            series[1].observe(call.duration_ns / 1e9)
        if (
            "app_id" in call.fields
            and (self.call_logs == "all" or (self.call_logs == "faults" and call.fault))
            and logger.isEnabledFor(logging.INFO)
        ):
            fields = {
                "surface": call.surface,
                "operation": call.operation,
                "outcome": call.outcome,
                "fault": call.fault or None,
                "duration_ms": round(call.duration_ns / 1e6, 3),
                **call.fields,
            }
            # Logger.log without its search of the stack for the caller: always this line
            logger.handle(
                logger.makeRecord(
                    logger.name, logging.INFO, __file__, 0, "call", (), None,
                    extra={"fields": fields},
                )
            )  # fmt: skip

    def observe_batch(self, requests: int, flush_ns: int) -> None:
        self.batch_requests.observe(requests)
        self.flush_seconds.observe(flush_ns / 1e9)

    def render(self) -> tuple[bytes, str]:
        self._finished.flush()  # a scrape sees every call finished before it
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsComponent:
    name = "metrics"

    def __init__(self, metrics: GatewayMetrics, health: Any) -> None:
        self.metrics = metrics
        self.health = health

    def stop(self) -> None:
        observe.set_sink(None)
        self.metrics.close()
        group_commit.stop_observing(self.metrics.observe_batch)
        self.health.metrics = None


def start_metrics_component(runtime: Any) -> MetricsComponent:
    """First of ``COMPONENTS``: metrics and call logs for everything started after it."""
    metrics = GatewayMetrics(runtime, str(runtime.config["log"]["calls"]))
    observe.set_sink(metrics.record_call)
    group_commit.observe_batches(metrics.observe_batch)
    runtime.health.metrics = metrics.render
    runtime.health.add_check("database", lambda: database_ready(runtime))
    runtime.extras["metrics"] = metrics
    return MetricsComponent(metrics, runtime.health)


def database_ready(runtime: Any) -> tuple[bool, str]:
    """Readiness: the ledger's database answers (the single source of truth)."""
    ledger = runtime.extras.get("ledger")
    if ledger is None:
        return False, "no ledger"
    return True, f"latest_event_seq={ledger.latest_event_seq()}"
