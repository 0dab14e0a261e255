"""The reads of the workbench (工作台) that no list page makes: the open questions of
a scope, the overdue tasks per period and the reasons of returned tasks.

Scope arrives as one :class:`jieneng.core.scope.Filters`, applied by
:mod:`jieneng.storage.scoping` like every other scoped read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import institution_conditions

#: the task states in which a report is still to be filled in (not yet 上报)
UNSUBMITTED = ("not_started", "in_progress", "returned")


def open_questions(conn: Connection, filters: Filters, *, limit: int = 10
                   ) -> tuple[list[dict[str, Any]], int]:
    """The unanswered reviewer questions on the tasks in ``filters``, oldest first
    (``id, task_id, month, carrier, question, asked_at``, the period's ``kind, year,
    month`` as ``period_month``, the institution's ``credit_code, name``), and their total."""
    q, task, p, i = t.figure_question, t.reporting_task, t.reporting_period, t.institution
    joined = (q.join(task, task.c.id == q.c.task_id)
              .join(p, p.c.id == task.c.period_id)
              .join(i, i.c.id == task.c.institution_id))
    where = [q.c.answer.is_(None), *institution_conditions(conn, filters)]
    total = int(conn.execute(select(func.count()).select_from(joined).where(*where))
                .scalar_one())
    stmt = (select(q.c.id, q.c.task_id, q.c.month, q.c.carrier, q.c.question, q.c.asked_at,
                   p.c.kind, p.c.year, p.c.month.label("period_month"), i.c.credit_code,
                   i.c.name)
            .select_from(joined).where(*where).order_by(q.c.asked_at, q.c.id).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()], total


def overdue_by_period(conn: Connection, filters: Filters, *, today: date, limit: int = 6
                      ) -> list[dict[str, Any]]:
    """Per period whose deadline has passed: how many tasks in ``filters`` are still not
    submitted (``id, kind, year, month, deadline, overdue``), the latest periods first."""
    task, p, i = t.reporting_task, t.reporting_period, t.institution
    stmt = (select(p.c.id, p.c.kind, p.c.year, p.c.month, p.c.deadline,
                   func.count().label("overdue"))
            .select_from(task.join(p, p.c.id == task.c.period_id)
                         .join(i, i.c.id == task.c.institution_id))
            .where(task.c.state.in_(UNSUBMITTED), p.c.deadline < today,
                   *institution_conditions(conn, filters))
            .group_by(p.c.id, p.c.kind, p.c.year, p.c.month, p.c.deadline)
            .order_by(p.c.deadline.desc(), p.c.id.desc()).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def overdue_institutions(conn: Connection, filters: Filters, *, today: date) -> int:
    """How many institutions in ``filters`` have at least one task past its deadline
    and not yet submitted."""
    task, p, i = t.reporting_task, t.reporting_period, t.institution
    stmt = (select(func.count(func.distinct(task.c.institution_id)))
            .select_from(task.join(p, p.c.id == task.c.period_id)
                         .join(i, i.c.id == task.c.institution_id))
            .where(task.c.state.in_(UNSUBMITTED), p.c.deadline < today,
                   *institution_conditions(conn, filters)))
    return int(conn.execute(stmt).scalar_one())


def return_reasons(conn: Connection, task_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The latest 退回 of each task (``reason, at, username``), for tasks the caller has
    already read through a scoped query."""
    if not task_ids:
        return {}
    tr, u = t.task_transition, t.app_user
    stmt = (select(tr.c.task_id, tr.c.reason, tr.c.at, u.c.username)
            .select_from(tr.outerjoin(u, u.c.id == tr.c.actor_user_id))
            .where(tr.c.task_id.in_(sorted(set(task_ids))), tr.c.to_state == "returned")
            .order_by(tr.c.task_id, tr.c.at, tr.c.id))
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(stmt).mappings():
        out[int(row["task_id"])] = dict(row)  # later rows win: the latest return
    return out
