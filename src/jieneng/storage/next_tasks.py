"""SQL of "which report does a filer open first": per institution, its oldest open
task — returned first, then overdue, then due (earliest deadline first within each) —
or, with nothing open, its latest task; one ranked statement for a page of units."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Integer, case, cast, func, select

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import institution_conditions
from .task_notices import OWED_STATES

#: why a task comes first (the order of :func:`first_tasks`)
RETURNED, OVERDUE, DUE, LATEST = "returned", "overdue", "due", "latest"


def first_tasks(conn: Connection, institution_ids: Iterable[int], today: date
                ) -> dict[int, dict[str, Any]]:
    """institution id → its first task (``task_id, state, kind, year, month, deadline,
    why``), ``why`` one of ``returned``, ``overdue``, ``due`` or — nothing open —
    ``latest`` (its newest task). Institutions without tasks are absent."""
    ids = sorted(set(institution_ids))
    if not ids:
        return {}
    task, period = t.reporting_task, t.reporting_period
    is_open = task.c.state.in_(OWED_STATES)
    why = case((~is_open, LATEST), (task.c.state == "returned", RETURNED),
               (period.c.deadline < today, OVERDUE), else_=DUE)
    rank = case((~is_open, 3), (task.c.state == "returned", 0),
                (period.c.deadline < today, 1), else_=2)
    # open ones: the oldest deadline first; nothing open: the newest period first
    age = case((is_open, period.c.deadline), else_=None)
    # year·100 + month as an integer: the columns are SMALLINT on PostgreSQL (202512 overflows)
    recent = case((is_open, 0), else_=cast(period.c.year, Integer) * 100 + period.c.month)
    ordered = (select(task.c.id, task.c.institution_id, task.c.state, period.c.kind,
                      period.c.year, period.c.month, period.c.deadline, why.label("why"),
                      func.row_number().over(
                          partition_by=task.c.institution_id,
                          order_by=(rank, age, recent.desc(), period.c.id.desc())).label("rn"))
               .select_from(task.join(period, period.c.id == task.c.period_id))
               .where(task.c.institution_id.in_(ids)).subquery())
    rows = conn.execute(select(ordered).where(ordered.c.rn == 1))
    return {int(r.institution_id): {"task_id": int(r.id), "state": r.state, "kind": r.kind,
                                    "year": int(r.year), "month": int(r.month),
                                    "deadline": r.deadline, "why": r.why}
            for r in rows}


def open_tasks(conn: Connection, filters: Filters, today: date, *, limit: int = 5000
               ) -> list[dict[str, Any]]:
    """The open tasks in scope, in the order a filer meets them (returned, overdue,
    due; the earliest deadline first): ``task_id, institution_id, credit_code, name,
    state, kind, year, month, deadline, why`` (the first ``limit``)."""
    task, period, inst = t.reporting_task, t.reporting_period, t.institution
    rank = case((task.c.state == "returned", 0), (period.c.deadline < today, 1), else_=2)
    why = case((task.c.state == "returned", RETURNED), (period.c.deadline < today, OVERDUE),
               else_=DUE)
    stmt = (select(task.c.id, task.c.institution_id, inst.c.credit_code, inst.c.name,
                   task.c.state, period.c.kind, period.c.year, period.c.month,
                   period.c.deadline, why.label("why"))
            .select_from(task.join(period, period.c.id == task.c.period_id)
                         .join(inst, inst.c.id == task.c.institution_id))
            .where(task.c.state.in_(OWED_STATES), *institution_conditions(conn, filters))
            .order_by(rank, period.c.deadline, task.c.id).limit(limit))
    return [{"task_id": int(r.id), "institution_id": int(r.institution_id),
             "credit_code": r.credit_code, "name": r.name, "state": r.state, "kind": r.kind,
             "year": int(r.year), "month": int(r.month), "deadline": r.deadline, "why": r.why}
            for r in conn.execute(stmt)]


__all__ = ["DUE", "LATEST", "OVERDUE", "RETURNED", "first_tasks", "open_tasks"]
