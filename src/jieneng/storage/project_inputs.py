"""What a project's M&V reads: its owners' NY201 months, their profiles, and the day
roll-ups of the boundary's meters (set-based queries; no table of its own).

- :func:`owners` — the project's owner institutions;
- :func:`statistics_months` — per (year, month) of a range: Σ quantity and Σ cost of
  one carrier over the owners, and how many owners have a figure (a month counts only
  when every owner has one — a packaged project is not compared on half its units);
- :func:`profile_sums` — per year: Σ 用能人数 and Σ 建筑面积 of the owners;
- :func:`boundary_meters` — the physical meters of a carrier in the boundary: the
  meters bound directly and the top-level meters of the bound accounts;
  :func:`boundary_cutoffs` the day each removed one stops counting;
  :func:`member_meters` the meters of given boundary lines;
- :func:`meter_days` — per China-time day: Σ energy of those meters' day roll-ups and
  how many meters have the day (present ≥ half of expected: CalTRACK 2.0 §2.2.2.1,
  scaled up by expected ÷ present).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
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
    """The physical meters of ``carrier`` in the boundary (removed ones included: see
    :func:`boundary_cutoffs` for the day each stops counting)."""
    return sorted(boundary_cutoffs(conn, project_id, carrier))


def boundary_cutoffs(conn: Connection, project_id: int, carrier: str
                     ) -> dict[int, date | None]:
    """meter id → the first day it no longer counts (its boundary line's
    ``removed_on``; None: still in the boundary) for the physical meters of ``carrier``
    in the boundary: the meters bound directly and the top-level meters of the bound
    accounts. A meter in two lines counts until the later one's removal."""
    b = project_boundary
    lines = list(conn.execute(select(b.c.meter_id, b.c.account_id, b.c.removed_on)
                              .where(b.c.project_id == project_id)))
    out: dict[int, date | None] = {}
    for meter_id, removed_on in member_meters(conn, lines, carrier):
        if meter_id not in out:
            out[meter_id] = removed_on
        else:
            earlier = out[meter_id]
            out[meter_id] = (None if earlier is None or removed_on is None
                             else max(earlier, removed_on))
    return out


def member_meters(conn: Connection, lines: Sequence[Any], carrier: str | None = None
                  ) -> list[tuple[int, date | None]]:
    """(meter id, the line's ``removed_on``) of boundary ``lines`` (rows with
    ``meter_id``, ``account_id``, ``removed_on``): each line's meter, or its account's
    top-level meters; physical meters only, of ``carrier`` when given."""
    m = metering_meter
    by_meter = {int(r.meter_id): r.removed_on for r in lines if r.meter_id is not None}
    by_account = {int(r.account_id): r.removed_on for r in lines if r.account_id is not None}
    conditions: list[ColumnElement[bool]] = [m.c.id.in_(list(by_meter))] if by_meter else []
    if by_account:
        conditions.append(and_(m.c.account_id.in_(list(by_account)), m.c.parent_id.is_(None)))
    if not conditions:
        return []
    physical: list[ColumnElement[bool]] = [m.c.formula.is_(None)]
    if carrier is not None:
        physical.append(m.c.carrier == carrier)
    out: list[tuple[int, date | None]] = []
    for meter_id, account_id in conn.execute(select(m.c.id, m.c.account_id).where(
            *physical, or_(*conditions)).order_by(m.c.id)):
        if int(meter_id) in by_meter:
            out.append((int(meter_id), by_meter[int(meter_id)]))
        if account_id is not None and int(account_id) in by_account:
            out.append((int(meter_id), by_account[int(account_id)]))
    return out


def _epoch(day: date) -> int:
    """The first second of ``day`` in China time [s since 1970-01-01 UTC]."""
    return (day - date(1970, 1, 1)).days * DAY_S - CHINA_OFFSET_S


def meter_days(conn: Connection, meter_ids: Sequence[int], first: date, last: date,
               until: Mapping[int, date | None] | None = None) -> pl.DataFrame:
    """``day`` (days since 1970-01-01, China time), ``energy`` (Σ, each meter's day
    scaled by expected ÷ present) and ``meters`` (how many meters have the day with
    at least half its intervals) for the days of [first, last]; a meter with a day in
    ``until`` (removed from the boundary) counts only for the days before it."""
    u = metering_rollup
    low = _epoch(first)
    high = _epoch(last + timedelta(days=1))
    cut = {i: d for i, d in (until or {}).items() if d is not None and i in set(meter_ids)}
    kept: list[ColumnElement[bool]] = []
    if cut:
        kept = [or_(u.c.meter_id.not_in(list(cut)),
                    *[and_(u.c.meter_id == i, u.c.start < _epoch(d)) for i, d in cut.items()])]
    covered = and_(u.c.energy.is_not(None), u.c.present * 2 >= u.c.expected, u.c.present > 0)
    scaled = case((covered, u.c.energy * u.c.expected / u.c.present), else_=None)
    day = (u.c.start + CHINA_OFFSET_S) // DAY_S
    query: Select[Any] = (
        select(day.label("day"), func.sum(scaled), func.count(scaled))
        .where(in_values(conn, u.c.meter_id, list(meter_ids), _ids), u.c.level == "day",
               u.c.start >= low, u.c.start < high, *kept)
        .group_by(u.c.start).order_by(u.c.start))
    return read_frame(conn, query, {"day": pl.Int64, "energy": pl.Float64,
                                    "meters": pl.Int64})
