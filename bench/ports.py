"""Free TCP ports on loopback for the servers the tests and benchmarks start as processes.

A port the kernel picks (``bind(0)``) comes from the ephemeral range, the same range every
outgoing connection takes its source port from: between choosing it and the server binding it,
another process's client -- or another pytest-xdist worker's load -- may take it, and the server
fails with "address already in use". So ports are handed out from below the ephemeral range
(Linux: 32768-60999), from a block of their own per xdist worker, each once per process, and
only after a bind shows them free now.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
import threading

FIRST = 20_000  # below every common ephemeral range (Linux 32768+, IANA 49152+)
BLOCK_PORTS = 3_000  # per xdist worker: gw0 20000-22999, gw1 23000-25999, ...
WORKERS_MAX = 4

_lock = threading.Lock()


def _block() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % WORKERS_MAX if worker.isdigit() else 0
    start = FIRST + index * BLOCK_PORTS
    return range(start, start + BLOCK_PORTS)


def _candidates() -> itertools.cycle[int]:
    block = _block()
    start = random.randrange(len(block))  # a new run does not retry the last run's ports first
    return itertools.cycle([*block[start:], *block[:start]])


_next = _candidates()


def free_port() -> int:
    """A loopback port no other server holds now and this process has not handed out lately."""
    with _lock:
        for _ in range(BLOCK_PORTS):
            port = next(_next)
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError(f"no free loopback port in {_block()}")
