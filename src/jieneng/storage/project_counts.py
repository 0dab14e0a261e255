"""What the notices count about energy-saving projects, aggregated in SQL (issue 13 §1):
per (region, type, subtype, state) the number of projects and the sums of area
retrofitted, PV capacity, heat pumps, investment and expected savings — for the
regions' work plans (:mod:`jieneng.services.projects.counts`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select

from jieneng.core.scope import Filters

from .projects import project, visible_condition

SUMS: tuple[str, ...] = ("area_m2", "pv_kwp", "heat_pumps", "heat_pump_kw", "investment_yuan",
                         "expected_tce", "expected_yuan")


def grouped(conn: Connection, filters: Filters, *, year: int | None = None
            ) -> list[Row[Any]]:
    """One row per (region_code, type, subtype, state) of the projects inside
    ``filters`` (of ``year`` when given): ``projects`` and one sum per :data:`SUMS`
    column (NULL figures count as 0)."""
    p = project
    keys = (p.c.region_code, p.c.type, p.c.subtype, p.c.state)
    query = select(*keys, func.count().label("projects"),
                   *(func.coalesce(func.sum(p.c[c]), 0).label(c) for c in SUMS)
                   ).group_by(*keys).order_by(*keys)
    cond = visible_condition(conn, filters)
    if cond is not None:
        query = query.where(cond)
    if year is not None:
        query = query.where(p.c.year == year)
    return list(conn.execute(query))
