"""PV generation of projects (issue 13 §1 "PV capacity and generation"): the reported
monthly figures (``project_generation``, migration ``0020_project_generation``) and the
set-based reads of every source, per project and month.

Sources of a month's generation, by precedence (``docs/projects.md`` §11, the platform's
convention):

1. ``meter`` — the month roll-ups of the boundary's generation meters: the physical
   meters of carrier ``solar_pv`` (太阳能光电发电量; 分项 class 01000 电 of
   ``data/metering/item_codes.csv``) bound directly or the top-level ones of a bound
   account (a line removed from the boundary: the months beginning before its
   ``removed_on``);
2. ``reported`` — a figure entered for the project (with its stated source);
3. ``ny201`` — the owners' NY201 太阳能光电发电量 of the month (all of the owners' PV).

One query per source, grouped in SQL by (project, month); the precedence is a polars
join — no per-row Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Select,
    String,
    Table,
    and_,
    delete,
    extract,
    func,
    insert,
    or_,
    select,
    tuple_,
)

from . import tables as t
from .bulk import read_frame
from .meter_readings import metering_rollup
from .metering import metering_meter
from .projects import project, project_boundary, project_owner
from .tables import Double, metadata

CARRIER = "solar_pv"
#: seconds east of UTC of China time (the roll-ups' month grid, core.metering.rollups)
CHINA_OFFSET_S = 8 * 3600
SOURCES: tuple[str, ...] = ("meter", "reported", "ny201")

project_generation = Table(
    "project_generation",
    metadata,
    Column("project_id", Integer, ForeignKey("project.id"), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("generation_kwh", Double, nullable=False),
    Column("self_consumed_kwh", Double, nullable=True),
    Column("exported_kwh", Double, nullable=True),
    Column("source", String(200), nullable=False),
    Column("entered_by", String(64), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("generation_kwh >= 0", name="kwh"),
    CheckConstraint("self_consumed_kwh IS NULL OR self_consumed_kwh >= 0", name="self"),
    CheckConstraint("exported_kwh IS NULL OR exported_kwh >= 0", name="exported"),
)

_g = project_generation
SCHEMA: dict[str, Any] = {"project_id": pl.Int64, "region_code": pl.Utf8, "key": pl.Int64,
                          "generation_kwh": pl.Float64, "self_consumed_kwh": pl.Float64,
                          "exported_kwh": pl.Float64, "coverage": pl.Float64,
                          "source": pl.Utf8}


def write_reported(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace the reported months ``rows`` (keys: the table's columns)."""
    if not rows:
        return
    keys = [(int(r["project_id"]), r["month"]) for r in rows]
    conn.execute(delete(_g).where(tuple_(_g.c.project_id, _g.c.month).in_(keys)))
    conn.execute(insert(_g), list(rows))


def _meter_months(conn: Connection, ids: Select[Any], low: int, high: int) -> pl.DataFrame:
    u, m, b, p = metering_rollup, metering_meter, project_boundary, project
    bound = or_(b.c.meter_id == m.c.id,
                and_(b.c.account_id == m.c.account_id, m.c.parent_id.is_(None)))
    removed = list(conn.execute(select(b.c.id, b.c.removed_on).where(
        b.c.project_id.in_(ids), b.c.removed_on.is_not(None))))
    # a removed line counts for the months that begin before its removal day
    counted = or_(b.c.removed_on.is_(None), *[
        and_(b.c.id == r.id, u.c.start < (r.removed_on - date(1970, 1, 1)).days * 86_400
             - CHINA_OFFSET_S) for r in removed])
    query: Select[Any] = (
        select(b.c.project_id, p.c.region_code, u.c.start, func.sum(u.c.energy),
               func.sum(u.c.present), func.sum(u.c.expected))
        .select_from(b).join(p, p.c.id == b.c.project_id).join(m, bound)
        .join(u, u.c.meter_id == m.c.id)
        .where(b.c.project_id.in_(ids), counted, m.c.carrier == CARRIER,
               m.c.formula.is_(None),
               u.c.level == "month", u.c.start >= low, u.c.start < high,
               u.c.energy.is_not(None))
        .group_by(b.c.project_id, p.c.region_code, u.c.start))
    frame = read_frame(conn, query, {"project_id": pl.Int64, "region_code": pl.Utf8,
                                     "start": pl.Int64, "generation_kwh": pl.Float64,
                                     "present": pl.Float64, "expected": pl.Float64})
    months = ((frame["start"].to_numpy() + CHINA_OFFSET_S).astype("datetime64[s]")
              .astype("datetime64[M]").astype(np.int64))  # months since 1970-01
    return frame.with_columns(
        key=pl.Series(months + 1970 * 12, dtype=pl.Int64),
        coverage=pl.col("present") / pl.col("expected"),
        self_consumed_kwh=pl.lit(None, pl.Float64), exported_kwh=pl.lit(None, pl.Float64),
        source=pl.lit("meter")).select(list(SCHEMA))


def _reported_months(conn: Connection, ids: Select[Any], first: int, last: int
                     ) -> pl.DataFrame:
    p = project
    key = extract("year", _g.c.month) * 12 + extract("month", _g.c.month) - 1
    query: Select[Any] = (
        select(_g.c.project_id, p.c.region_code, key, _g.c.generation_kwh,
               _g.c.self_consumed_kwh, _g.c.exported_kwh)
        .join(p, p.c.id == _g.c.project_id)
        .where(_g.c.project_id.in_(ids), key >= first, key <= last))
    frame = read_frame(conn, query, {k: SCHEMA[k] for k in (
        "project_id", "region_code", "key", "generation_kwh", "self_consumed_kwh",
        "exported_kwh")})
    return frame.with_columns(coverage=pl.lit(1.0), source=pl.lit("reported")
                              ).select(list(SCHEMA))


def _ny201_months(conn: Connection, ids: Select[Any], first: int, last: int
                  ) -> pl.DataFrame:
    cm, o, p = t.consumption_month, project_owner, project
    q = cm.c[t.quantity_column(CARRIER)]
    key = cm.c.year * 12 + cm.c.month - 1
    query: Select[Any] = (
        select(o.c.project_id, p.c.region_code, key, func.sum(q))
        .select_from(o).join(p, p.c.id == o.c.project_id)
        .join(cm, cm.c.institution_id == o.c.institution_id)
        .where(o.c.project_id.in_(ids), q.is_not(None), key >= first, key <= last)
        .group_by(o.c.project_id, p.c.region_code, key))
    frame = read_frame(conn, query, {"project_id": pl.Int64, "region_code": pl.Utf8,
                                     "key": pl.Int64, "generation_kwh": pl.Float64})
    return frame.with_columns(
        self_consumed_kwh=pl.lit(None, pl.Float64), exported_kwh=pl.lit(None, pl.Float64),
        coverage=pl.lit(1.0), source=pl.lit("ny201")).select(list(SCHEMA))


def monthly(conn: Connection, ids: Select[Any], first: int, last: int) -> pl.DataFrame:
    """One row per (project, month) of the projects selected by ``ids`` (a select of
    project ids) for the months ``first``..``last`` (keys year × 12 + month − 1):
    ``project_id, region_code, key, generation_kwh, self_consumed_kwh, exported_kwh,
    coverage, source`` — the first source present of :data:`SOURCES`."""
    low = _month_start(first)
    high = _month_start(last + 1)
    parts = [_meter_months(conn, ids, low, high), _reported_months(conn, ids, first, last),
             _ny201_months(conn, ids, first, last)]
    rank = {s: i for i, s in enumerate(SOURCES)}
    return (pl.concat(parts).with_columns(
        rank=pl.col("source").replace_strict(rank, return_dtype=pl.Int64))
        .sort("project_id", "key", "rank").unique(["project_id", "key"], keep="first")
        .drop("rank").sort("project_id", "key"))


def _month_start(key: int) -> int:
    """Epoch seconds (UTC) of the China-time start of month ``key``."""
    month = np.datetime64(f"{key // 12:04d}-{key % 12 + 1:02d}", "M")
    return int(month.astype("datetime64[s]").astype(np.int64)) - CHINA_OFFSET_S
