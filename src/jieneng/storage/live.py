"""Reads behind live monitoring (:mod:`jieneng.services.metering.monitoring`): the
meters of the institutions in a scope, and set-based sums over their hour / day
roll-ups (``metering_rollup``) and the last interval received (``metering_interval``).

Every read takes the caller's whole :class:`~jieneng.core.scope.Filters` (the meters
are joined to ``institution`` under :func:`jieneng.storage.scoping.institution_conditions`)
and answers with one query; nothing loops over meters or intervals in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, case, func, literal, or_, select, union_all

from jieneng.core.scope import Filters

from . import tables as t
from .bulk import read_frame
from .meter_readings import metering_interval, metering_rollup
from .metering import metering_meter
from .scoping import institution_conditions

_m, _u, _x = metering_meter, metering_rollup, metering_interval

METER_SCHEMA: dict[str, Any] = {
    "meter_id": pl.Int64, "institution_id": pl.Int64, "credit_code": pl.String,
    "institution_name": pl.String, "region_code": pl.String, "number": pl.String,
    "name": pl.String, "carrier": pl.String, "item_code": pl.String,
    "parent_id": pl.Int64, "virtual": pl.Boolean, "interval_s": pl.Int64,
}


def _meter_ids(conn: Connection, filters: Filters) -> Select[Any]:
    """The active meters of the institutions inside ``filters`` (a sub-select)."""
    i = t.institution
    return (select(_m.c.id).join(i, i.c.id == _m.c.institution_id)
            .where(_m.c.status == "active", *institution_conditions(conn, filters)))


def meters(conn: Connection, filters: Filters) -> pl.DataFrame:
    """The active meters of the institutions inside ``filters`` with their institution
    (``METER_SCHEMA``), by institution and number."""
    i = t.institution
    query = (select(_m.c.id, _m.c.institution_id, i.c.credit_code,
                    i.c.name.label("institution_name"), i.c.region_code, _m.c.number,
                    _m.c.name, _m.c.carrier, _m.c.item_code, _m.c.parent_id,
                    _m.c.formula.is_not(None).label("virtual"), _m.c.interval_s)
             .join(i, i.c.id == _m.c.institution_id)
             .where(_m.c.status == "active", *institution_conditions(conn, filters))
             .order_by(i.c.credit_code, _m.c.number))
    return pl.DataFrame([tuple(r) for r in conn.execute(query)], schema=METER_SCHEMA,
                        orient="row")


def _top_electricity(conn: Connection, filters: Filters) -> Select[Any]:
    """The top-level physical electricity meters inside ``filters`` (a sub-select)."""
    return _meter_ids(conn, filters).where(
        _m.c.parent_id.is_(None), _m.c.formula.is_(None), _m.c.carrier == "electricity")


def hourly_total(conn: Connection, filters: Filters, windows: Sequence[tuple[int, int]]
                 ) -> pl.DataFrame:
    """Σ energy, present and expected per hour over the top-level electricity meters
    inside ``filters``, for the hours of ``windows`` ([from, to) epoch s):
    ``start, energy, present, expected``, one row per hour with any roll-up. Each window
    is its own range of the key (``UNION ALL``): an ``OR`` of ranges would make SQLite
    read every hour of the meters."""
    meters = _top_electricity(conn, filters)
    parts = [select(_u.c.start, _u.c.energy, _u.c.present, _u.c.expected)
             .where(_u.c.meter_id.in_(meters), _u.c.level == "hour", _u.c.start >= lo,
                    _u.c.start < hi) for lo, hi in windows]
    rows = union_all(*parts).subquery("hours")
    query = (select(rows.c.start, func.sum(rows.c.energy), func.sum(rows.c.present),
                    func.sum(rows.c.expected))
             .group_by(rows.c.start).order_by(rows.c.start))
    return read_frame(conn, query, {"start": pl.Int64, "energy": pl.Float64,
                                    "present": pl.Int64, "expected": pl.Int64})


def daily_total(conn: Connection, filters: Filters, low: int, high: int) -> pl.DataFrame:
    """Σ energy, present and expected per day ([``low``, ``high``)) over the top-level
    electricity meters inside ``filters``: ``start, energy, present, expected``."""
    query = (select(_u.c.start, func.sum(_u.c.energy), func.sum(_u.c.present),
                    func.sum(_u.c.expected))
             .where(_u.c.level == "day", _u.c.start >= low, _u.c.start < high,
                    _u.c.meter_id.in_(_top_electricity(conn, filters)))
             .group_by(_u.c.start).order_by(_u.c.start))
    return read_frame(conn, query, {"start": pl.Int64, "energy": pl.Float64,
                                    "present": pl.Int64, "expected": pl.Int64})


def daily_by_meter(conn: Connection, filters: Filters, low: int, high: int) -> pl.DataFrame:
    """The day roll-ups ([``low``, ``high``)) of every meter inside ``filters``:
    ``meter_id, start, energy``."""
    query = (select(_u.c.meter_id, _u.c.start, _u.c.energy)
             .where(_u.c.level == "day", _u.c.start >= low, _u.c.start < high,
                    _u.c.meter_id.in_(_meter_ids(conn, filters))))
    return read_frame(conn, query, {"meter_id": pl.Int64, "start": pl.Int64,
                                    "energy": pl.Float64})


def window_sums(conn: Connection, filters: Filters, *, today: int, now: int,
                windows: dict[str, int]) -> pl.DataFrame:
    """Per meter inside ``filters``: energy and intervals present today (hour roll-ups
    of [``today``, ``now``)) and, for each named window starting at a day
    ``windows[name]`` (≤ ``today``), the same over its whole days before today plus
    today's hours — ``meter_id, energy_<name>, present_<name>`` (``today`` included).
    Today's hours and the days are two ranges of the key (``UNION ALL``)."""
    meters = _meter_ids(conn, filters)
    low = min(windows.values(), default=today)
    rows = union_all(
        select(_u.c.meter_id, _u.c.level, _u.c.start, _u.c.energy, _u.c.present)
        .where(_u.c.meter_id.in_(meters), _u.c.level == "hour", _u.c.start >= today,
               _u.c.start < now),
        select(_u.c.meter_id, _u.c.level, _u.c.start, _u.c.energy, _u.c.present)
        .where(_u.c.meter_id.in_(meters), _u.c.level == "day", _u.c.start >= low,
               _u.c.start < today)).subquery("sums")
    hour = rows.c.level == "hour"
    cols: list[Any] = [
        func.sum(case((hour, rows.c.energy))).label("energy_today"),
        func.sum(case((hour, rows.c.present), else_=literal(0))).label("present_today")]
    schema: dict[str, Any] = {"meter_id": pl.Int64, "energy_today": pl.Float64,
                              "present_today": pl.Int64}
    for name, start in windows.items():
        inside = or_(hour, rows.c.start >= start)
        cols += [func.sum(case((inside, rows.c.energy))).label(f"energy_{name}"),
                 func.sum(case((inside, rows.c.present), else_=literal(0))).label(
                     f"present_{name}")]
        schema |= {f"energy_{name}": pl.Float64, f"present_{name}": pl.Int64}
    query = select(rows.c.meter_id, *cols).group_by(rows.c.meter_id)
    return read_frame(conn, query, schema)


def last_received(conn: Connection, filters: Filters, *, since: int, day_since: int
                  ) -> pl.DataFrame:
    """Per physical meter inside ``filters``: the end of the last data it sent
    (``last_end``, epoch s) — of its last interval with energy since ``since`` (one
    index probe per meter), else of its last day roll-up with any interval present
    since ``day_since`` (coarser: the meter was silent longer than that; only looked
    up then, ``COALESCE`` evaluates lazily); null when neither."""
    x, u = _x.alias("x"), _u.alias("d")
    last_interval = (select(func.max(x.c.start))
                     .where(x.c.meter_id == _m.c.id, x.c.start >= since,
                            x.c.energy.is_not(None)).scalar_subquery())
    last_day = (select(func.max(u.c.start))
                .where(u.c.meter_id == _m.c.id, u.c.level == "day",
                       u.c.start >= day_since, u.c.present > 0).scalar_subquery())
    i = t.institution
    query = (select(_m.c.id, func.coalesce(last_interval + _m.c.interval_s,
                                           last_day + 86_400))
             .join(i, i.c.id == _m.c.institution_id)
             .where(_m.c.status == "active", _m.c.formula.is_(None),
                    *institution_conditions(conn, filters)))
    return read_frame(conn, query, {"meter_id": pl.Int64, "last_end": pl.Int64})


def institutions(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """``id, credit_code, name, region_code, category`` of the institutions ``ids``."""
    i = t.institution
    if not ids:
        return []
    rows = conn.execute(select(i.c.id, i.c.credit_code, i.c.name, i.c.region_code,
                               i.c.category).where(i.c.id.in_(sorted(set(ids)))))
    return [dict(r._mapping) for r in rows]
