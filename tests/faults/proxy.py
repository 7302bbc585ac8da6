"""A loopback TCP proxy that can cut the network between two processes and restore it.

The fault tests put it between a gateway and its PostgreSQL server (the gateway's ledger URL
names the proxy's port) to simulate the two ways a network fails:

- ``cut("blackhole")`` -- a partition: nothing passes either way and nobody is told. Open
  connections stay open with their bytes held; new connections are accepted (the SYN gets
  through, as to a host behind a dead switch) but reach nothing. ``restore()`` heals it: held
  bytes flow on and held connections are connected through, as TCP retransmission would do.
- ``cut("reset")`` -- a firewall or NAT that lost its state: every open connection is reset (RST
  to both sides) and new connections are reset at once, until ``restore()``.

The proxy runs an asyncio loop on a daemon thread of the test process; ``cut`` and ``restore``
are plain calls from the test's thread and return once the change is in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

CHUNK_BYTES = 65_536
CONTROL_TIMEOUT_S = 10
MODES = ("blackhole", "reset")


@dataclass(eq=False)
class _Link:
    """One client connection and its upstream connection (once there is one)."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)


def _reset(writer: asyncio.StreamWriter | None) -> None:
    """Close with an RST (SO_LINGER 0), not a FIN: the peer sees 'connection reset'."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port`` until told otherwise."""

    def __init__(self, target_host: str, target_port: int, listen_port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = listen_port
        self.mode: str | None = None  # None: forwarding; else the cut in force
        self.accepted = 0  # client connections accepted so far
        self.resets = 0  # connections reset by a "reset" cut
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tcp-proxy", daemon=True
        )
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._open: asyncio.Event | None = None  # set while forwarding

    # -- control (from the test's thread) ------------------------------------------------------
    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def cut(self, mode: str = "blackhole") -> None:
        if mode not in MODES:
            raise ValueError(f"mode is one of {MODES}")
        self._call(self._cut(mode))

    def restore(self) -> None:
        self._call(self._restore())

    def stop(self) -> None:
        """Close the listener and every connection (with a FIN), then end the loop's thread."""
        if self._thread.is_alive():
            self._call(self._stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(CONTROL_TIMEOUT_S)
        if not self._loop.is_running():
            self._loop.close()

    @property
    def connections(self) -> int:
        """Client connections open now."""
        return len(self._links)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coro) -> None:  # noqa: ANN001 - a coroutine
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(CONTROL_TIMEOUT_S)

    # -- on the loop ---------------------------------------------------------------------------
    async def _start(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self, mode: str) -> None:
        assert self._open is not None
        self.mode = mode
        self._open.clear()
        if mode == "reset":
            for link in list(self._links):
                self._drop(link, reset=True)
                self.resets += 1

    async def _restore(self) -> None:
        assert self._open is not None
        self.mode = None
        self._open.set()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            self._drop(link, reset=False)
        tasks = [t for link in self._links for t in link.tasks]
        for task in tasks:
            task.cancel()

    def _drop(self, link: _Link, *, reset: bool) -> None:
        self._links.discard(link)
        for task in link.tasks:
            task.cancel()
        for writer in (link.client, link.upstream):
            if writer is None:
                continue
            if reset:
                _reset(writer)
            else:
                writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._open is not None
        self.accepted += 1
        if self.mode == "reset":
            _reset(writer)
            return
        link = _Link(writer)
        self._links.add(link)
        try:
            await self._open.wait()  # a blackhole holds the new connection here
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except (OSError, asyncio.CancelledError):
            self._drop(link, reset=True)
            return
        if link not in self._links:  # reset while connecting
            _reset(up_writer)
            return
        link.upstream = up_writer
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, link)),
            asyncio.create_task(self._pump(up_reader, writer, link)),
        ]

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link
    ) -> None:
        """Copy bytes one way; hold them while cut. An end on either side ends the link."""
        assert self._open is not None
        try:
            while True:
                data = await source.read(CHUNK_BYTES)
                await self._open.wait()
                if not data:
                    break
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        if link in self._links:
            self._drop(link, reset=False)
