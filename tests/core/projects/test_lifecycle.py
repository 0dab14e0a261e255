"""The project state machine: the main path, ⇄ adjustment, termination from every open
state, the capability of each move, refusals naming the open moves."""

from __future__ import annotations

from itertools import pairwise

import pytest

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import ROLE_CAPABILITIES, Capability, Role
from jieneng.core.projects.lifecycle import (
    APPROVE,
    FINAL,
    MANAGE,
    MOVES,
    OPEN,
    State,
    check_move,
    next_states,
    parse_state,
)

PATH = ["declared", "approval", "procurement", "contracted", "baseline", "implementation",
        "monitoring", "adjustment", "monitoring", "evaluation", "settlement", "handover",
        "closed"]


def test_the_main_path_is_open_step_by_step() -> None:
    for a, b in pairwise(PATH):
        check_move(State(a), State(b), reason=None)


def test_approval_stages_need_approve_the_rest_manage() -> None:
    assert MOVES[(State.DECLARED, State.APPROVAL)] == MANAGE
    for source in (State.APPROVAL, State.BASELINE, State.ADJUSTMENT, State.EVALUATION,
                   State.SETTLEMENT):
        forward = [m for m in next_states(source) if m.target is not State.TERMINATED]
        assert all(m.capability == APPROVE for m in forward), source
    assert {Capability(c) for c in (MANAGE, APPROVE)} <= set(Capability)
    assert Capability.APPROVE_PROJECTS not in ROLE_CAPABILITIES[Role.INSTITUTION]
    assert Capability.MANAGE_PROJECTS in ROLE_CAPABILITIES[Role.INSTITUTION]
    assert Capability.APPROVE_PROJECTS in ROLE_CAPABILITIES[Role.REGION]


def test_termination_from_every_open_state_needs_a_reason() -> None:
    for state in OPEN:
        assert MOVES[(state, State.TERMINATED)] == APPROVE
        with pytest.raises(ValidationFailed) as err:
            check_move(state, State.TERMINATED, reason=" ")
        assert err.value.code == "project_move_needs_reason"
        check_move(state, State.TERMINATED, reason="业主撤销")
    for final in FINAL:
        assert next_states(final) == ()


def test_a_skip_is_refused_naming_the_open_moves() -> None:
    with pytest.raises(ValidationFailed) as err:
        check_move(State.DECLARED, State.MONITORING, reason=None)
    assert err.value.code == "project_move_not_allowed"
    assert "征集/申报" in err.value.message_zh and "运行监测" in err.value.message_zh
    assert "审批、终止" in err.value.message_zh
    assert "under approval, terminated" in err.value.message_en


def test_states_parse_from_code_and_labels() -> None:
    assert parse_state("审批") is State.APPROVAL
    assert parse_state("申报") is State.DECLARED
    assert parse_state("operation and monitoring") is State.MONITORING
    assert parse_state("closed") is State.CLOSED
    with pytest.raises(ValidationFailed):
        parse_state("完成")
