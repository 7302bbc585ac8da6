"""What the SCF purposes share: clause names, owned registrations, the MO hook, polling."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apps.interop.model import Inconclusive
from apps.interop.refusals import expect_refusal

PX1 = "TS 29.199-1 (ES 202 391-1)"
PX4 = "TS 29.199-4 (ES 202 391-4) Short Messaging"
PX6 = "TS 29.199-6 (ES 202 391-6) Payment"
PX7 = "TS 29.199-7 (ES 202 391-7) Account Management"
AM_EXT = "micropay extension of Account Management (idl/parlayx_account_management.idl, after TS 29.198-11)"
MICROPAY_FAULTS = "docs/faults.md (third-party range, TS 29.199-1 §5.5)"
MALFORMED_TEL = "tel:12ab"
MO_TIMEOUT_S = 30


class Assignment:
    """A charging-event assignment the purpose created, destroyed when it ends."""

    def __init__(self, face: Any, assignment_id: int) -> None:
        self.face, self.id = face, assignment_id

    def terminate(self) -> None:
        self.face.destroyNotification(self.id)


class SmsRegistration:
    """A startSmsNotification the purpose made, stopped when it ends."""

    def __init__(self, face: Any, correlator: str) -> None:
        self.face, self.correlator = face, correlator

    def terminate(self) -> None:
        self.face.stopSmsNotification(self.correlator)


def create_assignment(ctx: Any, events: list[str], users: list[str], face: Any = None) -> int:
    face = face or ctx.am
    assignment = face.createNotification(events, users)
    ctx.own(Assignment(face, assignment))
    return assignment


def wait_until(predicate: Callable[[], Any], timeout_s: float, step_s: float = 0.2) -> Any:
    """The first truthy value of ``predicate`` within the time, else None."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(step_s)


def send_mo(ctx: Any, sender: str, number: str, text: str) -> None:
    """Inject a mobile-originated SMS through the operator's hook (profile [sms] mo_command)."""
    command = ctx.profile.sms.get("mo_command")
    if not command:
        raise Inconclusive(
            "no MO hook: the profile has no [sms] mo_command to send a handset's SMS"
        )
    argv = [str(part).format(**{"from": sender, "to": number, "text": text}) for part in command]
    argv[0] = program(argv[0])
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=MO_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Inconclusive(f"the MO hook did not run: {exc}") from None
    if done.returncode != 0:
        raise Inconclusive(f"the MO hook failed ({done.returncode}): {done.stderr.strip()[:200]}")


def program(name: str) -> str:
    """The hook's program: as given when it is a path or on PATH, else the one of that name
    beside this Python (``micropay`` of the virtual environment the harness runs in)."""
    if os.sep in name or shutil.which(name):
        return name
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def recipient(ctx: Any) -> str:
    found = ctx.profile.recipients
    if not found:
        raise Inconclusive("no SMS recipient: name a tel: test account or [sms] recipients")
    return found[0]


def sms_property(ctx: Any, name: str) -> str:
    """A property of the discovered P_SMS service ('' when it declares none)."""
    from apps.interop.catalogue.steps import discover

    for _, _, properties in discover(ctx, ctx.session(), "P_SMS"):
        if properties.get(name):
            return properties[name][0]
    return ""


def refused_without_change(ctx: Any, account: Any, call: Any, *names: str) -> None:
    """``call`` must be refused with ``names`` and leave the balance as it was (when readable)."""
    before = ctx.try_balance(account)
    expect_refusal(call, *names)
    after = ctx.try_balance(account)
    assert after == before, f"a refused request moved the balance from {before} to {after}"


def unknown_reservation(ctx: Any) -> str:
    """A reservation identifier no IUT handed out."""
    return f"iop-{ctx.run_id}-no-such-reservation"
