"""Quota standards, their quota rows and the assignment of quotas to the
institutions of a category in a region (``quota_standard``, ``quota``,
``quota_assignment``)."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import Column, Connection, Float, Integer, String, delete, select

from . import tables as t
from ._stage import stage_frame, upsert_from_stage
from .bulk import temp_table
from .results import UpsertCounts

_stage = temp_table(
    "_jn_quota_stage",
    Column("standard_id", Integer),
    Column("indicator", String(40)),
    Column("institution_type", String(60)),
    Column("climate_zone", String(20)),
    Column("constraint_value", Float(53)),
    Column("benchmark_value", Float(53)),
    Column("guide_value", Float(53)),
    Column("unit", String(24)),
)
KEYS = ["standard_id", "indicator", "institution_type", "climate_zone"]
VALUES = ["constraint_value", "benchmark_value", "guide_value", "unit"]


def upsert_standard(conn: Connection, *, code: str, title: str, source: str) -> int:
    """The id of the standard ``code`` (created, or its title and source updated)."""
    s = t.quota_standard
    row = conn.execute(select(s.c.id).where(s.c.code == code)).first()
    if row is None:
        conn.execute(s.insert().values(code=code, title=title, source=source))
        row = conn.execute(select(s.c.id).where(s.c.code == code)).first()
        assert row is not None
    else:
        conn.execute(s.update().where(s.c.id == row.id).values(title=title, source=source))
    return int(row.id)


def upsert_quotas(conn: Connection, standard_id: int, frame: pl.DataFrame) -> UpsertCounts:
    """Insert or update the standard's quota rows (set-based, keyed by indicator,
    institution type and climate zone); rows not in ``frame`` are kept."""
    frame = frame.with_columns(pl.lit(standard_id).alias("standard_id"))
    stage_frame(conn, _stage, frame.select(KEYS + VALUES))
    inserted, updated = upsert_from_stage(conn, t.quota, _stage, keys=KEYS, values=VALUES)
    return UpsertCounts(inserted, updated)


def list_quotas(conn: Connection, standard_id: int | None = None) -> list[dict[str, Any]]:
    q, s = t.quota, t.quota_standard
    stmt = select(q, s.c.code.label("standard_code"), s.c.title.label("standard_title")).join(
        s, s.c.id == q.c.standard_id)
    if standard_id is not None:
        stmt = stmt.where(q.c.standard_id == standard_id)
    rows = conn.execute(stmt.order_by(s.c.code, q.c.indicator, q.c.institution_type,
                                      q.c.climate_zone))
    return [dict(r._mapping) for r in rows]


def assign(conn: Connection, quota_id: int, region_code: str, category: str) -> bool:
    """Assign a quota; False when it already was."""
    a = t.quota_assignment
    exists = conn.execute(select(a.c.quota_id).where(
        a.c.quota_id == quota_id, a.c.region_code == region_code,
        a.c.category == category)).first()
    if exists is not None:
        return False
    conn.execute(a.insert().values(quota_id=quota_id, region_code=region_code,
                                   category=category))
    return True


def unassign(conn: Connection, quota_id: int, region_code: str, category: str) -> int:
    a = t.quota_assignment
    return int(conn.execute(delete(a).where(
        a.c.quota_id == quota_id, a.c.region_code == region_code,
        a.c.category == category)).rowcount)


def assignments(conn: Connection) -> list[dict[str, Any]]:
    """Every assignment with its quota (small: a province assigns tens of quotas)."""
    a, q = t.quota_assignment, t.quota
    rows = conn.execute(select(a.c.region_code, a.c.category, q).join(q, q.c.id == a.c.quota_id)
                        .order_by(a.c.region_code, a.c.category, q.c.indicator))
    return [dict(r._mapping) for r in rows]
