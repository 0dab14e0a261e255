"""Reporting tasks: my tasks, one task with its figures, and one move (``act``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.indicator_registry import change
from jieneng.core.permissions import Capability, require
from jieneng.core.reporting.tasks import Action, ActorRole, TaskState, apply
from jieneng.services.accounts import audit
from jieneng.services.quality import quality
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow import notices
from jieneng.services.workflow.access import (
    FILER_ACTIONS,
    MAX_PER_PAGE,
    iso,
    now,
    period_of,
    review_config,
    role_for,
    roles_of,
    stale,
    task_dict,
    transition_row,
    visible_task,
)
from jieneng.settings import Settings
from jieneng.storage import directory
from jieneng.storage import reporting as store


def _states(states: list[str] | None) -> list[str] | None:
    if not states:
        return None
    try:
        return [TaskState(s).value for s in states]
    except ValueError:
        raise ValidationFailed.of("workflow.unknown_state", states=states) from None


def list_tasks(
    engine: Engine, user: User, *, period_id: int | None = None, states: list[str] | None = None,
    page: int = 1, per_page: int = 50,
) -> dict[str, Any]:
    """My tasks (a 公共机构's own, the tasks of a region's or department's scope)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope)
        rows, total = store.task_page(
            conn, filters, period_id=period_id, states=_states(states),
            offset=(page - 1) * per_page, limit=per_page, findings=True)
    return {"items": [task_dict(r, user) for r in rows], "total": total, "page": page,
            "per_page": per_page}


def task_detail(engine: Engine, user: User, task_id: int) -> dict[str, Any]:
    """A task with its figures' findings, history, questions and my actions.

    A reviewer opening a submitted task gets the data-quality rules run again for
    its institution and period first (:func:`jieneng.services.quality.quality.check_institution`),
    so the findings shown are those of the figures as they are now."""
    with engine.begin() as conn:
        task = visible_task(conn, user, task_id)
        period = period_of(task)
        waiting = task["state"] in ("submitted", "dept_approved", "region_approved")
        if waiting and not set(roles_of(user, task)) <= {ActorRole.FILER}:
            quality.check_institution(conn, int(task["institution_id"]), period.year,
                                      period.month)
        found = store.findings(conn, int(task["institution_id"]), period.year, period.month)
        history = store.transitions(conn, task_id)
        asked = store.questions(conn, task_id)
        keys = _compared(period.year, period.month)
        records = directory.current_records(
            conn, int(task["institution_id"]),
            [(period.year, m) for m in period.months] + [k for ks in keys.values() for k in ks])
    out = task_dict(task, user)
    out["figures"] = _figures(records, period.year, period.months, keys)
    out["findings"] = [
        {"id": f["id"], "year": f["year"], "month": f["month"], "carrier": f["carrier"],
         "rule": f["rule"], "severity": f["severity"], "state": f["state"],
         "value": f["value"], "expected": f["expected"], "suggested": f["suggested"],
         "explanation": f["explanation"]}
        for f in found
    ]
    out["history"] = [
        {"from_state": h["from_state"], "to_state": h["to_state"], "action": h["action"],
         "actor": h["username"], "actor_role": h["actor_role"], "at": iso(h["at"]),
         "reason": h["reason"]}
        for h in history
    ]
    out["questions"] = [
        {"id": q["id"], "month": q["month"], "carrier": q["carrier"],
         "question": q["question"], "asked_by": q["asked_by_name"],
         "asked_at": iso(q["asked_at"]), "answer": q["answer"],
         "answered_by": q["answered_by_name"], "answered_at": iso(q["answered_at"])}
        for q in asked
    ]
    out["can_ask"] = bool(set(roles_of(user, task)) & {
        ActorRole.ADMIN, ActorRole.OFFICE_REVIEWER, ActorRole.DEPARTMENT_REVIEWER})
    out["can_answer"] = ActorRole.FILER in roles_of(user, task) or user.role == "admin"
    return out


def _compared(year: int, month: int | None) -> dict[str, list[tuple[int, int]]]:
    """The (year, month) keys a task's figures are compared with: ``previous_month``
    (a 月报 only; December of last year for January) and ``last_year`` (the same
    month, or every month of last year for a 年报)."""
    if month is None:
        return {"previous_month": [], "last_year": [(year - 1, m) for m in range(1, 13)]}
    before = (year, month - 1) if month > 1 else (year - 1, 12)
    return {"previous_month": [before], "last_year": [(year - 1, month)]}


def _figures(records: list[dict[str, Any]], year: int, months: tuple[int, ...],
             keys: dict[str, list[tuple[int, int]]]) -> list[dict[str, Any]]:
    """Current figures of the period per carrier (form order): Σ quantity and cost, with
    ``previous_month`` and ``last_year`` (Σ quantity of :func:`_compared`'s months, None
    without a figure) and ``yoy`` (:func:`jieneng.core.indicator_registry.change`)."""
    own = {(year, m) for m in months}
    sums: dict[str, dict[str, Any]] = {}
    beside: dict[tuple[str, str], float] = {}
    for r in records:  # at most 24 months × 12 carriers
        key = (int(r["year"]), int(r["month"]))
        for name, wanted in keys.items():
            if key in wanted:
                beside[(name, r["carrier"])] = (beside.get((name, r["carrier"])) or 0.0) + float(
                    r["quantity"])
        if key not in own:
            continue
        item = sums.setdefault(r["carrier"], {"quantity": 0.0, "cost_yuan": None, "months": 0})
        item["quantity"] += float(r["quantity"])
        if r["cost_yuan"] is not None:
            item["cost_yuan"] = (item["cost_yuan"] or 0.0) + float(r["cost_yuan"])
        item["months"] += 1
    out = []
    for c in CARRIERS:
        if c.code not in sums and not any((n, c.code) in beside for n in keys):
            continue
        item = sums.get(c.code, {"quantity": 0.0, "cost_yuan": None, "months": 0})
        last_year = beside.get(("last_year", c.code))
        out.append({"carrier": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
                    "unit": c.canonical_unit, **item,
                    "previous_month": beside.get(("previous_month", c.code)),
                    "last_year": last_year, "yoy": change(item["quantity"], last_year)})
    return out


def act(
    engine: Engine, user: User, task_id: int, action: Action | str, *,
    version: int | None = None, reason: str | None = None, settings: Settings | None = None,
) -> dict[str, Any]:
    """Perform ``action`` on one task (submit, withdraw, approve, return, dept_…,
    reopen). ``version`` is the version the caller read (optimistic lock): a task
    changed since is a :class:`Conflict`, as is a concurrent change. A return or
    reopen reaches the task's filers in the app (same transaction) and, with
    ``settings``, the region's channels after the commit (:mod:`.notices`)."""
    action = Action(action)
    require(user, Capability.SUBMIT if action in FILER_ACTIONS else Capability.REVIEW)
    reason = reason[:2000] if reason else None
    with engine.begin() as conn:
        task = visible_task(conn, user, task_id)
        read = int(task["version"])
        if version is not None and version != read:
            raise stale(task_id)
        role = role_for(user, task, action)
        state = TaskState(task["state"])
        move = apply(
            state, action, role, review_config(task), actor_user_id=user.id, at=now(),
            reason=reason, has_blocking_findings=int(task["errors"]) > 0,
            unexplained_warnings=int(task["warnings"]),
        )
        if not store.move_task(conn, task_id, read_version=read, to_state=move.to_state.value,
                               at=move.at):
            raise stale(task_id)
        store.insert_transitions(conn, [transition_row(task_id, move.from_state.value,
                                                 move.to_state.value, action, user, role,
                                                 move.at, move.reason)])
        audit.record(conn, user.actor, f"reporting.{action.value}", "reporting_task", task_id,
                     before={"state": state.value, "version": read},
                     after={"state": move.to_state.value, "version": read + 1,
                            "reason": move.reason})
        sent = notices.announce_moves(conn, [task_id], action.value, reason=move.reason,
                                      actor=user, at=move.at)
    if settings is not None:
        notices.deliver(engine, settings, sent)
    return {"id": task_id, "from_state": state.value, "state": move.to_state.value,
            "version": read + 1}
