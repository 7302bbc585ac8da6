"""What the CAMARA Carrier Billing purposes share: clause names, the payer, paying and preparing
(recorded for the undo), and the one-time code read from the payer's handset.

CAMARA names the payer by phone number, and the API has no account status: the test accounts
are the profile's ``tel:`` accounts with declared roles (``funded``, ``confirming``,
``unregistered``) and currency. A payment the purpose makes is cancelled or refunded when it ends.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from decimal import Decimal
from typing import Any

from apps.interop.camara_api import PAY, expect, payment_body
from apps.interop.catalogue.common import MO_TIMEOUT_S, program
from apps.interop.model import Inconclusive
from apps.interop.profile import TestAccount

CB = "CAMARA Carrier Billing v0.5 (r3.2)"
CBR = "CAMARA Carrier Billing Refund v0.3 (r3.2)"
CAMARA = ("camara",)
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def payer(ctx: Any, role: str = "funded", exclude: tuple[TestAccount, ...] = ()) -> TestAccount:
    """A ``tel:`` test account with ``role`` and a currency (both from the profile)."""
    for account in ctx.accounts(role, exclude):
        if account.address.lower().startswith("tel:") and account.currency:
            return account
    raise Inconclusive(
        f"no tel: test account with role '{role}' and a currency in the profile (CAMARA names "
        f"the payer by phone number and has no account status: declare roles and currency)"
    )


def phone(account: TestAccount) -> str:
    return account.address[len("tel:") :]


def amount(ctx: Any, account: TestAccount, times: int = 1) -> Decimal:
    return ctx.small(account, times)


def pay(ctx: Any, account: TestAccount, times: int = 1, api: Any = None, **more: Any) -> Any:
    """createPayment of ``times`` small amounts, expected 201 and recorded for the undo."""
    api = api or ctx.camara
    body = payment_body(phone(account), amount(ctx, account, times), account.currency,
                        more.pop("reference", None) or ctx.ref(), **more)  # fmt: skip
    return ctx.undo.payment(api, expect(api.post(PAY, body), 201))


def prepare(ctx: Any, account: TestAccount, times: int = 1, **more: Any) -> Any:
    """preparePayment, expected 201 and recorded for the undo."""
    body = payment_body(phone(account), amount(ctx, account, times), account.currency,
                        ctx.ref(), **more)  # fmt: skip
    return ctx.undo.payment(ctx.camara, expect(ctx.camara.post(f"{PAY}/prepare", body), 201))


def handset(ctx: Any, address: str) -> list[str]:
    """The texts a handset received, through the operator's hook (``[sms] inbox_command``,
    printing a JSON list of messages, each a text or an object with ``text``)."""
    command = ctx.profile.sms.get("inbox_command")
    if not command:
        raise Inconclusive("no inbox hook: the profile has no [sms] inbox_command to read what "
                           "a handset received (the one-time code)")  # fmt: skip
    argv = [str(part).format(to=address) for part in command]
    argv[0] = program(argv[0])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=MO_TIMEOUT_S)
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise Inconclusive(f"the inbox hook did not run: {exc}") from None
    if not isinstance(found, list):
        raise Inconclusive(f"the inbox hook failed ({done.returncode}): {done.stderr[:200]}")
    return [m["text"] if isinstance(m, dict) else str(m) for m in found]


def code_after(ctx: Any, account: TestAccount, seen: int) -> str:
    """The one-time code in the first message after the ``seen`` the handset had."""
    deadline = time.monotonic() + ctx.wait_s
    while time.monotonic() < deadline:
        for text in handset(ctx, account.address)[seen:]:
            found = CODE.search(text)
            if found:
                ctx.note(f"code SMS: {text[:80]}")
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no message with a 6-digit code reached {account.address} in "
                         f"{ctx.wait_s:.0f} s")  # fmt: skip


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"
