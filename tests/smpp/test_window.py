"""The send window as h11 tests its state machine: every transition from a table, then random
runs of events with the invariants and a model of what is outstanding checked after each one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from smpp.window import THROTTLE_DELAY_MS_MAX, THROTTLE_DELAY_MS_MIN, SendWindow

MAX = 4  # window_size_max of the table's windows
LO, HI = THROTTLE_DELAY_MS_MIN, THROTTLE_DELAY_MS_MAX


@dataclass(frozen=True)
class State:
    """Everything a window is: the size, the next pause, the pause's end, what is outstanding."""

    size: int = MAX
    delay_ms: int = LO
    paused_until_ms: int = 0
    outstanding: frozenset[int] = frozenset()


def make(state: State) -> SendWindow:
    window = SendWindow(MAX)
    window.size, window.throttle_delay_ms = state.size, state.delay_ms
    window.paused_until_ms = state.paused_until_ms
    for key in state.outstanding:
        window.on_submit(key)
    return window


def state_of(window: SendWindow) -> State:
    return State(
        window.size,
        window.throttle_delay_ms,
        window.paused_until_ms,
        frozenset(window.on_session_end()),  # reading it empties it: the window is thrown away
    )


FRESH = State()
FULL = State(outstanding=frozenset({1, 2, 3, 4}))
SLOW = State(size=1, delay_ms=200, paused_until_ms=1_100, outstanding=frozenset({7}))

# (name, state before, event, state after); events are (method, *arguments)
TRANSITIONS = [
    ("submit counts a key", FRESH, ("on_submit", 1), State(outstanding=frozenset({1}))),
    ("submit of an outstanding key counts it once", State(outstanding=frozenset({1})),
     ("on_submit", 1), State(outstanding=frozenset({1}))),
    ("submit beyond a shrunk window still counts", SLOW, ("on_submit", 8),
     State(1, 200, 1_100, frozenset({7, 8}))),
    ("ack frees the slot; the window is at its max already", FULL, ("on_ack", 2),
     State(outstanding=frozenset({1, 3, 4}))),
    ("ack grows a shrunk window by one and ends the back-off", SLOW, ("on_ack", 7),
     State(2, LO, 1_100, frozenset())),
    ("ack for a key not outstanding still grows the window", SLOW, ("on_ack", 99),
     State(2, LO, 1_100, frozenset({7}))),
    ("first throttle: pause, double the next pause, shrink to 1", FULL, ("on_throttle", 1, 1_000),
     State(1, 2 * LO, 1_000 + LO, frozenset({2, 3, 4}))),
    ("throttle inside the pause is the same episode", SLOW, ("on_throttle", 7, 1_050),
     State(1, 200, 1_100, frozenset())),
    ("throttle as the pause ends is a new episode", SLOW, ("on_throttle", 7, 1_100),
     State(1, 400, 1_300, frozenset())),
    ("the pause stops growing at its max", State(size=3, delay_ms=HI, outstanding=frozenset({5})),
     ("on_throttle", 5, 10), State(1, HI, 10 + HI, frozenset())),
    ("the pause doubles up to its max, not past it", State(delay_ms=HI - 1), ("on_throttle", 5, 0),
     State(1, HI, HI - 1, frozenset())),
    ("release frees the slot and changes nothing else", SLOW, ("on_release", 7),
     State(1, 200, 1_100, frozenset())),
    ("release of a key not outstanding changes nothing", SLOW, ("on_release", 99), SLOW),
    ("session end hands everything back, keeps the rate", SLOW, ("on_session_end",),
     State(1, 200, 1_100, frozenset())),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "before", "event", "after"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS]
)
def test_transition(name: str, before: State, event: tuple, after: State) -> None:
    window = make(before)
    method, *args = event
    result = getattr(window, method)(*args)
    if method == "on_session_end":
        assert sorted(result) == sorted(before.outstanding)
    assert state_of(window) == after


# (state, now_ms) -> (pause_ms, free)
QUESTIONS = [
    (FRESH, 0, 0, MAX),
    (FULL, 0, 0, 0),
    (State(outstanding=frozenset({1})), 5, 0, MAX - 1),
    (SLOW, 1_000, 100, 0),  # paused: nothing, whatever the window
    (SLOW, 1_099, 1, 0),
    (SLOW, 1_100, 0, 0),  # the pause is over; the one slot is taken
    (State(size=1, paused_until_ms=1_100), 1_100, 0, 1),
    (State(size=1, outstanding=frozenset({1, 2, 3})), 0, 0, 0),  # shrunk below what is out
]


@pytest.mark.parametrize(("state", "now_ms", "pause_ms", "free"), QUESTIONS)
def test_questions(state: State, now_ms: int, pause_ms: int, free: int) -> None:
    window = make(state)
    assert (window.pause_ms(now_ms), window.free(now_ms)) == (pause_ms, free)
    assert window.outstanding == len(state.outstanding)


def test_a_throttled_window_slow_starts_back_to_its_max() -> None:
    """The whole episode the embedded SMSC's ``throttle`` rule causes: ten answers at once,
    one pause, then one submit_sm at a time, one more per accepted one."""
    window = SendWindow(10)
    for key in range(10):
        window.on_submit(key)
    assert window.free(0) == 0
    for key in range(10):
        window.on_throttle(key, 1_000 + key)  # the rest of the window answers during the pause
    assert (window.size, window.paused_until_ms, window.throttle_delay_ms) == (
        1,
        1_000 + LO,
        2 * LO,
    )
    assert window.free(1_000 + LO - 1) == 0
    sizes = []
    for key in range(100, 109):
        assert window.free(2_000) == window.size
        window.on_submit(key)
        window.on_ack(key)
        sizes.append(window.size)
    assert sizes == list(range(2, 11))
    assert window.throttle_delay_ms == LO
    window.on_ack(999)
    assert window.size == 10  # never past the max


def test_construction_is_checked() -> None:
    with pytest.raises(AssertionError):
        SendWindow(0)
    with pytest.raises(AssertionError):
        SendWindow(1, throttle_delay_ms_min=10, throttle_delay_ms_max=5)


KEYS = st.integers(0, 7)


class Random(RuleBasedStateMachine):
    """Any order of events, with time moving forward: the invariants hold after each, what is
    outstanding is exactly what was submitted and not answered, and each rule does its part."""

    def __init__(self) -> None:
        super().__init__()
        self.window = SendWindow(5, throttle_delay_ms_min=10, throttle_delay_ms_max=80)
        self.model: set[int] = set()
        self.now_ms = 0

    @rule(key=KEYS)
    def submit(self, key: int) -> None:
        self.window.on_submit(key)
        self.model.add(key)

    @rule(key=KEYS)
    def ack(self, key: int) -> None:
        size = self.window.size
        self.window.on_ack(key)
        self.model.discard(key)
        assert self.window.size == min(size + 1, 5)
        assert self.window.throttle_delay_ms == 10

    @rule(key=KEYS)
    def throttle(self, key: int) -> None:
        before = (self.window.size, self.window.throttle_delay_ms, self.window.paused_until_ms)
        paused = self.window.pause_ms(self.now_ms) > 0
        self.window.on_throttle(key, self.now_ms)
        self.model.discard(key)
        after = (self.window.size, self.window.throttle_delay_ms, self.window.paused_until_ms)
        if paused:
            assert after == before
        else:
            assert after == (1, min(before[1] * 2, 80), self.now_ms + before[1])
            assert self.window.free(self.now_ms) == 0

    @rule(key=KEYS)
    def release(self, key: int) -> None:
        before = (self.window.size, self.window.throttle_delay_ms, self.window.paused_until_ms)
        self.window.on_release(key)
        self.model.discard(key)
        after = (self.window.size, self.window.throttle_delay_ms, self.window.paused_until_ms)
        assert after == before

    @rule()
    def session_end(self) -> None:
        assert set(self.window.on_session_end()) == self.model
        self.model.clear()

    @rule(ms=st.integers(0, 100))
    def time_passes(self, ms: int) -> None:
        self.now_ms += ms

    @invariant()
    def holds(self) -> None:
        self.window.check()
        assert self.window.outstanding == len(self.model)
        free = self.window.free(self.now_ms)
        assert 0 <= free <= self.window.size
        if self.window.pause_ms(self.now_ms):
            assert free == 0
        else:
            assert free == max(self.window.size - len(self.model), 0)


TestRandomRuns = Random.TestCase
TestRandomRuns.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
