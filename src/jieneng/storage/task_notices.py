"""SQL of the notices around a task: who must act on it, the last return, open questions.

- :func:`filers` — the unlocked 公共机构 accounts of institutions (those a return, a
  question or a reminder reaches in the app);
- :func:`covering_tasks` — the tasks of an institution whose period covers a month
  (its 月报 and the year's 年报);
- :func:`last_moves` — the latest return (or reopen) of each task, with its reason;
- :func:`open_questions` — the unanswered questions of tasks (optionally one month);
- :func:`overdue_tasks` — the tasks of a period still owed, for 催报 from the web.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, or_, select

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import institution_conditions

#: task states that still owe a report (the reminders' states)
OWED_STATES: tuple[str, ...] = ("not_started", "in_progress", "returned")


def filers(conn: Connection, institution_ids: Iterable[int]) -> dict[int, list[int]]:
    """institution id → ids of its unlocked institution-role accounts."""
    u = t.app_user
    ids = sorted(set(institution_ids))
    out: dict[int, list[int]] = {}
    for start in range(0, len(ids), 1000):
        rows = conn.execute(
            select(u.c.institution_id, u.c.id)
            .where(u.c.role == "institution", u.c.institution_id.in_(ids[start:start + 1000]),
                   u.c.is_locked.is_(False))
            .order_by(u.c.id))
        for iid, uid in rows:
            out.setdefault(int(iid), []).append(int(uid))
    return out


def active_users(conn: Connection, user_ids: Iterable[int]) -> list[int]:
    """Those of ``user_ids`` that are existing, unlocked accounts."""
    u = t.app_user
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = conn.execute(select(u.c.id).where(u.c.id.in_(ids), u.c.is_locked.is_(False)))
    return sorted(int(r[0]) for r in rows)


def task_brief(conn: Connection, task_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Tasks with their period and institution: ``id, state, period_id, institution_id,
    credit_code, name, region_code, kind, year, month, deadline``."""
    task, period, inst = t.reporting_task, t.reporting_period, t.institution
    ids = sorted(set(task_ids))
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), 1000):
        stmt = (
            select(task.c.id, task.c.state, task.c.period_id, task.c.institution_id,
                   inst.c.credit_code, inst.c.name, inst.c.region_code, period.c.kind,
                   period.c.year, period.c.month, period.c.deadline)
            .select_from(task.join(period, period.c.id == task.c.period_id)
                         .join(inst, inst.c.id == task.c.institution_id))
            .where(task.c.id.in_(ids[start:start + 1000]))
            .order_by(task.c.id))
        out.extend(dict(r) for r in conn.execute(stmt).mappings())
    return out


def covering_tasks(conn: Connection, institution_id: int, year: int, month: int
                   ) -> list[dict[str, Any]]:
    """The institution's tasks whose period is the month (月报) or its year (年报)."""
    task, period = t.reporting_task, t.reporting_period
    stmt = (
        select(task.c.id, task.c.state, period.c.kind, period.c.year, period.c.month,
               period.c.deadline)
        .select_from(task.join(period, period.c.id == task.c.period_id))
        .where(task.c.institution_id == institution_id, period.c.year == year,
               or_(period.c.month == month, period.c.month == 0))
        .order_by(period.c.month.desc(), task.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def last_moves(conn: Connection, task_ids: Sequence[int], actions: Sequence[str]
               ) -> dict[int, dict[str, Any]]:
    """task id → its latest move among ``actions`` (``action, reason, at, username``)."""
    if not task_ids:
        return {}
    tr, u = t.task_transition, t.app_user
    latest = (select(func.max(tr.c.id).label("id"))
              .where(tr.c.task_id.in_(list(task_ids)), tr.c.action.in_(list(actions)))
              .group_by(tr.c.task_id).subquery())
    stmt = (select(tr.c.task_id, tr.c.action, tr.c.reason, tr.c.at, u.c.username,
                   u.c.display_name)
            .select_from(tr.join(latest, latest.c.id == tr.c.id)
                         .outerjoin(u, u.c.id == tr.c.actor_user_id)))
    return {int(r["task_id"]): dict(r) for r in conn.execute(stmt).mappings()}


def open_questions(conn: Connection, task_ids: Sequence[int], *, month: int | None = None
                   ) -> list[dict[str, Any]]:
    """The unanswered questions of the tasks (of ``month`` only when given), oldest first."""
    if not task_ids:
        return []
    q, u = t.figure_question, t.app_user
    stmt = (select(q.c.id, q.c.task_id, q.c.month, q.c.carrier, q.c.question, q.c.asked_at,
                   u.c.display_name.label("asked_by"))
            .select_from(q.outerjoin(u, u.c.id == q.c.asked_by))
            .where(q.c.task_id.in_(list(task_ids)), q.c.answer.is_(None))
            .order_by(q.c.asked_at, q.c.id).limit(100))
    if month is not None:
        stmt = stmt.where(q.c.month == month)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def owed_tasks(conn: Connection, filters: Filters, *, period_id: int,
               before: date | None = None) -> list[int]:
    """Ids of the period's tasks in scope still owed (with ``before``: only when the
    period's deadline lies before that day — the overdue ones)."""
    task, period, inst = t.reporting_task, t.reporting_period, t.institution
    stmt = (select(task.c.id)
            .select_from(task.join(period, period.c.id == task.c.period_id)
                         .join(inst, inst.c.id == task.c.institution_id))
            .where(task.c.period_id == period_id, task.c.state.in_(OWED_STATES),
                   *institution_conditions(conn, filters))
            .order_by(task.c.id))
    if before is not None:
        stmt = stmt.where(period.c.deadline < before)
    return [int(r[0]) for r in conn.execute(stmt)]


__all__ = ["OWED_STATES", "active_users", "covering_tasks", "filers", "last_moves",
           "open_questions", "owed_tasks", "task_brief"]
