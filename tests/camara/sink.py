"""A real local HTTPS sink for the CloudEvents the gateway posts (http.server in a thread, the
test CA's server certificate): it records what arrives and answers what the test tells it
(``fail_next`` errors first, or 410 Gone)."""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.shim.tlsfiles import TlsFiles


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Sink:
    tls: TlsFiles
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    fail_next: int = 0  # answer this many posts with 503 before accepting
    gone: bool = False  # answer 410 Gone to everything

    def __post_init__(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with lock:
                    if sink.gone:
                        status = 410
                    elif sink.fail_next > 0:
                        sink.fail_next -= 1
                        status = 503
                    else:
                        status = 204
                        sink.received.append(Received(self.path, {k.lower(): v for k, v in
                                                                  self.headers.items()},
                                                      json.loads(body)))  # fmt: skip
                    if status != 204:
                        sink.refused += 1
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/events"

    def wait_for(self, count: int, timeout_s: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} events"
            time.sleep(0.05)
        return self.received

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
