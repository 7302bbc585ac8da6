"""Registration in a naming service: omniNames started by the test, IpInitial resolved through it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import CosNaming
import pytest

import client
from client.orb import client_orb
from tests.conftest import ROOT, free_port
from tests.framework.gateway import Gateway
from tests.framework.keypool import private_pem

OMNINAMES = ROOT / ".venv/bin/omniNames"


@pytest.fixture
def naming(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    datadir = tmp_path / "omninames"
    datadir.mkdir()
    proc = subprocess.Popen(
        [
            str(OMNINAMES),
            "-start",
            str(port),
            "-always",
            "-datadir",
            str(datadir),
            "-ORBendPoint",
            f"giop:tcp:127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "omninames.log").open("w"),
        start_new_session=True,  # .venv/bin/omniNames is a wrapper: stop its whole group
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("omniNames did not start") from None
                time.sleep(0.05)
        yield f"corbaloc::127.0.0.1:{port}/NameService"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_ipinitial_is_registered_and_resolved_through_omninames(
    tmp_path: Path, naming: str
) -> None:
    gateway = Gateway.start(tmp_path, {"corba": {"naming": naming}})
    try:
        assert gateway.endpoints["naming"] == f"micropay/IpInitial at {naming}"
        app = gateway.register("named-app")
        url = naming.replace("corbaloc::", "corbaname::").replace(
            "/NameService", "#micropay/IpInitial"
        )
        with client.connect(url, app.app_id, app.secret, private_pem("rsa2048")) as session:
            session.obtain_service("P_TEST").setCallback(session.access)
    finally:
        gateway.stop()
    root = client_orb().orb.string_to_object(naming)._narrow(CosNaming.NamingContext)
    name = [CosNaming.NameComponent("micropay", ""), CosNaming.NameComponent("IpInitial", "")]
    with pytest.raises(CosNaming.NamingContext.NotFound):
        root.resolve(name)  # unbound on a clean stop
