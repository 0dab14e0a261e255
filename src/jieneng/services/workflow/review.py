"""The review queue and bulk review (approve / return many tasks at once).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.reporting.tasks import Action, TaskState, apply
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow.access import (
    MAX_BULK,
    MAX_PER_PAGE,
    now,
    review_config,
    role_for,
    stale,
    task_dict,
    task_not_found,
    transition_row,
)
from jieneng.storage import reporting as store


def review_queue(
    engine: Engine, user: User, *, period_id: int | None = None, page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """The tasks waiting for my review, with their finding counts: a department
    sees the submitted tasks of its units with a department step; an office (or
    administrator) the tasks approved by their department and the submitted ones
    without a department step; a viewer sees its region's queue without actions."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    if user.role == "institution":  # a 公共机构 reviews nothing: an empty queue
        return {"items": [], "total": 0, "page": page, "per_page": per_page, "reviewer": None}
    reviewer = "department" if user.role == "department" else "office"
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope)
        rows, total = store.task_page(
            conn, filters, period_id=period_id,
            extra=[store.awaiting(reviewer, user.scope.department_id)],
            offset=(page - 1) * per_page, limit=per_page, findings=True)
    return {"items": [task_dict(r, user) for r in rows], "total": total, "page": page,
            "per_page": per_page, "reviewer": reviewer}


def bulk_review(
    engine: Engine, user: User, decision: str, tasks: list[tuple[int, int | None]], *,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve or return many tasks at once: ``decision`` ``approve`` or ``return``;
    ``tasks`` are ``(id, version read)``. Each task is checked by the state machine
    (a department approves as ``dept_approve``, an office as ``approve``); the
    accepted ones move in one ``UPDATE`` guarded by their version and state, the
    others are reported in ``refused`` with the reason (``not_found``, ``conflict``,
    ``not_permitted``, ``validation_failed``)."""
    require(user, Capability.REVIEW)
    if decision not in ("approve", "return"):
        raise ValidationFailed.of("workflow.invalid_bulk_decision", decision=decision)
    if len(tasks) > MAX_BULK:
        raise ValidationFailed.of("workflow.too_many_tasks", limit=MAX_BULK)
    reason = reason.strip()[:2000] if reason and reason.strip() else None
    if decision == "return" and reason is None:
        raise ValidationFailed.of("workflow.return_needs_reason", field="reason")
    at = now()
    refused: list[dict[str, Any]] = []
    moves: list[tuple[int, int, str, str]] = []
    planned: dict[int, dict[str, Any]] = {}
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope)
        visible, _ = store.task_page(
            conn, filters, task_ids=[i for i, _ in tasks], limit=MAX_BULK)
        by_id = {int(r["id"]): r for r in visible}
        for task_id, version in tasks:  # the selected tasks only (≤ MAX_BULK)
            task = by_id.get(task_id)
            if task is None:
                refused.append(_refusal(task_id, task_not_found(task_id)))
                continue
            read = int(task["version"])
            try:
                if version is not None and version != read:
                    raise stale(task_id)
                action = _bulk_action(user, task, decision)
                role = role_for(user, task, action)
                move = apply(TaskState(task["state"]), action, role, review_config(task),
                             actor_user_id=user.id, at=at, reason=reason)
            except DomainError as err:
                refused.append(_refusal(task_id, err))
                continue
            moves.append((task_id, read, move.from_state.value, move.to_state.value))
            planned[task_id] = transition_row(task_id, move.from_state.value, move.to_state.value,
                                        action, user, role, at, move.reason)
        moved = store.move_tasks(conn, moves, at=at)
        for task_id, *_ in moves:
            if task_id not in moved:
                refused.append(_refusal(task_id, stale(task_id)))
        store.insert_transitions(conn, [planned[i] for i in sorted(moved)])
        if moved:
            audit.record(conn, user.actor, f"reporting.bulk_{decision}", "reporting_task",
                         None, after={"tasks": sorted(moved), "reason": reason})
    return {"decision": decision, "moved": sorted(moved), "refused": refused}


def _bulk_action(user: User, task: dict[str, Any], decision: str) -> Action:
    step = review_config(task).department_step and task["state"] == TaskState.SUBMITTED.value
    department = user.role == "department" or (user.role == "admin" and step)
    if decision == "approve":
        return Action.DEPT_APPROVE if department else Action.APPROVE
    return Action.DEPT_RETURN if department else Action.RETURN


def _refusal(task_id: int, err: DomainError) -> dict[str, Any]:
    return {"id": task_id, "code": err.code, "kind": err.kind, "message_zh": err.message_zh,
            "message_en": err.message_en}
