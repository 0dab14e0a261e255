"""Regions (GB/T 2260 administrative divisions): province > city > county."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import CHAR, Column, Connection, SmallInteger, String, select

from . import tables as t
from ._stage import stage_frame, upsert_from_stage
from .bulk import temp_table
from .results import UpsertCounts

_stage = temp_table(
    "_jn_region_stage",
    Column("code", CHAR(6), primary_key=True),
    Column("name", String(100)),
    Column("parent_code", CHAR(6)),
    Column("level", SmallInteger),
)


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    parent_code: str | None
    level: int


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
    return UpsertCounts(inserted, updated)


def load_regions(conn: Connection) -> list[RegionRow]:
    """Every region, ordered by code."""
    rows = conn.execute(
        select(t.region.c.code, t.region.c.name, t.region.c.parent_code, t.region.c.level)
        .order_by(t.region.c.code)
    )
    return [RegionRow(r.code, r.name, r.parent_code, int(r.level)) for r in rows]


def subtree_codes(regions: Sequence[RegionRow], code: str) -> list[str]:
    """``code`` and every region below it (depth first, children in code order).

    Raises :class:`KeyError` if ``code`` is not among ``regions``.
    """
    children: dict[str, list[str]] = defaultdict(list)
    known = set()
    for r in regions:
        known.add(r.code)
        if r.parent_code is not None:
            children[r.parent_code].append(r.code)
    if code not in known:
        raise KeyError(code)
    out: list[str] = []
    todo = [code]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(sorted(children.get(c, ()), reverse=True))
    return out
