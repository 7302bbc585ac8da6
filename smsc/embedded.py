"""Start the embedded SMSC from the gateway (``micropay serve``) as a child process.

It is a separate process, like a real SMSC: the gateway's sender reaches it over SMPP on
loopback, and the SMSC exits by itself if the gateway dies (``--parent-pid``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from charging import msisdn
from smsc.admin import ADMIN_FILE
from smsc.credentials import smsc_data_dir

START_TIMEOUT_S = 15
STOP_TIMEOUT_S = 5


@dataclass
class SmscHandle:
    process: subprocess.Popen
    host: str
    port: int
    data_dir: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)


def spawn_smsc(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    system_id: str = "micropay",
    password_file: str = "",
    rate_per_s: int = 0,
    watch_parent: bool = True,
    log_file: Path | None = None,
) -> SmscHandle:
    """Start ``python -m smsc`` and wait until it listens; return its handle."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (data_dir / ADMIN_FILE).unlink()
    cmd = [
        sys.executable,
        "-m",
        "smsc",
        "--host",
        host,
        "--port",
        str(port),
        "--data",
        str(data_dir),
        "--system-id",
        system_id,
        "--rate",
        str(rate_per_s),
        "--region",
        msisdn.default_region(),  # the gateway's: national numbers read alike on both sides
    ]
    if password_file:
        cmd += ["--password-file", password_file]
    if watch_parent:
        cmd += ["--parent-pid", str(os.getpid())]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - handed to the child
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(cmd, stdout=out, stderr=out, env=env, cwd=root)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded SMSC exited with status {process.returncode}")
        with contextlib.suppress(FileNotFoundError, ValueError):
            info = json.loads((data_dir / ADMIN_FILE).read_text())
            if info.get("pid") == process.pid:
                return SmscHandle(process, info["smpp_host"], info["smpp_port"], data_dir)
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError("embedded SMSC did not start in time")


def start_embedded_smsc(config) -> SmscHandle:  # config: gateway.config.Config
    """The gateway's entry point: the SMSC on [smsc] host/port, data in ``<data>/smsc``."""
    section = config["smsc"]
    return spawn_smsc(
        smsc_data_dir(config.data_dir),
        host=section["host"],
        port=int(section["port"]),
        system_id=section["system_id"],
        password_file=section["password_file"],
        log_file=config.ensure_data_dir() / "smsc.log",
    )
