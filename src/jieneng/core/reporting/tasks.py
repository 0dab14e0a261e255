"""The state machine of a reporting task (填报任务): states, actions, who may act.

The supervising office (管理机构) opens a reporting period — 月报 for one month,
年报 for one year — for its subtree; every active institution in scope gets one
task. This module is the pure state machine of such a task; storage keeps the
current state and one :class:`Transition` row per move. (One module of ~430 lines
on purpose: a fifth of it is this table of moves, and the table, the states and the
checks that enforce them are read together.)

States and moves (``dept_approved`` exists only with a department step)::

    from            action         by                   to
    not_started     save           filer                in_progress
    in_progress     save           filer                in_progress
    returned        save           filer                in_progress
    in_progress     submit         filer                submitted
    submitted       withdraw       filer                in_progress
    submitted       dept_approve   department_reviewer  dept_approved   (department step)
    submitted       dept_return    department_reviewer  returned        (department step)
    dept_approved   reopen         department_reviewer  in_progress     (department step)
    dept_approved   approve        office_reviewer      approved        (department step)
    dept_approved   return         office_reviewer      returned        (department step)
    submitted       approve        office_reviewer      approved        (no department step)
    submitted       return         office_reviewer      returned        (no department step)
    approved        reopen         office_reviewer      in_progress

With a county step (``ReviewConfig.region_step``: 县级初审, the office of the
institution's own region below the period's region reviews first) the office's
``approve`` / ``return`` move to the county office, whose approval the period's
office then decides on::

    from            action         by                   to
    submitted*      region_approve region_reviewer      region_approved  (* dept_approved
    submitted*      region_return  region_reviewer      returned            with a department step)
    region_approved reopen         region_reviewer      in_progress
    region_approved approve        office_reviewer      approved
    region_approved return         office_reviewer      returned

The chain is therefore 主管部门 → 区县 → 市 (each step only when configured), and no
later step can act before an earlier one.

Who acts (:class:`ActorRole`) is decided by the caller from the user's account
and the task's institution; the core only checks the role against the action.

Design decisions
----------------
- Figures are editable only in ``not_started``, ``in_progress`` and ``returned``
  (:func:`is_locked` is true for ``submitted``, ``dept_approved`` and
  ``approved``). A filer who wants to change a submitted task withdraws it first;
  a change after approval needs the reviewer to ``reopen`` it (reason required),
  and the revision history of the figures keeps both versions.
- The review chain is fixed by :class:`ReviewConfig`: with a department step a
  submitted task goes department → office, and the office cannot skip the
  department; without it the office reviews ``submitted`` tasks directly. The
  caller decides per task (e.g. the region enables the step *and* the institution
  has a competent department). A task already in ``dept_approved`` when the step
  is switched off can still be approved or returned by the office.
- ``admin`` may perform every action (on behalf of anyone); the legality of the
  move from the current state is still checked, so an admin cannot skip steps.
- Checks run in a fixed order so the caller gets the most useful error:
  role (:class:`NotPermitted`) → state and configuration (:class:`Conflict`) →
  reason and findings (:class:`ValidationFailed`).

References
----------
- 公共机构能源资源消费统计调查制度: 月报/年报 reporting by institutions, review by the
  competent department and the 机关事务管理 office of each level (逐级审核).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..exceptions import Conflict, NotPermitted, ValidationFailed


class TaskState(StrEnum):
    """State of a reporting task; the value is the stable code stored and sent."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    DEPT_APPROVED = "dept_approved"
    REGION_APPROVED = "region_approved"
    APPROVED = "approved"
    RETURNED = "returned"

    def label(self, lang: str = "zh") -> str:
        """``未录入`` / ``not started`` …"""
        return _STATE_LABELS[self][1 if lang.startswith("en") else 0]


_STATE_LABELS = {
    TaskState.NOT_STARTED: ("未录入", "not started"),
    TaskState.IN_PROGRESS: ("录入中", "in progress"),
    TaskState.SUBMITTED: ("已上报", "submitted"),
    TaskState.DEPT_APPROVED: ("部门已审核", "approved by department"),
    TaskState.REGION_APPROVED: ("区县已审核", "approved by county"),
    TaskState.APPROVED: ("已审核", "approved"),
    TaskState.RETURNED: ("已退回", "returned"),
}


class Action(StrEnum):
    """What an actor does to a task; the value is the stable code."""

    SAVE = "save"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    DEPT_APPROVE = "dept_approve"
    DEPT_RETURN = "dept_return"
    REGION_APPROVE = "region_approve"
    REGION_RETURN = "region_return"
    APPROVE = "approve"
    RETURN = "return"
    REOPEN = "reopen"

    def label(self, lang: str = "zh") -> str:
        """``保存`` / ``save`` …"""
        return _ACTION_LABELS[self][1 if lang.startswith("en") else 0]


_ACTION_LABELS = {
    Action.SAVE: ("保存", "save"),
    Action.SUBMIT: ("上报", "submit"),
    Action.WITHDRAW: ("撤回", "withdraw"),
    Action.DEPT_APPROVE: ("部门审核通过", "approve (department)"),
    Action.DEPT_RETURN: ("部门退回", "return (department)"),
    Action.REGION_APPROVE: ("区县审核通过", "approve (county)"),
    Action.REGION_RETURN: ("区县退回", "return (county)"),
    Action.APPROVE: ("审核通过", "approve"),
    Action.RETURN: ("退回", "return"),
    Action.REOPEN: ("重新打开", "reopen"),
}


class ActorRole(StrEnum):
    """Who acts, relative to the task (mapped from the account by the caller).

    - ``filer`` — the institution's own user, or a region/department user entering
      figures on its behalf (统计员);
    - ``department_reviewer`` — the competent department (主管部门) of the institution;
    - ``region_reviewer`` — a supervising office below the period's region that holds
      the institution (区县, the county step);
    - ``office_reviewer`` — the supervising office (管理机构) of the period;
    - ``admin`` — system administrator: may perform every action.
    """

    FILER = "filer"
    DEPARTMENT_REVIEWER = "department_reviewer"
    REGION_REVIEWER = "region_reviewer"
    OFFICE_REVIEWER = "office_reviewer"
    ADMIN = "admin"

    def label(self, lang: str = "zh") -> str:
        return _ROLE_LABELS[self][1 if lang.startswith("en") else 0]


_ROLE_LABELS = {
    ActorRole.FILER: ("填报人", "filer"),
    ActorRole.DEPARTMENT_REVIEWER: ("主管部门审核人", "department reviewer"),
    ActorRole.REGION_REVIEWER: ("区县审核人", "county reviewer"),
    ActorRole.OFFICE_REVIEWER: ("管理机构审核人", "office reviewer"),
    ActorRole.ADMIN: ("系统管理员", "administrator"),
}


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    """The review chain of a task: with ``department_step`` the competent
    department reviews before the supervising office; with ``region_step`` the
    office of the institution's county (below the period's region) reviews before
    the period's office (after the department, when both)."""

    department_step: bool = False
    region_step: bool = False


#: States in which figures may be entered or changed.
EDITABLE_STATES: frozenset[TaskState] = frozenset(
    {TaskState.NOT_STARTED, TaskState.IN_PROGRESS, TaskState.RETURNED}
)

#: Actions that need a written reason.
REASON_REQUIRED: frozenset[Action] = frozenset(
    {Action.DEPT_RETURN, Action.REGION_RETURN, Action.RETURN, Action.REOPEN})

#: Roles (besides ``admin``) allowed to perform each action.
ACTION_ROLES: dict[Action, frozenset[ActorRole]] = {
    Action.SAVE: frozenset({ActorRole.FILER}),
    Action.SUBMIT: frozenset({ActorRole.FILER}),
    Action.WITHDRAW: frozenset({ActorRole.FILER}),
    Action.DEPT_APPROVE: frozenset({ActorRole.DEPARTMENT_REVIEWER}),
    Action.DEPT_RETURN: frozenset({ActorRole.DEPARTMENT_REVIEWER}),
    Action.REGION_APPROVE: frozenset({ActorRole.REGION_REVIEWER}),
    Action.REGION_RETURN: frozenset({ActorRole.REGION_REVIEWER}),
    Action.APPROVE: frozenset({ActorRole.OFFICE_REVIEWER}),
    Action.RETURN: frozenset({ActorRole.OFFICE_REVIEWER}),
    Action.REOPEN: frozenset({ActorRole.DEPARTMENT_REVIEWER, ActorRole.REGION_REVIEWER,
                              ActorRole.OFFICE_REVIEWER}),
}

_S = TaskState
_FILING: dict[tuple[TaskState, Action], TaskState] = {
    (_S.NOT_STARTED, Action.SAVE): _S.IN_PROGRESS,
    (_S.IN_PROGRESS, Action.SAVE): _S.IN_PROGRESS,
    (_S.RETURNED, Action.SAVE): _S.IN_PROGRESS,
    (_S.IN_PROGRESS, Action.SUBMIT): _S.SUBMITTED,
    (_S.SUBMITTED, Action.WITHDRAW): _S.IN_PROGRESS,
    (_S.APPROVED, Action.REOPEN): _S.IN_PROGRESS,
}


def _build(department_step: bool, region_step: bool) -> dict[tuple[TaskState, Action], TaskState]:
    """The moves of one chain: each configured step reviews the state the step
    before it left (``submitted`` first), the period's office the last one."""
    table = dict(_FILING)
    waiting = _S.SUBMITTED
    if department_step:
        table[(waiting, Action.DEPT_APPROVE)] = _S.DEPT_APPROVED
        table[(waiting, Action.DEPT_RETURN)] = _S.RETURNED
        table[(_S.DEPT_APPROVED, Action.REOPEN)] = _S.IN_PROGRESS
        waiting = _S.DEPT_APPROVED
    if region_step:
        table[(waiting, Action.REGION_APPROVE)] = _S.REGION_APPROVED
        table[(waiting, Action.REGION_RETURN)] = _S.RETURNED
        table[(_S.REGION_APPROVED, Action.REOPEN)] = _S.IN_PROGRESS
        waiting = _S.REGION_APPROVED
    table[(waiting, Action.APPROVE)] = _S.APPROVED
    table[(waiting, Action.RETURN)] = _S.RETURNED
    return table


_TABLES = {(d, r): _build(d, r) for d in (False, True) for r in (False, True)}
_WITH_DEPT = _TABLES[(True, False)]
_WITHOUT_DEPT = _TABLES[(False, False)]
# A reviewer may reopen its own approval (dept_approved / region_approved →
# in_progress) only while the next step has not decided; the office reopens approved tasks.
_REOPEN_BY: dict[TaskState, ActorRole] = {
    _S.DEPT_APPROVED: ActorRole.DEPARTMENT_REVIEWER,
    _S.REGION_APPROVED: ActorRole.REGION_REVIEWER,
    _S.APPROVED: ActorRole.OFFICE_REVIEWER,
}


def _table(config: ReviewConfig) -> dict[tuple[TaskState, Action], TaskState]:
    return _TABLES[(config.department_step, config.region_step)]


def _target(state: TaskState, action: Action, config: ReviewConfig) -> TaskState | None:
    """Next state, or None when ``action`` is not legal from ``state`` under ``config``."""
    found = _table(config).get((state, action))
    if found is None and state is _S.DEPT_APPROVED and not config.department_step:
        # The step was switched off while the task waited: the next step still decides.
        found = _TABLES[(True, config.region_step)].get((state, action))
    if found is None and state is _S.REGION_APPROVED and not config.region_step:
        found = _TABLES[(config.department_step, True)].get((state, action))
    return found


def _role_may(role: ActorRole, action: Action, state: TaskState) -> bool:
    if role is ActorRole.ADMIN:
        return True
    if action is Action.REOPEN and state in _REOPEN_BY:
        return _REOPEN_BY[state] is role
    return role in ACTION_ROLES[action]


def is_locked(state: TaskState) -> bool:
    """True when the task's figures may not be changed (``submitted``,
    ``dept_approved``, ``approved``): withdraw or reopen first."""
    return state not in EDITABLE_STATES


def allowed_actions(
    state: TaskState, actor_role: ActorRole, config: ReviewConfig
) -> frozenset[Action]:
    """Actions ``actor_role`` may perform on a task in ``state`` (for the buttons of the UI).

    Submission checks that depend on findings are not applied here: ``submit`` is
    listed and :func:`transition` may still refuse it.
    """
    return frozenset(
        a
        for a in Action
        if _target(state, a, config) is not None and _role_may(actor_role, a, state)
    )


def _names(state: TaskState, action: Action) -> tuple[str, str]:
    zh = (
        f"任务状态“{state.label('zh')}”（{state.value}）下的"
        f"操作“{action.label('zh')}”（{action.value}）"
    )
    en = f"action {action.value!r} on a task in state {state.value!r}"
    return zh, en


def _check_role(state: TaskState, action: Action, role: ActorRole) -> None:
    if not _role_may(role, action, state):
        zh, en = _names(state, action)
        raise NotPermitted.of(
            "reporting.role_may_not_act", state=state.value, action=action.value, role=role.value,
            values={"role_zh": role.label("zh"), "role_en": role.label("en"),
                    "action_zh": zh, "action_en": en},
        )


def _check_legal(state: TaskState, action: Action, config: ReviewConfig) -> TaskState:
    target = _target(state, action, config)
    if target is not None:
        return target
    zh, en = _names(state, action)
    if action in (Action.DEPT_APPROVE, Action.DEPT_RETURN) and not config.department_step:
        raise Conflict.of(
            "reporting.no_department_step", state=state.value, action=action.value,
            values={"action_zh": zh, "action_en": en},
        )
    if action in (Action.REGION_APPROVE, Action.REGION_RETURN) and not config.region_step:
        raise Conflict.of(
            "reporting.no_region_step", state=state.value, action=action.value,
            values={"action_zh": zh, "action_en": en},
        )
    if action in (Action.APPROVE, Action.RETURN) and state in (_S.SUBMITTED, _S.DEPT_APPROVED):
        raise Conflict.of(
            "reporting.earlier_step_first", state=state.value, action=action.value,
            values={"action_zh": zh, "action_en": en},
        )
    raise Conflict.of(
        "reporting.not_from_state", state=state.value, action=action.value,
        values={"action_zh": zh, "action_en": en},
    )


def _check_inputs(
    state: TaskState,
    action: Action,
    reason: str | None,
    has_blocking_findings: bool,
    unexplained_warnings: int,
) -> None:
    zh, en = _names(state, action)
    if action in REASON_REQUIRED and not (reason and reason.strip()):
        raise ValidationFailed.of(
            "reporting.needs_reason", state=state.value, action=action.value,
            values={"action_zh": zh, "action_en": en},
        )
    if action is not Action.SUBMIT:
        return
    if has_blocking_findings:
        raise ValidationFailed.of(
            "reporting.data_check_errors", state=state.value, action=action.value,
            values={"action_zh": zh, "action_en": en},
        )
    if unexplained_warnings > 0:
        raise ValidationFailed.of(
            "reporting.warnings_unexplained", state=state.value, action=action.value,
            unexplained_warnings=unexplained_warnings, values={"action_zh": zh, "action_en": en},
        )


def transition(
    state: TaskState,
    action: Action,
    actor_role: ActorRole,
    config: ReviewConfig,
    *,
    reason: str | None = None,
    has_blocking_findings: bool = False,
    unexplained_warnings: int = 0,
) -> TaskState:
    """The state after ``actor_role`` performs ``action`` on a task in ``state``.

    ``has_blocking_findings`` (any error-level data-quality finding) and
    ``unexplained_warnings`` (warnings without a written explanation) matter only
    for ``submit``. ``reason`` is required (non-blank) for ``dept_return``,
    ``return`` and ``reopen``.

    Raises
    ------
    NotPermitted
        ``actor_role`` may not perform ``action`` (checked first).
    Conflict
        ``action`` is not legal from ``state`` under ``config``.
    ValidationFailed
        reason missing, or ``submit`` with errors or unexplained warnings.
    """
    _check_role(state, action, actor_role)
    target = _check_legal(state, action, config)
    _check_inputs(state, action, reason, has_blocking_findings, unexplained_warnings)
    return target


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded move of a task: who, when, why (one history row).

    ``at`` must be timezone-aware; ``reason`` is stripped, None when blank.
    A ``save`` in ``in_progress`` is a self-loop (from = to); the caller may record
    it or not, but every state change must be recorded.
    """

    from_state: TaskState
    to_state: TaskState
    action: Action
    actor_user_id: int
    actor_role: ActorRole
    at: datetime
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValidationFailed.of("reporting.naive_time")


def apply(
    state: TaskState,
    action: Action,
    actor_role: ActorRole,
    config: ReviewConfig,
    *,
    actor_user_id: int,
    at: datetime,
    reason: str | None = None,
    has_blocking_findings: bool = False,
    unexplained_warnings: int = 0,
) -> Transition:
    """:func:`transition`, returned as the :class:`Transition` record to store."""
    target = transition(
        state, action, actor_role, config, reason=reason,
        has_blocking_findings=has_blocking_findings, unexplained_warnings=unexplained_warnings,
    )
    cleaned = reason.strip() if reason and reason.strip() else None
    return Transition(state, target, action, actor_user_id, actor_role, at, cleaned)
