"""Who acts on a task, and the task as the pages show it: the workflow's shared part.

Every decision about a move is the pure state machine of
:mod:`jieneng.core.reporting`; this module maps the account to an
:class:`~jieneng.core.reporting.tasks.ActorRole` for a task, reads the blocking
findings (``quality_finding``, written by the data-quality service) and stores
the move under an optimistic lock, with its history row and an audit entry in
the same transaction.

Who acts on a task (always inside the caller's scope, checked first through
:func:`jieneng.services.scope.scoped_filters`; outside → :class:`NotFound`):

- 系统管理员 → ``admin``;
- 管理机构 (region, region_admin; pinned to an ancestor region of the
  institution) → ``office_reviewer``; ``region_reviewer`` instead when the task has
  the county step and the account is pinned below the period's region; and ``filer`` on the
  institution's behalf for save / submit / withdraw;
- 主管机构 (department) → ``department_reviewer`` for its subordinate units
  (``filer`` on their behalf), ``filer`` for itself;
- 公共机构 (institution) → ``filer`` for its own task;
- viewers act on nothing (:class:`NotPermitted`).

The department step of a task is ``period.department_step`` and the institution
has a competent department; the county step (区县初审) is ``period.region_step`` and
the institution lies below the period's region (a 本级 unit of the period's own
region has no county above it). The chain is 主管部门 → 区县 → the period's office,
enforced by the state machine (:class:`~jieneng.core.reporting.tasks.ReviewConfig`).
Figures of a task in a locked state
(:func:`jieneng.core.reporting.tasks.is_locked`) cannot be written:
:func:`jieneng.services.workflow.locks.check_unlocked` (in the figure-writing
transaction, set-based).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.codes import parent_region_code
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted
from jieneng.core.reporting.periods import Period
from jieneng.core.reporting.tasks import (
    Action,
    ActorRole,
    ReviewConfig,
    TaskState,
    allowed_actions,
    is_locked,
)
from jieneng.services.scope import scoped_filters
from jieneng.storage import reporting as store

#: States whose figures are locked, and the states a ``save`` starts from
#: (both from the core state machine).
LOCKED_STATES: tuple[str, ...] = tuple(s.value for s in TaskState if is_locked(s))
SAVE_FROM: tuple[str, ...] = tuple(
    s.value for s in TaskState
    if s is not TaskState.IN_PROGRESS
    and Action.SAVE in allowed_actions(s, ActorRole.FILER, ReviewConfig())
)
#: Actions a region or department user performs as the filer (on the unit's behalf).
FILER_ACTIONS = frozenset({Action.SAVE, Action.SUBMIT, Action.WITHDRAW})
MAX_PER_PAGE = 200
MAX_BULK = 500


def task_not_found(task_id: int) -> NotFound:
    """A task that does not exist or is outside the caller's scope (one refusal for both)."""
    return NotFound.of("workflow.task_not_found", task_id=task_id)


def now() -> datetime:
    return datetime.now(UTC)


def period_of(row: dict[str, Any]) -> Period:
    return Period(int(row["year"]), int(row["month"]) or None)


def review_config(task: dict[str, Any]) -> ReviewConfig:
    """The review chain of one task (its period's steps that apply to its institution)."""
    return ReviewConfig(
        department_step=bool(task["department_step"]) and task["department_id"] is not None,
        region_step=bool(task.get("region_step")) and task["region_code"] != task["period_region"])


def ancestors(region_code: str) -> list[str]:
    """The regions above ``region_code`` by the structure of its code (GB/T 2260:
    county → city → province), nearest first."""
    out: list[str] = []
    code = parent_region_code(region_code)
    while code is not None and code not in out:
        out.append(code)
        code = parent_region_code(code)
    return out


def below_period(user: User, period_region: str) -> bool:
    """True when an office account sits below the period's region (the county step's
    reviewer), False at the period's region or above."""
    mine = user.scope.region_code
    return mine is not None and mine != period_region and period_region in ancestors(mine)


def roles_of(user: User, task: dict[str, Any]) -> tuple[ActorRole, ...]:
    """The roles the caller holds on a task it can see (reviewer role first)."""
    if user.role == "admin":
        return (ActorRole.ADMIN,)
    if user.role in ("region", "region_admin"):
        if review_config(task).region_step and below_period(user, str(task["period_region"])):
            return (ActorRole.REGION_REVIEWER, ActorRole.FILER)
        return (ActorRole.OFFICE_REVIEWER, ActorRole.FILER)
    if user.role == "department":
        if task["institution_id"] == user.scope.department_id:
            return (ActorRole.FILER,)
        return (ActorRole.DEPARTMENT_REVIEWER, ActorRole.FILER)
    if user.role == "institution":
        return (ActorRole.FILER,)
    return ()


def role_for(user: User, task: dict[str, Any], action: Action) -> ActorRole:
    roles = roles_of(user, task)
    if not roles:
        raise NotPermitted.of("workflow.read_only")
    if ActorRole.FILER in roles and (action in FILER_ACTIONS or len(roles) == 1):
        return ActorRole.FILER
    return roles[0]


def actions_of(user: User, task: dict[str, Any]) -> list[str]:
    state, config = TaskState(task["state"]), review_config(task)
    found: set[Action] = set()
    for role in roles_of(user, task):
        for action in allowed_actions(state, role, config):
            if role is ActorRole.FILER and len(roles_of(user, task)) > 1 \
                    and action not in FILER_ACTIONS:
                continue
            found.add(action)
    found.discard(Action.SAVE)  # saving happens on the entry form / import
    if len(roles_of(user, task)) > 1:  # a reviewer returns a report; 撤回 is the unit's button
        found.discard(Action.WITHDRAW)
    return [a.value for a in Action if a in found]


def visible_task(conn: Connection, user: User, task_id: int) -> dict[str, Any]:
    task = store.get_task(conn, task_id)
    if task is None:
        raise task_not_found(task_id)
    try:
        scoped_filters(conn, user.scope, institution_id=int(task["institution_id"]))
    except NotFound:
        raise task_not_found(task_id) from None
    return task


def task_dict(task: dict[str, Any], user: User | None = None) -> dict[str, Any]:
    period = period_of(task)
    state = TaskState(task["state"])
    out = {
        "id": task["id"], "period_id": task["period_id"], "period": period.format(),
        "period_label": period.label(), "kind": period.kind.value,
        "deadline": task["deadline"].isoformat() if task["deadline"] else None,
        "overdue": _overdue(task["deadline"], state),
        "institution": {"credit_code": task["credit_code"], "name": task["name"],
                        "region_code": task["region_code"], "category": task["category"]},
        "state": state.value, "state_zh": state.label("zh"), "state_en": state.label("en"),
        "version": task["version"], "locked": is_locked(state),
        "department_step": review_config(task).department_step,
        "region_step": review_config(task).region_step,
        "updated_at": iso(task["updated_at"]), "submitted_at": iso(task["submitted_at"]),
        "approved_at": iso(task["approved_at"]),
    }
    if "errors" in task:
        out["errors"] = int(task["errors"])
        out["unexplained_warnings"] = int(task["warnings"])
    if user is not None:
        out["actions"] = actions_of(user, task)
    return out


#: the states in which a task still waits for its 统计员 (past the deadline: 已逾期)
FILER_OPEN = frozenset({TaskState.NOT_STARTED, TaskState.IN_PROGRESS, TaskState.RETURNED})


def _overdue(deadline: date | None, state: TaskState) -> bool:
    """Past its deadline (a China date, :func:`jieneng.core.chinatime.past`) and not yet
    submitted — the workbench counts the same way."""
    return state in FILER_OPEN and chinatime.past(deadline, chinatime.today())


def iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def stale(task_id: int) -> Conflict:
    return Conflict.of("workflow.task_changed", task_id=task_id)


def transition_row(task_id: int, from_state: str, to_state: str, action: Action, user: User,
                   role: ActorRole, at: datetime, reason: str | None) -> dict[str, Any]:
    return {"task_id": task_id, "from_state": from_state, "to_state": to_state,
            "action": action.value, "actor_user_id": user.id, "actor_role": role.value,
            "at": at, "reason": reason}
