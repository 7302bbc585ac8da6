"""The live progress line on stderr: rewritten in place on a terminal, one line per purpose
otherwise (so a CI log shows what ran)."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TextIO

from apps.interop.model import Purpose, Result, Verdict

LABEL = {
    Verdict.PASS: "PASS",
    Verdict.FAIL: "FAIL",
    Verdict.INCONCLUSIVE: "INCONC",
    Verdict.ERROR: "ERROR",
}
WIDTH = 100


class Progress:
    def __init__(self, total: int, transport: str, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.transport = transport
        self.tty = self.stream.isatty()
        self.counts: Counter[Verdict] = Counter()

    def _tally(self) -> str:
        return " ".join(f"{LABEL[v].lower()} {n}" for v, n in sorted(self.counts.items()) if n)

    def start(self, index: int, purpose: Purpose) -> None:
        if not self.tty:
            return
        line = f"[{index + 1:>3}/{self.total}] {self.transport} {purpose.id} {purpose.title}"
        tally = self._tally()
        line = (line[: WIDTH - len(tally) - 3] + "  " + tally) if tally else line[:WIDTH]
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()

    def done(self, index: int, result: Result) -> None:
        self.counts[result.verdict] += 1
        if self.tty:
            if result.verdict is not Verdict.PASS:  # keep what did not pass on screen
                self.stream.write(
                    f"\r\x1b[K{LABEL[result.verdict]:<6} {result.purpose.id} {result.reason}\n"
                )
                self.stream.flush()
            return
        reason = f"  {result.reason}" if result.reason else ""
        self.stream.write(
            f"[{index + 1:>3}/{self.total}] {LABEL[result.verdict]:<6} {result.purpose.id} "
            f"({result.duration_s * 1000:.0f} ms){reason}\n"
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
