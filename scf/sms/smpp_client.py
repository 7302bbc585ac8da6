"""One SMPP 3.4 ESME session over asyncio: bind_transceiver, submit_sm with responses matched by
sequence number, enquire_link keep-alive, deliver_sm in (answered after the handler commits).

PDUs are aiosmpplib's classes (:mod:`smpp.pdus`); aiosmpplib's own ``ESME`` loop is not used:
with ``auto_message_payload=False`` its sender raises ``UnboundLocalError`` on every message
without UDH (``encoding`` is only bound in the UDH branch of ``ESME._dequeue_messages``), it
re-splits UDH messages by characters rather than septets, and it has no window of outstanding
requests. Windowing, retries and durability live in :mod:`scf.sms.sender` (its window is
:class:`smpp.window.SendWindow`). This module is an edge: it reads and writes the socket and
reads the clock; what the bytes mean is :mod:`smpp.pdus`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiosmpplib import (
    BindTransceiver,
    BindTransceiverResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    SmppCommandStatus,
    SmppMessage,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
)

from smpp.pdus import PDU_HEADER_LENGTH, PduError, decode_pdu, pdu_length

logger = logging.getLogger("micropay.sms.smpp")

CONNECT_TIMEOUT_MS = 5_000
RESPONSE_TIMEOUT_MS = 10_000
ENQUIRE_LINK_INTERVAL_MS = 30_000
SEQUENCE_MAX = 0x7FFFFFFF

Response: TypeAlias = (
    SubmitSmResp | GenericNack | None
)  # None: the session ended before an answer came
DeliverHandler = Callable[[DeliverSm], Awaitable[int]]  # returns the deliver_sm_resp status


async def read_pdu(reader: asyncio.StreamReader) -> bytes:
    """Read one whole PDU (header and body) from the stream."""
    header = await reader.readexactly(PDU_HEADER_LENGTH)
    return header + await reader.readexactly(pdu_length(header) - PDU_HEADER_LENGTH)


class BindRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"bind refused: {SmppCommandStatus(status).name}")
        self.status = status


def _ms() -> int:
    return time.monotonic_ns() // 1_000_000


class SmppSession:
    """A bound transceiver session. Create with :meth:`open`; ``closed`` is set when it ends."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_deliver: DeliverHandler,
        *,
        enquire_link_interval_ms: int,
        response_timeout_ms: int,
    ) -> None:
        self._reader, self._writer = reader, writer
        self._on_deliver = on_deliver
        self._enquire_ms = enquire_link_interval_ms
        self._timeout_ms = response_timeout_ms
        self._seq = 0
        self._pending: dict[int, tuple[Callable[[Response], None], int]] = {}
        self._last_read_ms = _ms()
        self._tasks: set[asyncio.Task] = set()
        self.closed = asyncio.Event()
        self.system_id = ""

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        system_id: str,
        password: str,
        on_deliver: DeliverHandler,
        *,
        connect_timeout_ms: int = CONNECT_TIMEOUT_MS,
        enquire_link_interval_ms: int = ENQUIRE_LINK_INTERVAL_MS,
        response_timeout_ms: int = RESPONSE_TIMEOUT_MS,
    ) -> SmppSession:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), connect_timeout_ms / 1000
        )
        session = cls(
            reader,
            writer,
            on_deliver,
            enquire_link_interval_ms=enquire_link_interval_ms,
            response_timeout_ms=response_timeout_ms,
        )
        try:
            await asyncio.wait_for(session._bind(system_id, password), connect_timeout_ms / 1000)
        except BaseException:
            writer.close()
            raise
        session._spawn(session._read_loop())
        session._spawn(session._keeper())
        return session

    async def _bind(self, system_id: str, password: str) -> None:
        bind = BindTransceiver(system_id=system_id, password=password)
        bind.sequence_num = self._next_seq()
        self._writer.write(bind.pdu())
        await self._writer.drain()
        resp = decode_pdu(await read_pdu(self._reader))
        if not isinstance(resp, BindTransceiverResp) and not isinstance(resp, GenericNack):
            raise ConnectionError(f"unexpected answer to bind: {resp.smpp_command.name}")
        if resp.command_status != SmppCommandStatus.ESME_ROK:
            raise BindRefused(int(resp.command_status))
        self.system_id = getattr(resp, "system_id", "")

    # -- requests ------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq = self._seq % SEQUENCE_MAX + 1
        return self._seq

    @property
    def outstanding(self) -> int:
        return len(self._pending)

    async def submit(self, pdu: SubmitSm, on_response: Callable[[Response], None]) -> None:
        """Send a submit_sm; ``on_response`` is called from the read loop, in wire order with the
        deliver_sm that follow it (so an ack is always recorded before its receipt)."""
        await self._request(pdu, on_response)

    async def _request(self, pdu: SmppMessage, on_response: Callable[[Response], None]) -> None:
        if self.closed.is_set():
            raise ConnectionError("session closed")
        seq = self._next_seq()
        pdu.sequence_num = seq
        self._pending[seq] = (on_response, _ms() + self._timeout_ms)
        try:
            self._writer.write(pdu.pdu())
            await self._writer.drain()
        except (OSError, RuntimeError) as exc:
            self._pending.pop(seq, None)
            await self.close(unbind=False)
            raise ConnectionError(str(exc)) from exc

    def _answer(self, msg: SmppMessage) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            self._writer.write(msg.pdu())

    # -- loops ---------------------------------------------------------------------------------
    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await read_pdu(self._reader)
                self._last_read_ms = _ms()
                try:
                    msg = decode_pdu(data)
                except PduError as exc:
                    logger.warning("%s", exc)
                    if not exc.command_id & 0x80000000:
                        self._answer(
                            GenericNack(
                                sequence_num=exc.sequence_num,
                                command_status=SmppCommandStatus.ESME_RINVCMDID,
                            )
                        )
                    continue
                self._dispatch(msg)
                if isinstance(msg, Unbind):
                    break
        except (OSError, asyncio.IncompleteReadError, ConnectionError) as exc:
            logger.info("SMPP session ended: %s", type(exc).__name__)
        finally:
            await self.close(unbind=False)

    def _dispatch(self, msg: SmppMessage) -> None:
        if isinstance(msg, (SubmitSmResp, EnquireLinkResp, UnbindResp, GenericNack)):
            entry = self._pending.pop(msg.sequence_num, None)
            if entry is not None:
                entry[0](msg if isinstance(msg, (SubmitSmResp, GenericNack)) else None)
        elif isinstance(msg, DeliverSm):
            self._spawn(self._deliver(msg))
        elif isinstance(msg, EnquireLink):
            self._answer(EnquireLinkResp(sequence_num=msg.sequence_num))
        elif isinstance(msg, Unbind):
            self._answer(UnbindResp(sequence_num=msg.sequence_num))
        else:
            self._answer(
                GenericNack(
                    sequence_num=msg.sequence_num, command_status=SmppCommandStatus.ESME_RINVCMDID
                )
            )

    async def _deliver(self, msg: DeliverSm) -> None:
        try:
            status = await self._on_deliver(msg)
        except Exception:
            logger.exception("deliver_sm handler failed; asking the SMSC to retry")
            status = SmppCommandStatus.ESME_RX_T_APPN
        self._answer(
            DeliverSmResp(sequence_num=msg.sequence_num, command_status=SmppCommandStatus(status))
        )

    async def _keeper(self) -> None:
        """enquire_link after an idle interval; end the session when an answer is overdue."""
        tick_s = min(self._enquire_ms, self._timeout_ms, 1000) / 1000 / 4
        enquired_at = 0
        probing = asyncio.Event()
        while not self.closed.is_set():
            await asyncio.sleep(tick_s)
            now = _ms()
            if any(deadline < now for _, deadline in self._pending.values()):
                logger.warning("SMPP response overdue; dropping the session")
                await self.close(unbind=False)
                return
            idle = now - max(self._last_read_ms, enquired_at)
            if idle >= self._enquire_ms and not probing.is_set():
                enquired_at = now
                probing.set()  # one probe at a time; its answer (or the overdue check) ends it
                with contextlib.suppress(ConnectionError):
                    await self._request(EnquireLink(), lambda _r: probing.clear())

    # -- closing -------------------------------------------------------------------------------
    async def close(self, unbind: bool = True, wait_ms: int = 1000) -> None:
        if self.closed.is_set():
            return
        if unbind:
            done = asyncio.Event()
            with contextlib.suppress(ConnectionError):
                await self._request(Unbind(), lambda _r: done.set())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), wait_ms / 1000)
        self.closed.set()
        pending, self._pending = self._pending, {}
        for callback, _ in pending.values():
            callback(None)
        with contextlib.suppress(OSError, RuntimeError):
            self._writer.close()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
