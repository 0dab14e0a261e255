"""What a project's M&V reads: its owners' NY201 months, their profiles, and the day
roll-ups of the boundary's meters (set-based queries; no table of its own).

- :func:`owners` — the project's owner institutions;
- :func:`statistics_months` — per (year, month) of a range: Σ quantity and Σ cost of
  one carrier over the owners, and how many owners have a figure (a month counts only
  when every owner has one — a packaged project is not compared on half its units);
- :func:`profile_sums` — per year: Σ 用能人数 and Σ 建筑面积 of the owners;
- :func:`boundary_meters` — the physical meters of a carrier in the boundary: the
  meters bound directly and the top-level meters of the bound accounts;
- :func:`meter_days` — per China-time day: Σ energy of those meters' day roll-ups and
  how many meters have the day (present ≥ half of expected: CalTRACK 2.0 §2.2.2.1,
  scaled up by expected ÷ present).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Column, Connection, Integer, Select, and_, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from . import tables as t
from .bulk import in_values, read_frame, temp_table
from .meter_readings import metering_rollup
from .metering import metering_meter
from .projects import project_boundary, project_owner

_ids = temp_table("_jn_project_input_ids", Column("id", Integer, primary_key=True))
#: seconds east of UTC of China time (the metering day grid, core.metering.series)
CHINA_OFFSET_S = 8 * 3600
DAY_S = 86_400


def owners(conn: Connection, project_id: int) -> list[int]:
    o = project_owner
    return [int(r) for r in conn.execute(select(o.c.institution_id).where(
        o.c.project_id == project_id).order_by(o.c.position)).scalars()]


def statistics_months(conn: Connection, institution_ids: Sequence[int], carrier: str,
                      first: date, last: date) -> pl.DataFrame:
    """``year, month, quantity, cost, reported`` for the months of [first, last] that
    have any figure (months without one are absent)."""
    cm = t.consumption_month
    q = cm.c[t.quantity_column(carrier)]
    c = cm.c[f"c_{carrier}"]
    key = cm.c.year * 12 + cm.c.month
    query: Select[Any] = (
        select(cm.c.year, cm.c.month, func.sum(q), func.sum(c), func.count(q))
        .where(in_values(conn, cm.c.institution_id, list(institution_ids), _ids),
               key >= first.year * 12 + first.month, key <= last.year * 12 + last.month,
               q.is_not(None))
        .group_by(cm.c.year, cm.c.month).order_by(cm.c.year, cm.c.month))
    return read_frame(conn, query, {"year": pl.Int64, "month": pl.Int64,
                                    "quantity": pl.Float64, "cost": pl.Float64,
                                    "reported": pl.Int64})


def profile_sums(conn: Connection, institution_ids: Sequence[int], years: Sequence[int]
                 ) -> dict[int, tuple[float | None, float | None]]:
    """year → (Σ 用能人数, Σ 建筑面积) of the owners (None when no owner has it)."""
    p = t.institution_profile
    rows = conn.execute(select(p.c.year, func.sum(p.c.occupants), func.sum(p.c.floor_area_m2))
                        .where(in_values(conn, p.c.institution_id, list(institution_ids), _ids),
                               p.c.year.in_(sorted(set(years))))
                        .group_by(p.c.year))
    return {int(y): (None if n is None else float(n), None if a is None else float(a))
            for y, n, a in rows}


def boundary_meters(conn: Connection, project_id: int, carrier: str) -> list[int]:
    b, m = project_boundary, metering_meter
    bound = select(b.c.meter_id, b.c.account_id).where(b.c.project_id == project_id)
    meter_ids = [r.meter_id for r in conn.execute(bound) if r.meter_id is not None]
    account_ids = [r.account_id for r in conn.execute(bound) if r.account_id is not None]
    physical = and_(m.c.formula.is_(None), m.c.carrier == carrier)
    conditions: list[ColumnElement[bool]] = [m.c.id.in_(meter_ids)] if meter_ids else []
    if account_ids:
        conditions.append(and_(m.c.account_id.in_(account_ids), m.c.parent_id.is_(None)))
    if not conditions:
        return []
    return [int(i) for i in conn.execute(select(m.c.id).where(physical, or_(*conditions))
                                         .order_by(m.c.id)).scalars()]


def meter_days(conn: Connection, meter_ids: Sequence[int], first: date, last: date
               ) -> pl.DataFrame:
    """``day`` (days since 1970-01-01, China time), ``energy`` (Σ, each meter's day
    scaled by expected ÷ present) and ``meters`` (how many meters have the day with
    at least half its intervals) for the days of [first, last]."""
    u = metering_rollup
    low = (first - date(1970, 1, 1)).days * DAY_S - CHINA_OFFSET_S
    high = ((last - date(1970, 1, 1)).days + 1) * DAY_S - CHINA_OFFSET_S
    covered = and_(u.c.energy.is_not(None), u.c.present * 2 >= u.c.expected, u.c.present > 0)
    scaled = case((covered, u.c.energy * u.c.expected / u.c.present), else_=None)
    day = (u.c.start + CHINA_OFFSET_S) // DAY_S
    query: Select[Any] = (
        select(day.label("day"), func.sum(scaled), func.count(scaled))
        .where(in_values(conn, u.c.meter_id, list(meter_ids), _ids), u.c.level == "day",
               u.c.start >= low, u.c.start < high)
        .group_by(u.c.start).order_by(u.c.start))
    return read_frame(conn, query, {"day": pl.Int64, "energy": pl.Float64,
                                    "meters": pl.Int64})
