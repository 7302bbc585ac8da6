"""A TCP forwarder whose outgoing connections come from another loopback address.

Every connection accepted on ``127.0.0.1:port`` is forwarded to the target from
``source_host`` (e.g. ``127.0.0.2``): to the gateway, the client is somewhere else. Linux routes
all of 127/8 to the loopback device, so no set-up is needed.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Elsewhere:
    def __init__(self, target: tuple[str, int], source_host: str) -> None:
        self.target, self.source_host = target, source_host
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inner, _ = self._listener.accept()
            except OSError:
                return
            outer = socket.create_connection(self.target, source_address=(self.source_host, 0))
            self._sockets += [inner, outer]
            for a, b in ((inner, outer), (outer, inner)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._listener.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()
