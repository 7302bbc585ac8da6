"""The gateway's health endpoint: ``GET /healthz`` (liveness), ``GET /readyz`` (readiness) and
``GET /metrics`` (Prometheus text format, when ``gateway.metrics`` set :attr:`HealthServer.metrics`).

Each running component registers a check (a callable returning ``(ok, detail)``); readiness is
the conjunction of all of them. Plain HTTP on loopback by default, served from its own thread so
a stuck component cannot hide itself by stalling the check.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Check = Callable[[], tuple[bool, str]]


class HealthServer:
    def __init__(self, host: str, port: int) -> None:
        self.checks: dict[str, Check] = {}
        self.metrics: Callable[[], tuple[bytes, str]] | None = None  # (body, content type)
        health = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
                if self.path == "/healthz":
                    self._send(200, {"status": "alive"})
                elif self.path == "/metrics" and health.metrics is not None:
                    body, content_type = health.metrics()
                    self.send_response(200)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path == "/readyz":
                    ready, detail = health.readiness()
                    self._send(
                        200 if ready else 503,
                        {"status": "ready" if ready else "not ready", "checks": detail},
                    )
                else:
                    self._send(404, {"error": "not found"})

            def _send(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    def add_check(self, name: str, check: Check) -> None:
        self.checks[name] = check

    def readiness(self) -> tuple[bool, dict[str, dict[str, object]]]:
        detail: dict[str, dict[str, object]] = {}
        for name, check in list(self.checks.items()):
            try:
                ok, text = check()
            except Exception as exc:  # a failing check means not ready, never a crashed endpoint
                ok, text = False, type(exc).__name__
            detail[name] = {"ok": ok, "detail": text}
        return all(d["ok"] for d in detail.values()), detail

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
