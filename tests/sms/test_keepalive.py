"""enquire_link keep-alive: sent when the link is idle; a peer that stops answering is dropped."""

from __future__ import annotations

import asyncio
import time

from aiosmpplib import BindTransceiverResp, EnquireLink, EnquireLinkResp, SmppCommandStatus

from scf.sms.smpp_client import SmppSession, read_pdu
from smpp.pdus import decode_pdu


async def _scenario(answer_enquire_links: int) -> tuple[list[str], float]:
    """A TCP peer that binds the ESME, answers the first N enquire_link, then goes silent."""
    seen: list[str] = []

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered = 0
        try:
            while True:
                msg = decode_pdu(await read_pdu(reader))
                seen.append(msg.smpp_command.name)
                if seen[-1] == "BIND_TRANSCEIVER":
                    writer.write(
                        BindTransceiverResp(
                            sequence_num=msg.sequence_num,
                            system_id="x",
                            command_status=SmppCommandStatus.ESME_ROK,
                        ).pdu()
                    )
                elif isinstance(msg, EnquireLink) and answered < answer_enquire_links:
                    answered += 1
                    writer.write(EnquireLinkResp(sequence_num=msg.sequence_num).pdu())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    server = await asyncio.start_server(peer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def on_deliver(msg) -> int:  # pragma: no cover
        return 0

    started = time.monotonic()
    session = await SmppSession.open(
        "127.0.0.1",
        port,
        "micropay",
        "pw",
        on_deliver,
        enquire_link_interval_ms=200,
        response_timeout_ms=400,
    )
    await asyncio.wait_for(session.closed.wait(), 10)
    lived = time.monotonic() - started
    server.close()
    return seen, lived


def test_idle_link_is_probed_and_a_silent_peer_dropped() -> None:
    seen, lived = asyncio.run(_scenario(answer_enquire_links=3))
    assert seen[0] == "BIND_TRANSCEIVER"
    assert seen.count("ENQUIRE_LINK") == 4  # three answered, the fourth never is
    assert 0.8 <= lived <= 3.0
