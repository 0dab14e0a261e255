"""The tasks behind a yearly 上报率 and 审核率: the report tasks (月报 and 年报) of a
year's periods, counted per region of the institution, under the one rule of which
tasks count (:func:`jieneng.storage.reporting.period_due`: ended and past the
deadline on the day asked). One GROUP BY on ``reporting_task``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, case, func, select

from jieneng.core.scope import Filters

from . import tables as t
from .reporting import period_due
from .scoping import institution_conditions
from .summaries import REPORTED_STATES


def year_task_counts(conn: Connection, filters: Filters, *, year: int, as_of: date
                     ) -> list[dict[str, Any]]:
    """Per region code of the institutions inside ``filters``: ``expected`` (the tasks
    of ``year`` due on ``as_of``), of those ``reported`` and ``approved``, and
    ``not_due`` (the year's other tasks, counted in no rate)."""
    p, k, i = t.reporting_period, t.reporting_task, t.institution
    due = period_due(as_of, p)

    def among_due(condition: Any) -> Any:
        return func.sum(case((due & condition, 1), else_=0))

    query = (
        select(i.c.region_code, among_due(k.c.id.is_not(None)).label("expected"),
               among_due(k.c.state.in_(REPORTED_STATES)).label("reported"),
               among_due(k.c.state == "approved").label("approved"),
               func.sum(case((due, 0), else_=1)).label("not_due"))
        .select_from(k.join(p, p.c.id == k.c.period_id).join(i, i.c.id == k.c.institution_id))
        .where(p.c.year == year, *institution_conditions(conn, filters))
        .group_by(i.c.region_code)
    )
    return [{"region_code": str(r.region_code), "expected": int(r.expected or 0),
             "reported": int(r.reported or 0), "approved": int(r.approved or 0),
             "not_due": int(r.not_due or 0)} for r in conn.execute(query)]
