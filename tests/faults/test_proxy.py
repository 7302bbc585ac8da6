"""The fault tests' TCP proxy itself, against a real echo server on loopback: it forwards, a
blackhole holds bytes and new connections until restored, a reset cut resets every connection
and refuses new ones until restored."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.faults.proxy import TcpProxy

TIMEOUT_S = 5


@pytest.fixture
def echo() -> Iterator[int]:
    """An echo server (a thread per connection); yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # a reset cut resets this side too
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()


@pytest.fixture
def proxy(echo: int) -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", echo) as running:
        yield running


def connect(proxy: TcpProxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT_S)


def round_trip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_it_forwards_both_ways(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert round_trip(sock, b"hello") == b"hello"
        big = bytes(range(256)) * 4096  # 1 MiB, more than a chunk
        assert round_trip(sock, big) == big
    assert proxy.accepted == 1


def test_a_blackhole_holds_bytes_and_new_connections_until_restored(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert round_trip(sock, b"before") == b"before"
        proxy.cut("blackhole")
        sock.sendall(b"held")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(16)
        late = connect(proxy)  # accepted, but connected to nothing yet
        late.sendall(b"late")
        late.settimeout(0.5)
        with pytest.raises(TimeoutError):
            late.recv(16)
        proxy.restore()
        sock.settimeout(TIMEOUT_S)
        late.settimeout(TIMEOUT_S)
        assert sock.recv(16) == b"held"
        assert late.recv(16) == b"late"
        late.close()


def test_a_reset_cut_resets_open_connections_and_refuses_new_ones(proxy: TcpProxy) -> None:
    with connect(proxy) as sock:
        assert round_trip(sock, b"x") == b"x"
        proxy.cut("reset")
        with pytest.raises(ConnectionResetError):
            round_trip(sock, b"y")
    assert proxy.resets == 1 and proxy.connections == 0
    with pytest.raises((ConnectionResetError, BrokenPipeError)), connect(proxy) as refused:
        round_trip(refused, b"z")
    proxy.restore()
    with connect(proxy) as again:
        assert round_trip(again, b"again") == b"again"


def test_stop_closes_every_connection(echo: int) -> None:
    proxy = TcpProxy("127.0.0.1", echo).start()
    sock = connect(proxy)
    assert round_trip(sock, b"x") == b"x"
    proxy.stop()
    assert sock.recv(16) == b""  # an orderly end
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=TIMEOUT_S)
