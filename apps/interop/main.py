"""One interop run from the command line's settings: connect, run, report, exit code.

``micropay interop`` (apps/interop/command.py) parses the arguments and calls :func:`main`; the
exit code is 0 only when every selected purpose passed. ``micropay interop --demo`` runs
:func:`execute` once per transport and reports each with :func:`report`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from apps.interop import chap, report_html, report_junit, report_text
from apps.interop.context import Context, Options
from apps.interop.corba_framework import Credentials
from apps.interop.model import SUITES, catalogue, select
from apps.interop.profile import (
    Profile,
    ProfileError,
    Voucher,
    load_profile,
    parse_test_account,
    secret_from,
)
from apps.interop.progress import Progress
from apps.interop.runner import Run, run


class SettingsError(Exception):
    """A setting is wrong (one line for the command line)."""


@dataclass
class Settings:
    endpoint: str
    app_id: str
    secret_file: str
    private_key: str
    suites: tuple[str, ...] = SUITES
    junit: str | None = None
    html: str | None = None
    test_accounts: list[str] = field(default_factory=list)
    profile: str | None = None
    framework_keys: list[str] = field(default_factory=list)
    ca_file: str | None = None
    auth_mechanisms: str = "P_OSA_HMAC_SHA256"
    signing_algorithms: str = ""
    purposes: tuple[str, ...] = ()
    callback_host: str = "127.0.0.1"
    wait_s: float = 20.0
    as_json: bool = False
    vouchers: tuple[tuple[str, str], ...] = ()  # (id, PIN) beside the profile's, not in a file


def transport_of(endpoint: str) -> str:
    if endpoint.startswith(("https://", "http://")):
        return "camara"  # a CAMARA Carrier Billing surface
    return "grpc" if endpoint.startswith(("grpc://", "grpcs://")) else "corba"


def parse_suites(text: str) -> tuple[str, ...]:
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in names if s not in SUITES]
    if unknown or not names:
        raise SettingsError(f"unknown suite(s) {unknown}; known: {', '.join(SUITES)}")
    return names


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read the {what} {path}: {exc.strerror}") from None


def options(settings: Settings) -> Options:
    profile = Profile()
    try:
        if settings.profile:
            profile = load_profile(settings.profile, profile)
        for text in settings.test_accounts:
            profile.add_account(parse_test_account(text))
        profile.vouchers += [Voucher(voucher_id, pin) for voucher_id, pin in settings.vouchers]
        key = chap.load_private_key(_read(settings.private_key, "private key"))
        framework_keys = [chap.load_public_key(pem) for pem in profile.framework_keys]
        framework_keys += [
            chap.load_public_key(_read(p, "framework key")) for p in settings.framework_keys
        ]
    except ProfileError as exc:
        raise SettingsError(str(exc)) from None
    except ValueError as exc:
        raise SettingsError(f"a key is not usable: {exc}") from None
    # CAMARA's client credentials need the key alone; the framework's CHAP needs the secret
    secret = (
        secret_from(_read(settings.secret_file, "secret file")) if settings.secret_file else b""
    )
    creds = Credentials(
        settings.app_id,
        secret,
        key,
        settings.auth_mechanisms,
        settings.signing_algorithms,
        framework_keys,
    )
    return Options(
        transport_of(settings.endpoint), settings.endpoint, creds, profile,
        ca_file=settings.ca_file, callback_host=settings.callback_host, wait_s=settings.wait_s,
        suites=settings.suites,
    )  # fmt: skip


def execute(settings: Settings) -> Run:
    opts = options(settings)
    purposes = select(catalogue(), opts.transport, settings.suites, settings.purposes)
    if not purposes:
        raise SettingsError("no test purpose matches the suites and --purpose given")
    try:
        ctx = Context(opts)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    problem = ctx.check_reachable()
    if problem:
        ctx.close()
        raise SettingsError(problem)
    progress = Progress(len(purposes), opts.transport)
    try:
        return run(ctx, purposes, progress.start, progress.done)
    finally:
        progress.finish()


def finish() -> None:
    """End what the runs of this process started (the CORBA ORB of the callbacks)."""
    if "apps.interop.corba_orb" in sys.modules:
        sys.modules["apps.interop.corba_orb"].shutdown_world()


def report(settings: Settings, result: Run) -> None:
    """Write the JUnit and HTML reports the settings ask for; print the table unless JSON."""
    if settings.junit:
        report_junit.write(result, settings.junit)
    if settings.html:
        report_html.write(result, settings.html)
    if not settings.as_json:
        print(report_text.table(result))
        sys.stdout.flush()


def main(settings: Settings) -> int:
    try:
        result = execute(settings)
    finally:
        finish()
    report(settings, result)
    if settings.as_json:
        print(json.dumps(report_text.as_json(result), indent=2, ensure_ascii=False))
    sys.stdout.flush()
    return 0 if result.passed else 1


def list_catalogue(suites: tuple[str, ...], as_json: bool = False) -> str:
    """The catalogue as a table (or JSON): id, transports, title, clause."""
    chosen = [p for p in catalogue() if p.suite in suites]
    if as_json:
        return json.dumps(
            [
                {"id": p.id, "suite": p.suite, "title": p.title, "clause": p.clause,
                 "precondition": p.precondition, "stimulus": p.stimulus, "expected": p.expected,
                 "transports": list(p.transports), "destructive": p.destructive, "covers": list(p.covers)}
                for p in chosen
            ],
            indent=2, ensure_ascii=False,
        )  # fmt: skip
    lines = [
        f"{p.id:<15}{'/'.join(p.transports):<12}{'D' if p.destructive else ' '} {p.title}"
        for p in chosen
    ]
    lines.append(
        f"\n{len(chosen)} test purposes (D: destructive, runs only on named test accounts)"
    )
    return "\n".join(lines)
