"""The embedded SMSC's admin port: how the command line (and tests) reach a running SMSC.

A loopback TCP port speaking one JSON object per line each way. The SMSC writes its address and
a random token to ``<smsc dir>/admin.json`` (owner-only permissions); a client must echo the
token, so only users who can read the data folder can inject messages or change behaviour.

Commands: ``ping``, ``mo`` {from, to, text}, ``rule`` {number, delay_ms, fail, reject, throttle},
``rate`` {per_s}, ``clear``, ``stats``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
from pathlib import Path
from typing import Any

from charging import msisdn
from domain_errors import DomainError
from smsc.server import SmscServer
from smsc.store import write_private_json

ADMIN_FILE = "admin.json"
ADMIN_TIMEOUT_S = 10


class AdminError(Exception):
    """The SMSC is not running, or refused the command."""


class AdminServer:
    def __init__(self, smsc: SmscServer, smsc_dir: Path, host: str = "127.0.0.1") -> None:
        self.smsc, self.dir, self.host = smsc, smsc_dir, host
        self.token = secrets.token_hex(16)
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, self.host, 0)
        port = self._server.sockets[0].getsockname()[1]
        write_private_json(
            self.dir / ADMIN_FILE,
            {
                "host": self.host,
                "port": port,
                "token": self.token,
                "pid": os.getpid(),
                "smpp_host": self.smsc.host,
                "smpp_port": self.smsc.port,
            },
        )
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(FileNotFoundError):
            info = json.loads((self.dir / ADMIN_FILE).read_text())
            if info.get("pid") == os.getpid():
                (self.dir / ADMIN_FILE).unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    if not secrets.compare_digest(str(request.get("token", "")), self.token):
                        answer: dict[str, Any] = {"ok": False, "error": "bad token"}
                    else:
                        answer = {"ok": True, **self.handle(request)}
                except (ValueError, KeyError, TypeError, DomainError) as exc:
                    answer = {"ok": False, "error": str(exc) or type(exc).__name__}
                writer.write((json.dumps(answer, ensure_ascii=False) + "\n").encode())
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        cmd = request["cmd"]
        b = self.smsc.behaviour
        if cmd == "ping":
            return {"pid": os.getpid()}
        if cmd == "mo":
            return self.smsc.inject_mo(
                _address(request["from"]), _address(request["to"]), request["text"]
            )
        if cmd == "rule":
            rule = b.set_rule(
                _address(request["number"]),
                delay_ms=request.get("delay_ms"),
                fail=request.get("fail"),
                reject=request.get("reject"),
                throttle=request.get("throttle"),
            )
            return {"rule": vars(rule)}
        if cmd == "rate":
            b.rate_per_s = int(request["per_s"])
            return {"rate_per_s": b.rate_per_s}
        if cmd == "clear":
            b.clear()
            return {}
        if cmd == "stats":
            return {
                **self.smsc.stats,
                "throttled": b.throttled,
                "sessions": sum(s.bound for s in self.smsc.sessions),
                "pending_receipts": len(self.smsc.receipts),
                "pending_mo": len(self.smsc.mo),
            }
        raise ValueError(f"unknown command {cmd!r}")


def _address(typed: Any) -> str:
    """A number or short code as people type it, as its canonical URI (InvalidAddress if not)."""
    return msisdn.loose(typed, part="address", short_codes=True)


def admin_call(smsc_dir: Path, cmd: str, **args: Any) -> dict[str, Any]:
    """Send one command to the SMSC running on ``smsc_dir``; raise AdminError if it cannot."""
    try:
        info = json.loads((Path(smsc_dir) / ADMIN_FILE).read_text())
    except (FileNotFoundError, ValueError):
        raise AdminError(f"no embedded SMSC is running on {smsc_dir} (no {ADMIN_FILE})") from None
    try:
        with socket.create_connection(
            (info["host"], info["port"]), timeout=ADMIN_TIMEOUT_S
        ) as sock:
            sock.sendall((json.dumps({"cmd": cmd, "token": info["token"], **args}) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise AdminError(f"embedded SMSC on {smsc_dir} does not answer: {exc}") from None
    answer = json.loads(data or b"{}")
    if not answer.get("ok"):
        raise AdminError(answer.get("error", "refused"))
    answer.pop("ok")
    return answer
