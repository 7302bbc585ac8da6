"""One bound ESME as the embedded SMSC sees it: binds, requests in, deliver_sm out.

PDUs are aiosmpplib's classes via :mod:`smpp.pdus` (the same code the gateway's ESME uses), so
no PDU is written twice. This module is the SMSC's edge: it reads and writes the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiosmpplib import (
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
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

logger = logging.getLogger("micropay.smsc.session")

DELIVER_TIMEOUT_MS = 10_000
_S = SmppCommandStatus
_BIND_RESP: dict[type, type] = {
    BindTransceiver: BindTransceiverResp,
    BindTransmitter: BindTransmitterResp,
    BindReceiver: BindReceiverResp,
}


class EsmeSession:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        authenticate: Callable[[str, str], int],
        on_submit: Callable[[EsmeSession, SubmitSm], Awaitable[tuple[int, str]]],
        on_bound: Callable[[EsmeSession], None],
        server_system_id: str,
    ) -> None:
        self.reader, self.writer = reader, writer
        self._authenticate = authenticate
        self._on_submit = on_submit
        self._on_bound = on_bound
        self._server_system_id = server_system_id
        self.system_id = ""
        self.bound = False
        self.can_receive = False
        self.closed = asyncio.Event()
        self._seq = 0
        self._pending: dict[int, asyncio.Future] = {}

    def _send(self, msg: SmppMessage) -> None:
        """Write a PDU; an error response goes without its body (SMPP 3.4 §4.1, §4.4: "the body
        is not returned if the command_status field contains a non-zero value")."""
        data = msg.pdu() if msg.command_status == _S.ESME_ROK else SmppMessage.pdu(msg)
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.write(data)

    async def run(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(PDU_HEADER_LENGTH)
                data = header + await self.reader.readexactly(
                    pdu_length(header) - PDU_HEADER_LENGTH
                )
                try:
                    msg = decode_pdu(data)
                except PduError as exc:
                    logger.warning("%s", exc)
                    if not exc.command_id & 0x80000000:
                        self._send(
                            GenericNack(
                                sequence_num=exc.sequence_num, command_status=_S.ESME_RINVCMDID
                            )
                        )
                    continue
                if await self._handle(msg):
                    break
                await self.writer.drain()
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.close()

    async def _handle(self, msg: SmppMessage) -> bool:
        """Answer one PDU; True when the session is to end."""
        if type(msg) in _BIND_RESP:
            resp_cls = _BIND_RESP[type(msg)]
            if self.bound:
                status = _S.ESME_RALYBND
            else:
                status = _S(self._authenticate(msg.system_id, msg.password))
            self._send(
                resp_cls(
                    sequence_num=msg.sequence_num,
                    command_status=status,
                    system_id=self._server_system_id,
                    sc_interface_version=0x34,
                )
            )
            if status == _S.ESME_ROK:
                self.bound, self.system_id = True, msg.system_id
                self.can_receive = not isinstance(msg, BindTransmitter)
                self._on_bound(self)
            return status not in (_S.ESME_ROK, _S.ESME_RALYBND)  # a refused bind ends it
        if isinstance(msg, (DeliverSmResp, GenericNack)):
            future = self._pending.pop(msg.sequence_num, None)
            if future is not None and not future.done():
                future.set_result(int(msg.command_status))
            return False
        if isinstance(msg, EnquireLink):
            self._send(EnquireLinkResp(sequence_num=msg.sequence_num))
            return False
        if isinstance(msg, Unbind):
            self._send(UnbindResp(sequence_num=msg.sequence_num))
            await self.writer.drain()
            return True
        if isinstance(msg, SubmitSm) and not isinstance(msg, DeliverSm):
            if not self.bound:
                self._send(
                    SubmitSmResp(sequence_num=msg.sequence_num, command_status=_S.ESME_RINVBNDSTS)
                )
                return False
            status, message_id = await self._on_submit(self, msg)
            self._send(
                SubmitSmResp(
                    sequence_num=msg.sequence_num,
                    command_status=_S(status),
                    message_id=message_id if status == 0 else "",
                )
            )
            return False
        if isinstance(msg, (EnquireLinkResp, UnbindResp)):
            return False
        self._send(GenericNack(sequence_num=msg.sequence_num, command_status=_S.ESME_RINVCMDID))
        return False

    async def deliver(self, pdu: DeliverSm) -> int:
        """Send a deliver_sm and wait for its response status (ESME_RSYSERR if none comes)."""
        if self.closed.is_set():
            return int(_S.ESME_RSYSERR)
        self._seq = self._seq % 0x7FFFFFFF + 1
        pdu.sequence_num = self._seq
        future = asyncio.get_running_loop().create_future()
        self._pending[self._seq] = future
        try:
            self.writer.write(pdu.pdu())
            await self.writer.drain()
            return await asyncio.wait_for(future, DELIVER_TIMEOUT_MS / 1000)
        except (OSError, RuntimeError, TimeoutError):
            return int(_S.ESME_RSYSERR)
        finally:
            self._pending.pop(pdu.sequence_num, None)

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        self.bound = False
        for future in self._pending.values():
            if not future.done():
                future.set_result(int(_S.ESME_RSYSERR))
        self._pending.clear()
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.close()
