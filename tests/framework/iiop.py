"""Just enough IOR parsing to forge object keys (for the guessed-key tests)."""

from __future__ import annotations

import struct
import urllib.parse


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 1
        self.little = data[0] == 1

    def align(self, n: int) -> None:
        self.pos += (-self.pos) % n

    def ulong(self) -> int:
        self.align(4)
        (value,) = struct.unpack_from("<I" if self.little else ">I", self.data, self.pos)
        self.pos += 4
        return value

    def ushort(self) -> int:
        self.align(2)
        (value,) = struct.unpack_from("<H" if self.little else ">H", self.data, self.pos)
        self.pos += 2
        return value

    def octets(self) -> bytes:
        n = self.ulong()
        value = self.data[self.pos : self.pos + n]
        self.pos += n
        return value


def object_key(ior: str) -> tuple[str, int, bytes]:
    """(host, port, object key) of the first IIOP profile of a stringified IOR."""
    data = bytes.fromhex(ior[4:])
    reader = _Reader(data)
    reader.octets()  # type id
    for _ in range(reader.ulong()):
        tag = reader.ulong()
        body = reader.octets()
        if tag == 0:
            profile = _Reader(body)
            profile.pos += 2  # IIOP version
            host = profile.octets().rstrip(b"\0").decode()
            port = profile.ushort()
            return host, port, profile.octets()
    raise ValueError("no IIOP profile")


def corbaloc(host: str, port: int, key: bytes) -> str:
    return f"corbaloc::{host}:{port}/{urllib.parse.quote(key, safe='')}"
