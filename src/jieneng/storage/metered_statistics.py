"""Metered figures of the monthly statistics (issue 12 §5; ``docs/metered-statistics.md``).

- ``metered_figure`` — the last computed metered figure of an (institution, year,
  month, carrier) [the carrier's canonical NY201 unit], where it came from
  (``origin`` ``accounts`` / ``meters``), the structured description of the source
  (``detail``, JSON: account numbers and bill periods, or meter numbers and counts —
  rendered through the message catalogue) and the completeness of the data
  (intervals present ÷ expected; NULL for accounts). Rewritten by every fill of the
  month, so it is what the entry form shows beside the reported figure and what the
  quality rule ``metered_difference`` compares with;
- ``metered_override`` — a 统计员's override of a metered figure: the metered value,
  the value entered, the reason, who and when; ``cleared_at`` set when the override is
  withdrawn (kept, never deleted). At most one open override per key (the services
  close the previous one first). An open override keeps the fill off the key;
- ``metered_rule`` — per region: which source comes first (``accounts_first`` /
  ``meters_first``) and the least completeness of meter data that is filled; a
  region inherits its nearest ancestor's setting (the billing-period rule of the
  accounts is :data:`jieneng.storage.utility_data.metering_month_rule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)

from . import tables as t
from .bulk import analyze, bulk_insert, ensure_temp, read_frame, temp_table
from .meter_readings import metering_rollup
from .metering import metering_meter
from .tables import BigId, Double, metadata

ORIGINS: tuple[str, ...] = ("accounts", "meters")
PRECEDENCES: tuple[str, ...] = ("accounts_first", "meters_first")

metered_figure = Table(
    "metered_figure",
    metadata,
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
    Column("carrier", String(32), primary_key=True),
    Column("quantity", Double, nullable=False),
    Column("cost_yuan", Double, nullable=True),
    Column("origin", String(8), nullable=False),
    Column("detail", Text, nullable=False),
    Column("completeness", Double, nullable=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("origin IN ('accounts', 'meters')", name="origin"),
)

metered_override = Table(
    "metered_override",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("month", SmallInteger, nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("metered_quantity", Double, nullable=True),
    Column("quantity", Double, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("cleared_by", String(64), nullable=True),
    Column("cleared_at", DateTime(timezone=True), nullable=True),
    Index("ix_metered_override_key", "institution_id", "year", "month", "carrier"),
)

metered_rule = Table(
    "metered_rule",
    metadata,
    Column("region_code", CHAR(6), ForeignKey("region.code"), primary_key=True),
    Column("precedence", String(16), nullable=False),
    Column("min_completeness", Double, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("precedence IN ('accounts_first', 'meters_first')", name="precedence"),
    CheckConstraint("min_completeness >= 0 AND min_completeness <= 1", name="min_completeness"),
)

FIGURE_SCHEMA: dict[str, Any] = {
    "institution_id": pl.Int64, "year": pl.Int32, "month": pl.Int32, "carrier": pl.String,
    "quantity": pl.Float64, "cost_yuan": pl.Float64, "origin": pl.String, "detail": pl.String,
    "completeness": pl.Float64,
}

_ids = temp_table("_jn_metered_ids", Column("institution_id", Integer, primary_key=True))
_fig = temp_table(
    "_jn_metered_stage",
    *(Column(n, Integer if n == "institution_id" else SmallInteger if n in ("year", "month")
             else String(32) if n == "carrier" else String(8) if n == "origin"
             else Text if n == "detail" else Double)
      for n in FIGURE_SCHEMA),
)


def stage_institutions(conn: Connection, institution_ids: Sequence[int]) -> Table:
    """The institutions of a computation in a temporary table (joined, never ``IN``)."""
    ensure_temp(conn, _ids)
    bulk_insert(conn, _ids, pl.DataFrame({"institution_id": sorted(set(institution_ids))},
                                         schema={"institution_id": pl.Int64}))
    analyze(conn, _ids)
    return _ids


def meter_month_rollups(conn: Connection, institution_ids: Sequence[int], month_start: int,
                        month_seconds: int) -> pl.DataFrame:
    """Per institution and carrier, over its **top-level physical** meters (no parent,
    no formula): ``energy`` (sum of the month roll-ups; NULL when none has energy),
    ``present`` and ``expected`` intervals (a meter without a roll-up row for the month
    counts its whole month as expected when active), ``meters`` (count), ``first``
    (smallest meter number)."""
    m, r = metering_meter, metering_rollup
    ids = stage_institutions(conn, institution_ids)
    joined = m.join(ids, ids.c.institution_id == m.c.institution_id).outerjoin(
        r, and_(r.c.meter_id == m.c.id, r.c.level == "month", r.c.start == month_start))
    expected = func.coalesce(r.c.expected, month_seconds / m.c.interval_s)
    query = (
        select(m.c.institution_id, m.c.carrier, func.sum(r.c.energy),
               func.sum(func.coalesce(r.c.present, 0)), func.sum(expected), func.count(),
               func.min(m.c.number))
        .select_from(joined)
        .where(m.c.parent_id.is_(None), m.c.formula.is_(None),
               or_(r.c.meter_id.is_not(None), m.c.status == "active"))
        .group_by(m.c.institution_id, m.c.carrier)
        .order_by(m.c.institution_id, m.c.carrier)
    )
    return read_frame(conn, query, {
        "institution_id": pl.Int64, "carrier": pl.String, "energy": pl.Float64,
        "present": pl.Int64, "expected": pl.Float64, "meters": pl.Int64, "first": pl.String})


def replace_figures(conn: Connection, institution_ids: Sequence[int], year: int, month: int,
                    frame: pl.DataFrame) -> None:
    """The metered figures of the institutions' month become exactly ``frame``."""
    f = metered_figure
    ids = stage_institutions(conn, institution_ids)
    conn.execute(delete(f).where(
        f.c.year == year, f.c.month == month,
        f.c.institution_id.in_(select(ids.c.institution_id))))
    if frame.height:
        ensure_temp(conn, _fig)
        bulk_insert(conn, _fig, frame.select(list(FIGURE_SCHEMA)))
        now = datetime.now(UTC)
        cols = list(FIGURE_SCHEMA)
        conn.execute(f.insert().from_select(
            [*cols, "computed_at"],
            select(*(_fig.c[c] for c in cols), literal(now, f.c.computed_at.type))))


def blocked_keys(conn: Connection, year: int, month: int, locked_states: Sequence[str]
                 ) -> pl.DataFrame:
    """``institution_id, carrier`` the fill must leave alone for the month: every
    carrier (``carrier`` NULL) of an institution whose covering task — the month's
    monthly task or the year's annual one — is in ``locked_states``, and each key
    with an open override (one query each)."""
    task, p, o = t.reporting_task, t.reporting_period, metered_override
    locked = (
        select(task.c.institution_id).distinct()
        .select_from(task.join(p, p.c.id == task.c.period_id))
        .where(p.c.year == year, or_(p.c.kind == "annual", p.c.month == month),
               task.c.state.in_(sorted(locked_states)))
    )
    schema = {"institution_id": pl.Int64, "carrier": pl.String}
    tasks = read_frame(conn, locked, {"institution_id": pl.Int64}).with_columns(
        pl.lit(None, dtype=pl.String).alias("carrier"))
    overrides = read_frame(conn, select(o.c.institution_id, o.c.carrier).where(
        o.c.year == year, o.c.month == month, o.c.cleared_at.is_(None)).distinct(), schema)
    return pl.concat([tasks.select(list(schema)), overrides], how="vertical")


def figures_of(conn: Connection, institution_id: int, year: int,
               months: Sequence[int]) -> list[dict[str, Any]]:
    """The metered figures of one institution's months, each with its open override."""
    f, o = metered_figure, metered_override
    figs = [dict(r) for r in conn.execute(
        select(f).where(f.c.institution_id == institution_id, f.c.year == year,
                        f.c.month.in_(list(months)))).mappings()]
    opened = {(r["month"], r["carrier"]): dict(r) for r in conn.execute(
        select(o).where(o.c.institution_id == institution_id, o.c.year == year,
                        o.c.month.in_(list(months)), o.c.cleared_at.is_(None))).mappings()}
    for fig in figs:
        fig["override"] = opened.pop((fig["month"], fig["carrier"]), None)
    return figs


def open_override(conn: Connection, institution_id: int, year: int, month: int,
                  carrier: str) -> dict[str, Any] | None:
    o = metered_override
    row = conn.execute(select(o).where(
        o.c.institution_id == institution_id, o.c.year == year, o.c.month == month,
        o.c.carrier == carrier, o.c.cleared_at.is_(None))).mappings().first()
    return dict(row) if row else None


def close_overrides(conn: Connection, institution_id: int, year: int, month: int,
                    carriers: Sequence[str], by: str) -> int:
    """Close the open overrides of the keys; returns how many."""
    o = metered_override
    result = conn.execute(update(o).where(
        o.c.institution_id == institution_id, o.c.year == year, o.c.month == month,
        o.c.carrier.in_(list(carriers)), o.c.cleared_at.is_(None),
    ).values(cleared_at=datetime.now(UTC), cleared_by=by))
    return int(result.rowcount or 0)


def insert_overrides(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(metered_override.insert(), list(rows))


def rules(conn: Connection) -> dict[str, tuple[str, float]]:
    """region_code → (precedence, min_completeness) of every region with a setting."""
    r = metered_rule
    return {str(x.region_code).strip(): (x.precedence, float(x.min_completeness))
            for x in conn.execute(select(r))}


def set_rule(conn: Connection, region_code: str, precedence: str, min_completeness: float,
             updated_by: str) -> None:
    r = metered_rule
    conn.execute(delete(r).where(r.c.region_code == region_code))
    conn.execute(r.insert().values(region_code=region_code, precedence=precedence,
                                   min_completeness=min_completeness, updated_by=updated_by,
                                   updated_at=datetime.now(UTC)))


def metered_month(conn: Connection, ids: Sequence[int], year: int) -> pl.DataFrame:
    """``institution_id, month, carrier, quantity`` of the metered figures of ``ids`` in
    ``year`` (the quality rule's reference)."""
    f = metered_figure
    lo, hi = (int(min(ids)), int(max(ids))) if ids else (0, -1)
    return read_frame(conn, select(f.c.institution_id, f.c.month, f.c.carrier, f.c.quantity)
                      .where(f.c.year == year, f.c.institution_id.between(lo, hi)), {
        "institution_id": pl.Int64, "month": pl.Int64, "carrier": pl.String,
        "quantity": pl.Float64})
