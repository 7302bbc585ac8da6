"""The embedded SMSC: an SMPP 3.4 server that delivers to handset files and sends receipts.

Life of a submit_sm: bind checked (system_id/password) -> behaviour decides (accept, reject,
throttle, delay, fail) -> journaled -> submit_sm_resp with a fresh message id -> when due, the
handset gets the whole message (concatenated parts are joined) -> a delivery receipt per part
(deliver_sm, esm_class 0x04) goes to a bound ESME of the same system_id, until it is answered.
Mobile-originated messages injected through the admin port go out as deliver_sm (split with
concatenation UDH when long). On start the journal is replayed: nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmpplib import SubmitSm

from smpp.addresses import from_smpp, to_smpp
from smpp.encoding import EncodedPart, encode_message, is_gsm, join_payloads
from smpp.pdus import deliver_sm, receipt_deliver_sm, user_data
from smsc.behaviour import ESME_ROK, Behaviour
from smsc.session import EsmeSession
from smsc.store import SmscStore

logger = logging.getLogger("micropay.smsc")

ESME_RINVPASWD, ESME_RINVSYSID = 0x0E, 0x0F
RECEIPT_WINDOW_MAX = 32  # receipts outstanding at once
RETRY_DELAY_MS = 500  # an unanswered receipt or MO is offered again after this
MO_MESSAGE_CHARS_MAX = 1530
STRAY_PART_KEEP_MS = 86_400_000  # a part of a message that never completes is forgotten after this


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).isoformat()


class SmscServer:
    def __init__(
        self, smsc_dir: Path, *, host: str, port: int, system_id: str, password: str
    ) -> None:
        self.store = SmscStore(smsc_dir)
        self.host, self.port = host, port
        self.system_id, self.password = system_id, password
        self.behaviour = Behaviour()
        self.sessions: list[EsmeSession] = []
        self.parts: dict[str, dict[str, Any]] = {}  # accepted, not yet on the handset
        self.assemblies: dict[tuple, dict[int, dict[str, Any]]] = {}
        self.receipts: dict[str, dict[str, Any]] = {}  # ready to send
        self.mo: dict[str, dict[str, Any]] = {}
        self.stats = {"submit_sm": 0, "delivered": 0, "receipts_sent": 0, "mo_sent": 0, "binds": 0}
        self._due: list[tuple[int, str]] = []
        self._work = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task] = []

    # -- start/stop ----------------------------------------------------------------------------
    async def start(self) -> int:
        self._replay()
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._tasks = [
            asyncio.ensure_future(self._deliverer()),
            asyncio.ensure_future(self._notifier()),
        ]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.close()
        for task in self._tasks:
            task.cancel()
        self.store.close()

    def _replay(self) -> None:
        records = self.store.replay()
        covered = self.store.covered_part_ids()
        receipt_done = {r["id"] for r in records if r["op"] == "receipt_done"}
        mo_done = {r["id"] for r in records if r["op"] == "mo_done"}
        delivered = {r["id"] for r in records if r["op"] == "delivered"}
        stale_ms = _now_ms() - STRAY_PART_KEEP_MS
        keep: list[dict[str, Any]] = []
        for rec in records:
            if rec["op"] == "accept":
                settled = rec["id"] in covered or rec.get("fail")
                receipt_due = rec.get("rd") and rec["id"] not in receipt_done
                if settled:
                    if receipt_due:
                        self.receipts[rec["id"]] = rec
                        keep.append(rec)
                elif rec["id"] in delivered:  # on the handset, its message still incomplete
                    if rec["submitted_ms"] < stale_ms:
                        continue  # a stray part whose siblings never came
                    rec["text"] = join_payloads([bytes.fromhex(rec["payload"])], rec["dc"])
                    self._assemble(rec, _now_ms())
                    if receipt_due:
                        self.receipts[rec["id"]] = rec
                    keep += [rec, {"op": "delivered", "id": rec["id"]}]
                else:
                    self._schedule(rec)
                    keep.append(rec)
            elif rec["op"] == "mo" and rec["id"] not in mo_done:
                self.mo[rec["id"]] = rec
                keep.append(rec)
        self.store.close()
        tmp = self.store.journal_path.with_suffix(".compact")
        tmp.write_text("".join(_json(r) for r in keep), encoding="utf-8")
        tmp.replace(self.store.journal_path)
        self.store = SmscStore(self.store.dir)

    # -- binds and submits ---------------------------------------------------------------------
    def _authenticate(self, system_id: str, password: str) -> int:
        if system_id != self.system_id:
            return ESME_RINVSYSID
        return ESME_ROK if password == self.password else ESME_RINVPASWD

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = EsmeSession(
            reader,
            writer,
            authenticate=self._authenticate,
            on_submit=self._on_submit,
            on_bound=self._on_bound,
            server_system_id="micropaySMSC",
        )
        self.sessions.append(session)
        try:
            await session.run()
        finally:
            self.sessions.remove(session)

    def _on_bound(self, session: EsmeSession) -> None:
        self.stats["binds"] += 1
        self._work.set()

    async def _on_submit(self, session: EsmeSession, msg: SubmitSm) -> tuple[int, str]:
        self.stats["submit_sm"] += 1
        destination = from_smpp(msg.destination.number, msg.destination.ton)
        decision = self.behaviour.decide(destination)
        if decision.status != ESME_ROK:
            return decision.status, ""
        data = user_data(msg)
        now = _now_ms()
        rec = {
            "op": "accept",
            "id": uuid.uuid4().hex[:16],
            "src": from_smpp(msg.source.number, msg.source.ton),
            "dst": destination,
            "dc": data.data_coding,
            "concat": [data.concat.ref, data.concat.total, data.concat.seq]
            if data.concat
            else None,
            "payload": data.payload.hex(),
            "rd": msg.registered_delivery & 0x03,
            "submitted_ms": now,
            "due_ms": now + decision.delay_ms,
            "fail": decision.fail,
            "system_id": session.system_id,
        }
        self.store.journal(rec)
        self._schedule(rec)
        return ESME_ROK, rec["id"]

    def _schedule(self, rec: dict[str, Any]) -> None:
        self.parts[rec["id"]] = rec
        heapq.heappush(self._due, (rec["due_ms"], rec["id"]))
        self._work.set()

    # -- delivery to handsets ------------------------------------------------------------------
    async def _deliverer(self) -> None:
        while True:
            now = _now_ms()
            while self._due and self._due[0][0] <= now:
                _, part_id = heapq.heappop(self._due)
                rec = self.parts.pop(part_id, None)
                if rec is not None:
                    self._deliver_part(rec, now)
            timeout = (self._due[0][0] - now) / 1000 if self._due else 1.0
            self._work.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), max(timeout, 0.001))

    def _deliver_part(self, rec: dict[str, Any], now: int) -> None:
        """One part reaches the handset (and gets its receipt); the inbox shows the message once
        all its parts are there, as a phone does. A stray duplicate part is receipted too."""
        if rec.get("fail"):
            self._receipt_ready(rec, now)
            return
        rec["text"] = join_payloads([bytes.fromhex(rec["payload"])], rec["dc"])
        concat = rec.get("concat")
        if concat and concat[1] > 1:
            self.store.journal({"op": "delivered", "id": rec["id"]})
            self._assemble(rec, now)
        else:
            self._to_handset([rec], now)
        self._receipt_ready(rec, now)

    def _assemble(self, rec: dict[str, Any], now: int) -> None:
        concat = rec["concat"]
        key = (rec["src"], rec["dst"], concat[0], concat[1])
        got = self.assemblies.setdefault(key, {})
        got[concat[2]] = rec
        if len(got) == concat[1]:
            del self.assemblies[key]
            self._to_handset([got[seq] for seq in sorted(got)], now)

    def _to_handset(self, members: list[dict[str, Any]], now: int) -> None:
        first = members[0]
        self.store.deliver_to_handset(
            first["dst"],
            {
                "from": first["src"],
                "to": first["dst"],
                "text": join_payloads([bytes.fromhex(m["payload"]) for m in members], first["dc"]),
                "parts": len(members),
                "data_coding": first["dc"],
                "received_at": _iso(now),
                "part_ids": [m["id"] for m in members],
            },
        )
        self.stats["delivered"] += 1

    def _receipt_ready(self, rec: dict[str, Any], now: int) -> None:
        if rec.get("rd"):
            rec["done_ms"] = now
            self.receipts[rec["id"]] = rec
            self._work_receipts()

    def _work_receipts(self) -> None:
        self._work.set()

    # -- receipts and MO to ESMEs --------------------------------------------------------------
    def _receiver(self, system_id: str | None = None) -> EsmeSession | None:
        for session in self.sessions:
            if session.bound and session.can_receive and system_id in (None, session.system_id):
                return session
        return None

    async def _notifier(self) -> None:
        window = asyncio.Semaphore(RECEIPT_WINDOW_MAX)
        in_flight: set[str] = set()
        while True:
            for rec_id, rec in list(self.receipts.items()):
                if rec_id in in_flight:
                    continue
                session = self._receiver(rec.get("system_id"))
                if session is None:
                    break
                await window.acquire()
                in_flight.add(rec_id)
                asyncio.ensure_future(self._send_receipt(session, rec, window, in_flight))
            for mo_id, rec in list(self.mo.items()):
                if mo_id in in_flight:
                    continue
                session = self._receiver()
                if session is None:
                    break
                in_flight.add(mo_id)
                asyncio.ensure_future(self._send_mo(session, rec, in_flight))
            await asyncio.sleep(0.005 if self.receipts or self.mo else 0.05)

    async def _send_receipt(
        self,
        session: EsmeSession,
        rec: dict[str, Any],
        window: asyncio.Semaphore,
        in_flight: set[str],
    ) -> None:
        try:
            text = rec.get("text") or ""
            pdu = receipt_deliver_sm(
                rec["id"],
                to_smpp(rec["dst"]),
                to_smpp(rec["src"]),
                stat=rec.get("fail") or "DELIVRD",
                err=0 if not rec.get("fail") else 1,
                submit_date=datetime.fromtimestamp(rec["submitted_ms"] // 1000, UTC),
                done_date=datetime.fromtimestamp(
                    rec.get("done_ms", rec["submitted_ms"]) // 1000, UTC
                ),
                text=text[:20] if is_gsm(text[:20]) else "",
            )
            status = await session.deliver(pdu)
            if status == ESME_ROK and self.receipts.pop(rec["id"], None) is not None:
                self.store.journal({"op": "receipt_done", "id": rec["id"]})
                self.stats["receipts_sent"] += 1
            elif status != ESME_ROK:
                await asyncio.sleep(RETRY_DELAY_MS / 1000)
        finally:
            in_flight.discard(rec["id"])
            window.release()

    def inject_mo(self, source: str, destination: str, text: str) -> dict[str, Any]:
        """Queue a mobile-originated message from a handset to a (short) number; both are
        canonical URIs (the admin port reads what people type: ``msisdn.loose``)."""
        encoded = encode_message(text, uuid.uuid4().int % 256, MO_MESSAGE_CHARS_MAX)
        mo_id = uuid.uuid4().hex[:16]
        rec: dict[str, Any] = {
            "op": "mo",
            "id": mo_id,
            "src": source,
            "dst": destination,
            "parts": [[p.data_coding, p.esm_class, p.short_message.hex()] for p in encoded.parts],
        }
        self.store.journal(rec)
        self.mo[mo_id] = rec
        return {"id": mo_id, "parts": len(encoded.parts), "from": source, "to": destination}

    async def _send_mo(
        self, session: EsmeSession, rec: dict[str, Any], in_flight: set[str]
    ) -> None:
        try:
            src, dst = to_smpp(rec["src"]), to_smpp(rec["dst"])
            for dc, esm, hex_data in rec["parts"]:
                status = await session.deliver(
                    deliver_sm(EncodedPart(dc, esm, bytes.fromhex(hex_data), ""), src, dst)
                )
                if status != ESME_ROK:
                    await asyncio.sleep(RETRY_DELAY_MS / 1000)
                    return
            self.mo.pop(rec["id"], None)
            self.store.journal({"op": "mo_done", "id": rec["id"]})
            self.stats["mo_sent"] += 1
        finally:
            in_flight.discard(rec["id"])


def _json(rec: dict[str, Any]) -> str:
    return json.dumps(rec, ensure_ascii=False) + "\n"
