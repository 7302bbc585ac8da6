"""The embedded SMSC's durable state: a journal of accepted parts and a file per handset.

- ``journal.jsonl``: one JSON object per line, appended and flushed before the SMSC answers
  (so a killed SMSC loses nothing it acknowledged): ``accept`` (a submit_sm), ``receipt_done``
  (the ESME acknowledged its receipt), ``mo`` / ``mo_done`` (injected mobile-originated messages).
- ``handsets/<number>.jsonl``: what each phone received, whole messages (concatenated parts
  joined), each line listing the part ids it covers. Any process can read it
  (``micropay sms inbox``).

Writes go to the operating system at once (flush), not to the disk (no fsync): this is a test and
demo device; it survives a killed process, not a power cut.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def handset_file(handsets_dir: Path, number_uri: str) -> Path:
    key = number_uri.removeprefix("tel:").replace("+", "intl-")
    safe = "".join(c for c in key if c.isalnum() or c in "-_")
    return handsets_dir / f"{safe or 'unknown'}.jsonl"


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.endswith("\n"):  # a torn last line (killed mid-write) is ignored
                    yield json.loads(line)
    except FileNotFoundError:
        return


def read_inbox(smsc_dir: Path, number_uri: str) -> list[dict[str, Any]]:
    """Messages a handset received, oldest first (readable from any process)."""
    return list(_lines(handset_file(smsc_dir / "handsets", number_uri)))


class SmscStore:
    def __init__(self, smsc_dir: Path) -> None:
        self.dir = smsc_dir
        self.handsets = smsc_dir / "handsets"
        self.handsets.mkdir(parents=True, exist_ok=True)
        self.journal_path = smsc_dir / "journal.jsonl"
        self._lock = threading.Lock()
        self._repair(self.journal_path)
        self._journal = self.journal_path.open("a", encoding="utf-8")

    @staticmethod
    def _repair(path: Path) -> None:
        """Cut a torn last line left by a kill in the middle of a write."""
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def journal(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._journal.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._journal.flush()

    def replay(self) -> list[dict[str, Any]]:
        return list(_lines(self.journal_path))

    def deliver_to_handset(self, number_uri: str, record: dict[str, Any]) -> None:
        path = handset_file(self.handsets, number_uri)
        self._repair(path)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock, path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()

    def covered_part_ids(self) -> set[str]:
        covered: set[str] = set()
        for path in self.handsets.glob("*.jsonl"):
            for record in _lines(path):
                covered.update(record.get("part_ids", []))
        return covered

    def close(self) -> None:
        with self._lock:
            self._journal.close()


def write_private_json(path: Path, value: dict[str, Any]) -> None:
    """Write a small JSON file readable by its owner only (admin endpoint and token)."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(value, fh)
    os.replace(tmp, path)
