"""What the embedded SMSC does to traffic, per destination number, for demos and tests.

- ``delay_ms``: hold messages to the number that long before they reach the handset;
- ``fail``: accept, then report the delivery as failed with this receipt stat (e.g. UNDELIV);
- ``reject``: refuse submit_sm with this SMPP command_status (e.g. 0x0B ESME_RINVDSTADR);
- ``throttle``: answer the next N submit_sm to the number with ESME_RTHROTTLED;
- ``rate_per_s`` (global): answer ESME_RTHROTTLED beyond N accepted submit_sm per second.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

ESME_ROK = 0x00
ESME_RTHROTTLED = 0x58


@dataclass
class NumberRule:
    delay_ms: int = 0
    fail: str | None = None
    reject: int | None = None
    throttle: int = 0


@dataclass
class Decision:
    status: int  # ESME_ROK to accept
    delay_ms: int = 0
    fail: str | None = None


@dataclass
class Behaviour:
    rules: dict[str, NumberRule] = field(default_factory=dict)
    rate_per_s: int = 0
    throttled: int = 0
    _accepted_ns: collections.deque = field(default_factory=collections.deque)

    def set_rule(self, number: str, **values: object) -> NumberRule:
        rule = self.rules.setdefault(number, NumberRule())
        for key, value in values.items():
            if value is not None:
                setattr(rule, key, value)
        return rule

    def clear(self) -> None:
        self.rules.clear()
        self.rate_per_s = 0

    def decide(self, number: str) -> Decision:
        rule = self.rules.get(number)
        if rule is not None:
            if rule.reject is not None:
                return Decision(rule.reject)
            if rule.throttle > 0:
                rule.throttle -= 1
                self.throttled += 1
                return Decision(ESME_RTHROTTLED)
        if self.rate_per_s > 0:
            now = time.monotonic_ns()
            while self._accepted_ns and now - self._accepted_ns[0] >= 1_000_000_000:
                self._accepted_ns.popleft()
            if len(self._accepted_ns) >= self.rate_per_s:
                self.throttled += 1
                return Decision(ESME_RTHROTTLED)
            self._accepted_ns.append(now)
        if rule is None:
            return Decision(ESME_ROK)
        return Decision(ESME_ROK, rule.delay_ms, rule.fail)
