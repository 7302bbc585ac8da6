"""An application killed and restarted on the same fixed callback port (as the shop runs)
completes its first handshake: the framework's cached connection to the dead process fails its
call to ``challenge`` (omniORB: COMM_FAILURE, COMPLETED_MAYBE, waiting for the reply), and the
framework retries that idempotent call once on a fresh connection instead of aborting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, free_port
from tests.framework.gateway import Gateway


def _start(gateway: Gateway, app_id: str, files: tuple[Path, Path], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.framework.fixed_port_app", gateway.corbaloc, app_id,
         *map(str, files)],
        cwd=ROOT,
        env={**os.environ, "MICROPAY_CLIENT_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip


def _first_line(proc: subprocess.Popen) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def test_restarted_application_on_the_same_port_authenticates_first_time(
    gateway: Gateway, tmp_path: Path
) -> None:
    app = gateway.register("restarted-app")
    files = (tmp_path / "secret", tmp_path / "key.pem")
    files[0].write_bytes(app.secret)
    files[1].write_bytes(app.private_pem)
    port = free_port()
    for life in range(3):
        proc = _start(gateway, app.app_id, files, port)
        try:
            line = _first_line(proc)
            assert line == "connected", (life, line)
        finally:
            proc.kill()  # no terminateAccess: the framework keeps its connection to us
            proc.wait(10)


def test_which_failures_are_retried_once() -> None:
    """NO always; MAYBE only for an idempotent call; never twice; other exceptions never."""
    from omniORB import CORBA

    from framework.corba.callbacks import call_application

    def failing(*errors: Exception):
        calls = []

        def call() -> str:
            calls.append(1)
            if len(calls) <= len(errors):
                raise errors[len(calls) - 1]
            return "answered"

        return call, calls

    no = CORBA.COMM_FAILURE(0, CORBA.COMPLETED_NO)
    maybe = CORBA.COMM_FAILURE(0, CORBA.COMPLETED_MAYBE)
    call, calls = failing(no)
    assert call_application(call) == "answered" and len(calls) == 2
    call, calls = failing(CORBA.TRANSIENT(0, CORBA.COMPLETED_NO))
    assert call_application(call) == "answered" and len(calls) == 2
    call, calls = failing(maybe)
    assert call_application(call, idempotent=True) == "answered" and len(calls) == 2
    for call, _calls, kwargs in (
        (*failing(maybe), {}),
        (*failing(no, no), {}),
        (*failing(CORBA.OBJECT_NOT_EXIST(0, CORBA.COMPLETED_NO)), {"idempotent": True}),
    ):
        try:
            call_application(call, **kwargs)
        except CORBA.SystemException:
            pass
        else:
            raise AssertionError("retried what it must not")
