"""An SMSC we did not write: the smpp34 package's server (Rust core), for interoperability.

It accepts every bind and submit_sm, records what it decoded to a JSON-lines file, answers with
its own message ids, sends a delivery receipt for each, and, after the first bind, sends one
two-part UCS-2 mobile-originated message built here by hand (UDH + UTF-16BE).

Usage: python -m tests.sms.smpp34_smsc PORT RECORD_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys

import smpp34

MO_TEXT = "잔액 조회 " * 12  # 72 UCS-2 units: two parts
MO_FROM, MO_TO = "821077778888", "1555"  # to the short code (TON 3)


def mo_parts() -> list[bytes]:
    data = MO_TEXT.encode("utf-16-be")
    first, second = data[: 67 * 2], data[67 * 2 :]
    return [bytes([5, 0, 3, 0x99, 2, 1]) + first, bytes([5, 0, 3, 0x99, 2, 2]) + second]


async def main(port: int, record: str) -> None:
    server = smpp34.Server("127.0.0.1", port, system_id="smpp34")
    await server.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sessions: dict[str, smpp34.Esme] = {}
    count = 0
    sent_mo = False
    with open(record, "a", encoding="utf-8") as out:
        while True:
            event = await server.next()
            if isinstance(event, smpp34.Esme):
                sessions[event.session_id] = event
                if not sent_mo:
                    sent_mo = True
                    for part in mo_parts():
                        await event.deliver_sm(
                            MO_TO,
                            part,
                            source_addr=MO_FROM,
                            source_addr_ton=1,
                            source_addr_npi=1,
                            dest_addr_ton=3,
                            dest_addr_npi=0,
                            esm_class=0x40,
                            data_coding=8,
                        )
            elif isinstance(event, smpp34.SubmitSmEvent):
                count += 1
                message_id = f"{count:x}"  # hex in submit_sm_resp ...
                event.accept(message_id)
                out.write(
                    json.dumps(
                        {
                            "to": event.destination_addr,
                            "to_ton": event.dest_addr_ton,
                            "from": event.source_addr,
                            "esm_class": event.esm_class,
                            "data_coding": event.data_coding,
                            "registered_delivery": event.registered_delivery,
                            "short_message": event.short_message.hex(),
                            "message_id": message_id,
                        }
                    )
                    + "\n"
                )
                out.flush()
                receipt = (  # ... and decimal in the receipt, as some SMSCs do
                    f"id:{count} sub:001 dlvrd:001 submit date:2601011200 done date:2601011201"
                    " stat:DELIVRD err:000 text:"
                ).encode()
                await sessions[event.session_id].deliver_sm(
                    event.source_addr,
                    receipt,
                    source_addr=event.destination_addr,
                    esm_class=0x04,
                )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
