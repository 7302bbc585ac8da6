"""A throwaway PostgreSQL server for the tests and the benchmarks.

Runs the machine's PostgreSQL 15 binaries (``initdb`` + ``postgres``) in a fresh temporary folder
on a free loopback port, with durability settings left at their defaults (``fsync=on``,
``synchronous_commit=on``): the ledger's tests and benchmarks measure the real thing.

``initdb`` and ``postgres`` refuse to run as root, and CI runs as root on a fresh clone, so when
the current user is root the server runs as the unprivileged ``nobody`` user (``Popen(user=...)``),
in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.ports import free_port

PG_BIN_GLOB = "/usr/lib/postgresql/15/bin"
PG_BIN_FALLBACK_GLOB = "/usr/lib/postgresql/*/bin"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
SUPERUSER = "postgres"
UNPRIVILEGED_USER = "nobody"


def pg_bin_dir() -> Path:
    """The folder with ``initdb``/``postgres``: PostgreSQL 15 if present, else the newest one."""
    for pattern in (PG_BIN_GLOB, PG_BIN_FALLBACK_GLOB):
        found = sorted(glob.glob(pattern))
        found = [d for d in found if os.path.exists(os.path.join(d, "initdb"))]
        if found:
            return Path(found[-1])
    raise RuntimeError("PostgreSQL binaries not found (./build.sh test installs them)")


class PostgresServer:
    """One running throwaway server; ``url(dbname)`` gives a connection URL for a database."""

    def __init__(self) -> None:
        self.bin = pg_bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="micropay-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._as_user: str | None = UNPRIVILEGED_USER if os.geteuid() == 0 else None

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        if self._as_user is not None:
            entry = pwd.getpwnam(self._as_user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",  # the cluster is thrown away; commits themselves stay durable
            ]
        )
        self._spawn()
        self._wait_ready()
        return self

    def _as_owner(self, argv: list[str]) -> list[str]:
        """``argv`` run as the unprivileged user through ``setpriv`` (util-linux), which
        switches user and then execs. Not ``Popen(user=...)``: that makes Python fork() (it
        cannot vfork to change user), and a fork while gRPC threads of the calling process are
        busy (a test under load restarting PostgreSQL) can kill the child before its exec."""
        if self._as_user is None:
            return argv
        entry = pwd.getpwnam(self._as_user)
        return [
            "setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups",
            *argv,
        ]  # fmt: skip

    def _spawn(self) -> None:
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                self._as_owner(
                    [
                        str(self.bin / "postgres"),
                        "-D",
                        str(self.data),
                        "-p",
                        str(self.port),
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        f"unix_socket_directories={self.root}",
                        "-c",
                        "max_connections=300",
                        "-c",
                        "shared_buffers=64MB",
                    ]
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _run(self, argv: list[str]) -> None:
        result = subprocess.run(
            self._as_owner(argv), capture_output=True, timeout=START_TIMEOUT_S, cwd=self.root
        )
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stderr.decode(errors='replace')}")

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres exited at start: {self.log.read_text()[-2000:]}")
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def restart(self, down_s: float = 0.0) -> None:
        """Crash the server (immediate shutdown: no checkpoint, crash recovery at the next start)
        and start it again on the same port and data, ``down_s`` seconds later -- what a
        PostgreSQL restart under load looks like to its clients."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=STOP_TIMEOUT_S)
        time.sleep(down_s)
        self._spawn()
        self._wait_ready()

    def stop(self) -> None:
        """Stop the server (immediate shutdown, then kill) and remove its folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(
                signal.SIGQUIT
            )  # "immediate": no checkpoint, the data is thrown away
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases -----------------------------------------------------------------------------
    def url(self, dbname: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def drop_database(self, dbname: str) -> None:
        import psycopg

        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.url("postgres"), autocommit=True) as conn,
        ):
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
