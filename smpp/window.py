"""The ESME's send window: how many submit_sm may be outstanding, and when to hold back. Pure.

No I/O and no clock: the sender passes the time (milliseconds of a monotonic clock) into the
calls that need it and asks :meth:`SendWindow.free` how many submit_sm it may send now. SMPP 3.4
lets an ESME keep several requests outstanding, answered in any order, and leaves how many to
it; these are our rules:

- at most ``size`` submit_sm are outstanding; ``size`` starts at ``window_size_max``;
- an answer ESME_RTHROTTLED or ESME_RMSGQFUL (:meth:`~SendWindow.on_throttle`) pauses all
  submission for ``throttle_delay_ms``, doubles the next pause (up to ``throttle_delay_ms_max``)
  and shrinks the window to 1. The answers to the rest of the window arrive together: a throttle
  answer during a pause belongs to the same episode and changes nothing more;
- each accepted submit_sm (:meth:`~SendWindow.on_ack`) ends the back-off (the next pause is
  ``throttle_delay_ms_min`` again) and grows the window by one, up to ``window_size_max``
  (slow start);
- any other answer, or none because the session ended (:meth:`~SendWindow.on_release`), frees
  its slot and says nothing about the SMSC's load;
- when a session ends, what is still outstanding is handed back (:meth:`~SendWindow.on_session_end`)
  for the caller to release; the size and the back-off carry over to the next session.

Keys are the caller's (the outbox's part ids). An answer for a key that is not outstanding (one
already handed back) changes the rate as any answer does and frees nothing; submitting a key that
is outstanding counts it once. Every event ends by checking the invariants
(:meth:`SendWindow.check`), as ``framework/core/chap.py`` checks its own.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

THROTTLE_DELAY_MS_MIN = 100
THROTTLE_DELAY_MS_MAX = 5_000


@dataclass
class SendWindow:
    """One sender's window over all its sessions. Read ``size``, ``throttle_delay_ms`` and
    ``paused_until_ms`` freely; change them only through the ``on_*`` events."""

    window_size_max: int
    throttle_delay_ms_min: int = THROTTLE_DELAY_MS_MIN
    throttle_delay_ms_max: int = THROTTLE_DELAY_MS_MAX
    size: int = field(init=False)
    throttle_delay_ms: int = field(init=False)  # the next pause
    paused_until_ms: int = field(init=False, default=0)
    _outstanding: set[Hashable] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        assert self.window_size_max >= 1
        assert 1 <= self.throttle_delay_ms_min <= self.throttle_delay_ms_max
        self.size = self.window_size_max
        self.throttle_delay_ms = self.throttle_delay_ms_min
        self.check()

    # -- questions -------------------------------------------------------------------------------
    @property
    def outstanding(self) -> int:
        """submit_sm sent (or about to be) and not answered yet."""
        return len(self._outstanding)

    def pause_ms(self, now_ms: int) -> int:
        """How long submission stays paused after a throttle answer; 0 when it is not."""
        return max(self.paused_until_ms - now_ms, 0)

    def free(self, now_ms: int) -> int:
        """How many submit_sm may be sent now: 0 during a pause or when the window is full."""
        if self.pause_ms(now_ms):
            return 0
        return max(self.size - len(self._outstanding), 0)

    # -- events ----------------------------------------------------------------------------------
    def on_submit(self, key: Hashable) -> None:
        """A submit_sm is on its way (counted from the moment its part is claimed)."""
        self._outstanding.add(key)
        self.check()

    def on_ack(self, key: Hashable) -> None:
        """submit_sm_resp ESME_ROK: the back-off ends and the window grows by one."""
        self._outstanding.discard(key)
        self.throttle_delay_ms = self.throttle_delay_ms_min
        self.size = min(self.size + 1, self.window_size_max)
        self.check()

    def on_throttle(self, key: Hashable, now_ms: int) -> None:
        """ESME_RTHROTTLED / ESME_RMSGQFUL: pause, back off, shrink to 1 -- once per episode."""
        self._outstanding.discard(key)
        if now_ms >= self.paused_until_ms:  # a new episode, not the rest of the last window
            self.paused_until_ms = now_ms + self.throttle_delay_ms
            self.throttle_delay_ms = min(self.throttle_delay_ms * 2, self.throttle_delay_ms_max)
            self.size = 1
        self.check()

    def on_release(self, key: Hashable) -> None:
        """Any other answer, or none (the session ended first): the slot is free again."""
        self._outstanding.discard(key)
        self.check()

    def on_session_end(self) -> list[Hashable]:
        """The session is gone: hand back what is still outstanding (never answered)."""
        left, self._outstanding = list(self._outstanding), set()
        self.check()
        return left

    # -- invariants ------------------------------------------------------------------------------
    def check(self) -> None:
        """What holds after every event; a failure is a bug here, never bad input."""
        assert 1 <= self.size <= self.window_size_max, self.size
        assert self.throttle_delay_ms_min <= self.throttle_delay_ms <= self.throttle_delay_ms_max
        assert self.paused_until_ms >= 0
