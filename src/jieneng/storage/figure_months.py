"""The last month with a figure in a year, for a selection — what
:func:`jieneng.services.statistics.indicators.year_to_date` reads from the monthly
trend (1–N月累计同比), in one ``MAX`` instead of the twelve months' sums.

A month is present in :func:`jieneng.storage.dashboard.monthly_sums` exactly when a
row of the source it reads exists for it (a group roll-up row exists only where an
institution has a figure), so the answer is the largest month of those rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import group_conditions, institution_conditions


def last_month(
    conn: Connection, filters: Filters, *, year: int,
    categories: Sequence[str] | None = None,
) -> int | None:
    """The largest month of ``year`` in which an institution of the filters has a
    figure (the last month of :func:`jieneng.storage.dashboard.monthly_sums` for that
    year), or None. One query, on the group roll-up for region-level filters."""
    if not filters.below_region:
        g = t.consumption_group_month
        stmt = select(func.max(g.c.month)).where(
            g.c.year == year, *group_conditions(conn, g, filters, categories=categories))
    else:
        cm, i = t.consumption_month, t.institution
        stmt = (select(func.max(cm.c.month))
                .select_from(cm.join(i, i.c.id == cm.c.institution_id))
                .where(cm.c.year == year,
                       *institution_conditions(conn, filters, categories=categories)))
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)
