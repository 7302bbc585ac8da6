"""The one transition table: every state reachable, terminal states final, illegal moves refused."""

from __future__ import annotations

import pytest

from framework.core import states
from framework.core.states import (
    Access,
    AccessEvent,
    Agreement,
    AgreementEvent,
    Auth,
    AuthEvent,
    Machine,
)
from tests.conftest import ROOT

MACHINES = [
    (Machine.AUTH, Auth, AuthEvent, Auth.IDLE, {Auth.ACCESS_GRANTED, Auth.ABORTED}),
    (Machine.ACCESS, Access, AccessEvent, Access.OPEN, {Access.ENDED}),
    (Machine.AGREEMENT, Agreement, AgreementEvent, Agreement.SELECTED, {Agreement.TERMINATED}),
]


@pytest.mark.parametrize(("machine", "state_enum", "event_enum", "start", "terminal"), MACHINES)
def test_every_state_is_reachable_and_terminal_states_are_final(
    machine, state_enum, event_enum, start, terminal
) -> None:
    reached, frontier = {start}, [start]
    while frontier:
        state = frontier.pop()
        for event in event_enum:
            if states.allowed(machine, state, event):
                target = states.step(machine, state, event)
                assert target in set(state_enum)
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
    assert reached == set(state_enum)
    for state in terminal:
        assert not any(states.allowed(machine, state, e) for e in event_enum)


def test_request_access_only_after_both_sides_succeeded() -> None:
    legal = {s for s in Auth if states.allowed(Machine.AUTH, s, AuthEvent.REQUEST_ACCESS)}
    assert legal == {Auth.AUTHENTICATED}
    # either order of the two proofs reaches AUTHENTICATED
    for first, second in [
        (AuthEvent.RESPONSE_VALID, AuthEvent.CLIENT_CONFIRMS),
        (AuthEvent.CLIENT_CONFIRMS, AuthEvent.RESPONSE_VALID),
    ]:
        state = states.step(Machine.AUTH, Auth.IDLE, AuthEvent.SELECT_MECHANISM)
        state = states.step(Machine.AUTH, state, first)
        assert state != Auth.AUTHENTICATED
        assert states.step(Machine.AUTH, state, second) == Auth.AUTHENTICATED


def test_a_wrong_response_aborts_and_challenges_need_a_mechanism() -> None:
    for state in (Auth.CHALLENGING, Auth.FRAMEWORK_PROVEN):
        assert states.step(Machine.AUTH, state, AuthEvent.RESPONSE_INVALID) == Auth.ABORTED
    with pytest.raises(states.IllegalMove):
        states.step(Machine.AUTH, Auth.IDLE, AuthEvent.CLIENT_CHALLENGES)
    with pytest.raises(states.IllegalMove):
        states.step(Machine.AUTH, Auth.CHALLENGING, AuthEvent.SELECT_MECHANISM)


def test_signing_steps_need_a_selected_algorithm() -> None:
    assert not states.allowed(Machine.ACCESS, Access.OPEN, AccessEvent.SIGN)
    assert not states.allowed(Machine.ACCESS, Access.OPEN, AccessEvent.TERMINATE_SIGNED)
    assert states.allowed(Machine.ACCESS, Access.OPEN, AccessEvent.END)
    assert states.allowed(Machine.ACCESS, Access.SIGNING_SELECTED, AccessEvent.TERMINATE_SIGNED)


def test_countersign_only_after_the_application_signed() -> None:
    legal = {
        s for s in Agreement if states.allowed(Machine.AGREEMENT, s, AgreementEvent.COUNTERSIGN)
    }
    assert legal == {Agreement.SIGNED_BY_APP}


def test_mermaid_draws_every_row() -> None:
    for machine, *_ in MACHINES:
        text = states.mermaid(machine)
        rows = [k for k in states.TRANSITIONS if k[0] == machine]
        assert text.startswith("stateDiagram-v2")
        assert len(text.splitlines()) == len(rows) + 1


def test_the_operator_guide_shows_the_current_table() -> None:
    text = (ROOT / "docs" / "framework.md").read_text()
    for machine, *_ in MACHINES:
        assert states.mermaid(machine) in text, (
            f"docs/framework.md: regenerate the {machine} diagram"
        )
