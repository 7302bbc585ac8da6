"""The operator's side: who may log in, and the account actions no SCF offers.

**Login.** One operator password, generated on first start into ``<data>/operator-password``
(mode 0600) and never logged or printed; sessions are an HMAC-signed cookie (key in
``<data>/session-key``), forms carry a CSRF token derived from the session.

**Actions.** Parlay X Account Management lets an application read an account and recharge it
(``balanceUpdate``), so the operator view does exactly that over the SCF. Listing accounts,
suspending, resuming and changing limits are operator powers no SCF offers to an application;
for those the view runs the operator's own command line, ``micropay account list|suspend|
resume|set`` (DESIGN §5), against the gateway's configuration -- only when the shop is given
one (``operator.micropay_config``, as ``micropay demo`` does). Without it those actions are
not shown and the account list holds the accounts the shop has seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SESSION_TTL_S = 8 * 3600
COMMAND_TIMEOUT_S = 30


def secret_file(path: Path, make: Any) -> bytes:
    """The content of ``path``, created (mode 0600) by ``make()`` on first use."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        value: bytes = make()
        fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(value + b"\n")
        path.with_suffix(".tmp").replace(path)
        return value


class OperatorAuth:
    def __init__(self, password_path: Path, key_path: Path) -> None:
        self._password = secret_file(password_path, lambda: secrets.token_urlsafe(12).encode())
        self._key = secret_file(key_path, lambda: secrets.token_hex(32).encode())

    def check_password(self, password: str) -> bool:
        return hmac.compare_digest(password.encode(), self._password)

    def _mac(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def new_session(self) -> str:
        expires = int(time.time()) + SESSION_TTL_S
        nonce = secrets.token_hex(8)
        body = f"{expires}.{nonce}"
        return f"{body}.{self._mac('session|' + body)}"

    def valid_session(self, cookie: str | None) -> bool:
        if not cookie or cookie.count(".") != 2:
            return False
        expires, nonce, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(f"session|{expires}.{nonce}")):
            return False
        return expires.isdigit() and int(expires) > time.time()

    def csrf_token(self, cookie: str) -> str:
        return self._mac("csrf|" + cookie)

    def valid_csrf(self, cookie: str | None, token: str) -> bool:
        return bool(cookie) and hmac.compare_digest(token, self.csrf_token(cookie or ""))


class CommandFailed(Exception):
    """The operator command refused (its one-line error is the message)."""


class OperatorCommands:
    """``micropay account ...`` run as the operator would, with ``--json``."""

    def __init__(self, config: Path | None, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = env or {}

    @property
    def available(self) -> bool:
        return self.config is not None or bool(self.env)

    def run(self, *args: str) -> Any:
        argv = [sys.executable, "-m", "gateway.cli"]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        result = subprocess.run(
            [*argv, "--json", *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            env={**os.environ, **self.env},
        )
        if result.returncode != 0:
            line = (result.stderr.strip().splitlines() or ["failed"])[-1]
            raise CommandFailed(line.removeprefix("micropay: error: "))
        return json.loads(result.stdout) if result.stdout.strip() else None

    def accounts(self) -> list[dict[str, Any]]:
        return list(self.run("account", "list") or [])

    def suspend(self, number: str) -> None:
        self.run("account", "suspend", number)

    def resume(self, number: str) -> None:
        self.run("account", "resume", number)

    def set_limits(
        self, number: str, monthly: str | None, transaction: str | None, low_balance: str | None
    ) -> None:
        args = ["account", "set", number]
        for flag, value in (
            ("--monthly-limit", monthly),
            ("--transaction-limit", transaction),
            ("--low-balance", low_balance),
        ):
            if value is not None and value.strip():
                args += [flag, value.strip().replace(",", "")]
        if len(args) == 3:
            raise CommandFailed("nothing to change")
        self.run(*args)
