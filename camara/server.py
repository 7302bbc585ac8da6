"""The CAMARA surface's HTTP server: uvicorn on its own event loop thread inside the gateway
process, on its own port, TLS like the gRPC shim (``[camara] tls``: auto = on unless loopback;
``cert_file``/``key_file``, else a self-signed certificate made once in ``<data>/camara-tls``).

Beside the server, the same loop runs the two sweeps: recovery (rows a crash left with a ledger
operation under way, holds and codes whose time ran out; every ``recovery_interval_s``) and
token revocation (applications disabled since; every ``revocation_sweep_interval_s``).
``start()`` returns once the port is bound (or raises); ``stop()`` lets in-flight requests end.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn

from camara import limits, store
from camara.api import Api
from shim.loop_thread import LoopThread
from shim.tls import self_signed, tls_wanted

log = logging.getLogger("micropay.camara")

SELF_SIGNED_DIR = "camara-tls"


def tls_files(section: dict[str, Any], data_dir: Path) -> tuple[str, str] | None:
    """(certificate, key) files of the endpoint, or None for plain HTTP."""
    if not tls_wanted(section):
        return None
    cert_file, key_file = str(section["cert_file"]), str(section["key_file"])
    if bool(cert_file) != bool(key_file):
        raise ValueError("camara.cert_file and camara.key_file go together")
    if cert_file:
        return cert_file, key_file
    cert, key = self_signed(data_dir / SELF_SIGNED_DIR, str(section["host"]))
    return str(cert), str(key)


class CamaraServer(LoopThread):
    def __init__(self, api: Api, host: str, port: int, tls: tuple[str, str] | None,
                 payments: Any, refunds: Any) -> None:  # fmt: skip
        super().__init__(name="camara-http", what="CAMARA server", log=log,
                         start_timeout_s=limits.start_timeout_s,
                         stop_grace_s=limits.stop_grace_s)  # fmt: skip
        self.api, self.host, self.requested_port, self.tls = api, host, port, tls
        self.payments, self.refunds = payments, refunds
        self.port = 0
        self._server: uvicorn.Server | None = None

    def _stop_soon(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    async def _serve(self) -> None:
        config = uvicorn.Config(
            self.api.app(), host=self.host, port=self.requested_port, loop="asyncio",
            http="h11", lifespan="off", access_log=False, log_level="warning",
            ssl_certfile=self.tls[0] if self.tls else None,
            ssl_keyfile=self.tls[1] if self.tls else None,
            timeout_graceful_shutdown=int(limits.stop_grace_s),
        )  # fmt: skip
        server = self._server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
                raise OSError(f"cannot bind the CAMARA endpoint {self.host}:{self.requested_port}")
            await asyncio.sleep(0.01)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self._started()
        sweeps = [asyncio.create_task(self._recovery()), asyncio.create_task(self._tokens())]
        try:
            await serving
        finally:
            for task in sweeps:
                task.cancel()

    async def _tokens(self) -> None:
        while True:
            await asyncio.sleep(limits.revocation_sweep_interval_s)
            try:
                await self.api.blocking(self.api.tokens.sweep)
            except Exception as exc:  # the next sweep tries again
                log.warning("camara token sweep failed: %s", type(exc).__name__)

    async def _recovery(self) -> None:
        while True:
            await asyncio.sleep(limits.recovery_interval_s)
            try:
                await self.recover_once()
            except Exception:
                log.exception("camara recovery sweep failed")

    async def recover_once(self) -> None:
        flows = self.payments.f
        now = flows.clock()
        before = now - timedelta(seconds=limits.recovery_age_s)
        for p in await flows.blocking(store.stalled_payments, flows.db, before):
            log.warning("camara payment %s: re-driving %s", p.payment_id, p.pending_op)
            await self.payments.recover(p)
        for r in await flows.blocking(store.stalled_refunds, flows.db, before):
            log.warning("camara refund %s: re-driving %s", r.refund_id, r.pending_op)
            await self.refunds.recover(r)
        for p in await flows.blocking(store.lapsed_holds, flows.db, now):
            await self.payments.lapse(p)
