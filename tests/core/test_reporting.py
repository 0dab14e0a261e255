"""Reporting tasks: periods and the task state machine (core.reporting)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.exceptions import Conflict, NotPermitted, ValidationFailed
from jieneng.core.reporting.periods import Period, PeriodKind
from jieneng.core.reporting.tasks import (
    Action,
    ActorRole,
    ReviewConfig,
    TaskState,
    Transition,
    allowed_actions,
    apply,
    is_locked,
    transition,
)

S, A, R = TaskState, Action, ActorRole

# The specification, written out independently of the module's tables:
# (department_step, from, action) -> (to, roles besides admin).
_COMMON = {
    (S.NOT_STARTED, A.SAVE): (S.IN_PROGRESS, {R.FILER}),
    (S.IN_PROGRESS, A.SAVE): (S.IN_PROGRESS, {R.FILER}),
    (S.RETURNED, A.SAVE): (S.IN_PROGRESS, {R.FILER}),
    (S.IN_PROGRESS, A.SUBMIT): (S.SUBMITTED, {R.FILER}),
    (S.SUBMITTED, A.WITHDRAW): (S.IN_PROGRESS, {R.FILER}),
    (S.APPROVED, A.REOPEN): (S.IN_PROGRESS, {R.OFFICE_REVIEWER}),
    # Reached only if the department step was switched off while the task waited.
    (S.DEPT_APPROVED, A.APPROVE): (S.APPROVED, {R.OFFICE_REVIEWER}),
    (S.DEPT_APPROVED, A.RETURN): (S.RETURNED, {R.OFFICE_REVIEWER}),
    (S.DEPT_APPROVED, A.REOPEN): (S.IN_PROGRESS, {R.DEPARTMENT_REVIEWER}),
    # Reached only if the county step was switched off while the task waited.
    (S.REGION_APPROVED, A.APPROVE): (S.APPROVED, {R.OFFICE_REVIEWER}),
    (S.REGION_APPROVED, A.RETURN): (S.RETURNED, {R.OFFICE_REVIEWER}),
    (S.REGION_APPROVED, A.REOPEN): (S.IN_PROGRESS, {R.REGION_REVIEWER}),
}
SPEC: dict[bool, dict[tuple[TaskState, Action], tuple[TaskState, set[ActorRole]]]] = {
    False: {
        **_COMMON,
        (S.SUBMITTED, A.APPROVE): (S.APPROVED, {R.OFFICE_REVIEWER}),
        (S.SUBMITTED, A.RETURN): (S.RETURNED, {R.OFFICE_REVIEWER}),
    },
    True: {
        **_COMMON,
        (S.SUBMITTED, A.DEPT_APPROVE): (S.DEPT_APPROVED, {R.DEPARTMENT_REVIEWER}),
        (S.SUBMITTED, A.DEPT_RETURN): (S.RETURNED, {R.DEPARTMENT_REVIEWER}),
    },
}
# Roles that may ever perform an action (when it is illegal from a state the
# role check still comes first).
ROLES_OF = {
    A.SAVE: {R.FILER},
    A.SUBMIT: {R.FILER},
    A.WITHDRAW: {R.FILER},
    A.DEPT_APPROVE: {R.DEPARTMENT_REVIEWER},
    A.DEPT_RETURN: {R.DEPARTMENT_REVIEWER},
    A.REGION_APPROVE: {R.REGION_REVIEWER},
    A.REGION_RETURN: {R.REGION_REVIEWER},
    A.APPROVE: {R.OFFICE_REVIEWER},
    A.RETURN: {R.OFFICE_REVIEWER},
    A.REOPEN: {R.DEPARTMENT_REVIEWER, R.REGION_REVIEWER, R.OFFICE_REVIEWER},
}
NEEDS_REASON = {A.DEPT_RETURN, A.REGION_RETURN, A.RETURN, A.REOPEN}


def _expected_roles(dept: bool, state: TaskState, action: Action) -> set[ActorRole]:
    legal = SPEC[dept].get((state, action))
    return (legal[1] if legal else ROLES_OF[action]) | {R.ADMIN}


@pytest.mark.parametrize(
    ("dept", "state", "action", "role"),
    list(itertools.product([False, True], TaskState, Action, ActorRole)),
)
def test_every_state_action_role(
    dept: bool, state: TaskState, action: Action, role: ActorRole
) -> None:
    config = ReviewConfig(department_step=dept)
    legal = SPEC[dept].get((state, action))
    reason = "数据有误 / figures wrong"
    if role not in _expected_roles(dept, state, action):
        with pytest.raises(NotPermitted) as err:
            transition(state, action, role, config, reason=reason)
        assert state.value in str(err.value) and action.value in str(err.value)
        assert action not in allowed_actions(state, role, config)
    elif legal is None:
        with pytest.raises(Conflict) as conflict:
            transition(state, action, role, config, reason=reason)
        assert state.value in str(conflict.value) and action.value in str(conflict.value)
        assert action not in allowed_actions(state, role, config)
    else:
        assert transition(state, action, role, config, reason=reason) == legal[0]
        assert action in allowed_actions(state, role, config)
        if action in NEEDS_REASON:
            for blank in (None, "", "   "):
                with pytest.raises(ValidationFailed):
                    transition(state, action, role, config, reason=blank)


def test_messages_are_bilingual_zh_first() -> None:
    with pytest.raises(Conflict) as err:
        transition(S.APPROVED, A.SAVE, R.FILER, ReviewConfig())
    assert err.value.message_zh.startswith("任务状态“已审核”")
    assert "approved" in err.value.message_en and "save" in err.value.message_en
    assert str(err.value) == f"{err.value.message_zh} / {err.value.message_en}"


def test_department_actions_without_department_step_explain_why() -> None:
    with pytest.raises(Conflict) as err:
        transition(S.SUBMITTED, A.DEPT_APPROVE, R.DEPARTMENT_REVIEWER, ReviewConfig(False))
    assert "no department step" in err.value.message_en
    assert "主管部门审核步骤" in err.value.message_zh


def test_office_cannot_skip_the_department() -> None:
    with pytest.raises(Conflict):
        transition(S.SUBMITTED, A.APPROVE, R.OFFICE_REVIEWER, ReviewConfig(True))


@pytest.mark.parametrize("dept", [False, True])
def test_county_step_comes_before_the_office(dept: bool) -> None:
    """区县初审: with the county step the period's office cannot approve or return
    before the county (and, with both steps, the county not before the department)."""
    config = ReviewConfig(department_step=dept, region_step=True)
    waiting = S.DEPT_APPROVED if dept else S.SUBMITTED
    for action in (A.APPROVE, A.RETURN):
        with pytest.raises(Conflict) as err:
            transition(waiting, action, R.OFFICE_REVIEWER, config, reason="r")
        assert err.value.code == "reporting.earlier_step_first"
    with pytest.raises(NotPermitted):
        transition(waiting, A.REGION_APPROVE, R.OFFICE_REVIEWER, config)
    if dept:
        with pytest.raises(Conflict):
            transition(S.SUBMITTED, A.REGION_APPROVE, R.REGION_REVIEWER, config)
    assert transition(waiting, A.REGION_APPROVE, R.REGION_REVIEWER, config) is S.REGION_APPROVED
    assert transition(waiting, A.REGION_RETURN, R.REGION_REVIEWER, config,
                      reason="请核实") is S.RETURNED
    assert transition(S.REGION_APPROVED, A.APPROVE, R.OFFICE_REVIEWER, config) is S.APPROVED
    assert transition(S.REGION_APPROVED, A.REOPEN, R.REGION_REVIEWER, config,
                      reason="补录") is S.IN_PROGRESS
    assert allowed_actions(waiting, R.REGION_REVIEWER, config) == {A.REGION_APPROVE,
                                                                   A.REGION_RETURN}
    assert allowed_actions(waiting, R.OFFICE_REVIEWER, config) == frozenset()
    assert is_locked(S.REGION_APPROVED)


def test_county_actions_without_county_step_explain_why() -> None:
    with pytest.raises(Conflict) as err:
        transition(S.SUBMITTED, A.REGION_APPROVE, R.REGION_REVIEWER, ReviewConfig())
    assert err.value.code == "reporting.no_region_step"


def test_submit_refused_with_errors_or_unexplained_warnings() -> None:
    config = ReviewConfig()
    with pytest.raises(ValidationFailed) as err:
        transition(S.IN_PROGRESS, A.SUBMIT, R.FILER, config, has_blocking_findings=True)
    assert "errors" in err.value.message_en
    with pytest.raises(ValidationFailed) as warn:
        transition(S.IN_PROGRESS, A.SUBMIT, R.FILER, config, unexplained_warnings=2)
    assert "2" in warn.value.message_zh and warn.value.details["unexplained_warnings"] == 2
    assert transition(S.IN_PROGRESS, A.SUBMIT, R.FILER, config) is S.SUBMITTED


def test_findings_do_not_block_review_actions() -> None:
    config = ReviewConfig()
    got = transition(
        S.SUBMITTED, A.APPROVE, R.OFFICE_REVIEWER, config,
        has_blocking_findings=True, unexplained_warnings=3,
    )
    assert got is S.APPROVED


@pytest.mark.parametrize(
    ("state", "locked"),
    [
        (S.NOT_STARTED, False), (S.IN_PROGRESS, False), (S.RETURNED, False),
        (S.SUBMITTED, True), (S.DEPT_APPROVED, True), (S.APPROVED, True),
    ],
)
def test_is_locked(state: TaskState, locked: bool) -> None:
    assert is_locked(state) is locked
    # Figures can be saved exactly in the unlocked states.
    assert (A.SAVE in allowed_actions(state, R.FILER, ReviewConfig())) is not locked


def test_labels_in_both_languages() -> None:
    for enum in (TaskState, Action, ActorRole, PeriodKind):
        for member in enum:
            zh, en = member.label("zh"), member.label("en")
            assert zh and en and zh != en
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert S.SUBMITTED.label() == "已上报" and S.RETURNED.label("en-GB") == "returned"


def test_apply_records_who_when_why() -> None:
    at = datetime(2025, 4, 3, 9, 30, tzinfo=UTC)
    row = apply(
        S.SUBMITTED, A.RETURN, R.OFFICE_REVIEWER, ReviewConfig(),
        actor_user_id=7, at=at, reason="  3月电量疑似多填一个零  ",
    )
    assert row == Transition(
        S.SUBMITTED, S.RETURNED, A.RETURN, 7, R.OFFICE_REVIEWER, at, "3月电量疑似多填一个零"
    )
    saved = apply(S.RETURNED, A.SAVE, R.FILER, ReviewConfig(), actor_user_id=3, at=at, reason=" ")
    assert saved.reason is None and saved.to_state is S.IN_PROGRESS


def test_transition_time_must_be_aware() -> None:
    with pytest.raises(ValidationFailed):
        Transition(S.NOT_STARTED, S.IN_PROGRESS, A.SAVE, 1, R.FILER, datetime(2025, 1, 1))


@pytest.mark.parametrize("dept", [False, True])
def test_full_cycle_return_resubmit_approve_reopen(dept: bool) -> None:
    config = ReviewConfig(department_step=dept)
    first = A.DEPT_APPROVE if dept else A.APPROVE
    first_by = R.DEPARTMENT_REVIEWER if dept else R.OFFICE_REVIEWER
    ret = A.DEPT_RETURN if dept else A.RETURN
    steps: list[tuple[Action, ActorRole, str | None]] = [
        (A.SAVE, R.FILER, None),
        (A.SUBMIT, R.FILER, None),
        (ret, first_by, "请核实3月电量"),
        (A.SAVE, R.FILER, None),
        (A.SUBMIT, R.FILER, None),
        (first, first_by, None),
        *([(A.APPROVE, R.OFFICE_REVIEWER, None)] if dept else []),
        (A.REOPEN, R.OFFICE_REVIEWER, "补录发票"),
    ]
    state = S.NOT_STARTED
    seen = []
    for action, role, reason in steps:
        state = transition(state, action, role, config, reason=reason)
        seen.append(state)
    assert S.RETURNED in seen and S.APPROVED in seen and state is S.IN_PROGRESS


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "period", "formatted"),
    [
        ("2025-03", Period(2025, 3), "2025-03"),
        ("2025-3", Period(2025, 3), "2025-03"),
        (" 2025-12 ", Period(2025, 12), "2025-12"),
        ("2025", Period(2025), "2025"),
        ("2025年3月", Period(2025, 3), "2025-03"),
        ("2025年", Period(2025), "2025"),
    ],
)
def test_period_parse_and_format(text: str, period: Period, formatted: str) -> None:
    assert Period.parse(text) == period
    assert period.format() == formatted == str(period)


@pytest.mark.parametrize(
    "text", ["", "25-03", "2025-13", "2025-00", "2025/03", "2025-03-01", "1999"]
)
def test_period_parse_rejects(text: str) -> None:
    with pytest.raises(ValidationFailed):
        Period.parse(text)


def test_period_values() -> None:
    march = Period.monthly(2025, 3)
    year = Period.annual(2025)
    assert march.kind is PeriodKind.MONTHLY and march.months == (3,)
    assert year.kind is PeriodKind.ANNUAL and year.months == tuple(range(1, 13))
    assert march.label() == "2025年3月" and year.label() == "2025年"
    assert march.label("en") == "2025-03"
    periods = [Period(2025, 2), Period(2024), Period(2025), Period(2024, 12)]
    assert sorted(periods, key=Period.sort_key) == [
        Period(2024), Period(2024, 12), Period(2025), Period(2025, 2)
    ]
    with pytest.raises(ValidationFailed):
        Period(2025, 0)
    with pytest.raises(ValidationFailed):
        Period(2101)


@given(st.integers(2000, 2100), st.one_of(st.none(), st.integers(1, 12)))
def test_period_round_trip(year: int, month: int | None) -> None:
    period = Period(year, month)
    assert Period.parse(period.format()) == period
    assert Period.parse(period.label("zh")) == period


# --------------------------------------------------------------------------- properties

Step = tuple[Action, ActorRole, str | None, bool, int]
_steps = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.sampled_from(list(ActorRole)),
        st.sampled_from([None, "", "原因 / reason"]),
        st.booleans(),
        st.integers(0, 2),
    ),
    max_size=40,
)


@given(st.booleans(), _steps)
def test_random_histories_keep_the_invariants(dept: bool, steps: list[Step]) -> None:
    """Random action sequences: approved only after a submit; approved is left only
    by reopen; every move into returned carries a reason; locked states are
    reached only by review moves or submit."""
    config = ReviewConfig(department_step=dept)
    state = S.NOT_STARTED
    at = datetime(2025, 1, 1, tzinfo=UTC)
    history: list[Transition] = []
    for action, role, reason, blocking, unexplained in steps:
        try:
            row = apply(
                state, action, role, config, actor_user_id=1, at=at, reason=reason,
                has_blocking_findings=blocking, unexplained_warnings=unexplained,
            )
        except (NotPermitted, Conflict, ValidationFailed):
            continue
        history.append(row)
        state = row.to_state
    for i, row in enumerate(history):
        if row.to_state is S.APPROVED:
            assert any(h.action is A.SUBMIT for h in history[:i])
        if row.from_state is S.APPROVED:
            assert row.action is A.REOPEN and row.reason
        if row.to_state is S.RETURNED:
            assert row.reason
        if row.action is A.SUBMIT:
            assert row.from_state is S.IN_PROGRESS
        if row.to_state is S.DEPT_APPROVED:
            assert dept
        if i:
            assert row.from_state is history[i - 1].to_state
