"""The reporting tasks of one institution's figures: which tasks cover a year (the
year grid of 数据填报 shows their states and locks) and which institution-months of a
period already hold figures (stored before the period opened).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, or_, select

from . import tables as t


def figure_keys(conn: Connection, period_id: int) -> pl.DataFrame:
    """``(institution_id, year, month)`` with figures (``consumption_month``) that the
    period's ``not_started`` tasks cover: figures stored before the period opened."""
    task, p, cm = t.reporting_task, t.reporting_period, t.consumption_month
    stmt = (
        select(cm.c.institution_id, cm.c.year, cm.c.month)
        .select_from(task.join(p, p.c.id == task.c.period_id).join(cm, and_(
            cm.c.institution_id == task.c.institution_id, cm.c.year == p.c.year,
            or_(p.c.kind == "annual", cm.c.month == p.c.month))))
        .where(task.c.period_id == period_id, task.c.state == "not_started")
    )
    rows = [tuple(r) for r in conn.execute(stmt)]
    return pl.DataFrame(rows, schema={"institution_id": pl.Int64, "year": pl.Int32,
                                      "month": pl.Int32}, orient="row")


def institution_tasks(conn: Connection, institution_id: int, year: int
                      ) -> list[dict[str, Any]]:
    """The tasks of an institution in the periods of ``year`` (月报 and 年报): ``id,
    state, version, kind, month`` (0 for the 年报), ``department_step``, ``deadline``."""
    task, p = t.reporting_task, t.reporting_period
    stmt = (
        select(task.c.id, task.c.state, task.c.version, p.c.kind, p.c.month,
               p.c.department_step, p.c.deadline)
        .select_from(task.join(p, p.c.id == task.c.period_id))
        .where(task.c.institution_id == institution_id, p.c.year == year)
        .order_by(p.c.month, task.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
