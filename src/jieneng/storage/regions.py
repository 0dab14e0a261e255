"""Regions (GB/T 2260 administrative divisions): province > city > county."""

from __future__ import annotations

import polars as pl
from sqlalchemy import CHAR, Column, Connection, SmallInteger, String, select

from jieneng.core.regions import Region

from . import tables as t
from ._stage import stage_frame, upsert_from_stage
from .bulk import temp_table
from .meta import touch_data_version
from .results import UpsertCounts

_stage = temp_table(
    "_jn_region_stage",
    Column("code", CHAR(6), primary_key=True),
    Column("name", String(100)),
    Column("parent_code", CHAR(6)),
    Column("level", SmallInteger),
)


def upsert_regions(conn: Connection, frame: pl.DataFrame) -> UpsertCounts:
    """Insert or update regions from a frame with columns ``code, name, parent_code, level``.

    Parents must be in the database or in the same frame.
    Rows are inserted level by level so that the parent foreign key holds at every step.
    """
    frame = frame.select(
        pl.col("code").cast(pl.String),
        pl.col("name").cast(pl.String),
        pl.col("parent_code").cast(pl.String),
        pl.col("level").cast(pl.Int16),
    )
    inserted = updated = 0
    for level in (1, 2, 3):
        part = frame.filter(pl.col("level") == level)
        if part.height == 0:
            continue
        stage_frame(conn, _stage, part)
        ins, upd = upsert_from_stage(
            conn, t.region, _stage, keys=["code"], values=["name", "parent_code", "level"]
        )
        inserted += ins
        updated += upd
    if inserted or updated:
        touch_data_version(conn)
    return UpsertCounts(inserted, updated)


def load_regions(conn: Connection) -> list[Region]:
    """Every region, ordered by code."""
    rows = conn.execute(
        select(t.region.c.code, t.region.c.name, t.region.c.parent_code, t.region.c.level)
        .order_by(t.region.c.code)
    )
    return [Region(r.code, r.name, int(r.level), r.parent_code) for r in rows]
