"""Shared helpers for set-based upserts through a temporary staging table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table, and_, exists, literal, or_, select, update

from .bulk import analyze, bulk_insert, ensure_temp


def stage_frame(conn: Connection, stage: Table, frame: pl.DataFrame) -> None:
    """(Re)create the temporary ``stage`` table empty and bulk-load ``frame`` into it."""
    ensure_temp(conn, stage)
    bulk_insert(conn, stage, frame, columns=[c.name for c in stage.c if c.name in frame.columns])
    analyze(conn, stage)


def update_changed(
    conn: Connection, target: Table, stage: Table, *, keys: Sequence[str],
    values: Sequence[str], extra: dict[str, Any] | None = None,
) -> int:
    """Update the rows of ``target`` matching ``stage`` on ``keys`` whose ``values``
    differ (null-safe); ``extra`` constants are written too. Returns the row count."""
    if not values:
        return 0
    match = and_(*(target.c[k] == stage.c[k] for k in keys))
    changed = or_(*(target.c[v].is_distinct_from(stage.c[v]) for v in values))
    set_values: dict[str, Any] = {
        v: select(stage.c[v]).where(match).scalar_subquery() for v in values
    }
    set_values.update(extra or {})
    # Correlated sub-selects instead of UPDATE … FROM: portable, and the stage is
    # keyed, so every sub-select is one primary-key probe.
    stmt = (
        update(target)
        .where(exists(select(1).select_from(stage).where(match, changed)))
        .values(set_values)
    )
    return int(conn.execute(stmt).rowcount)


def insert_missing(
    conn: Connection, target: Table, stage: Table, *, keys: Sequence[str],
    values: Sequence[str], extra: dict[str, Any] | None = None,
) -> int:
    """Insert the rows of ``stage`` whose ``keys`` are not in ``target``."""
    extra = extra or {}
    match = and_(*(target.c[k] == stage.c[k] for k in keys))
    new_rows = select(
        *(stage.c[c] for c in (*keys, *values)),
        *(literal(v, type_=target.c[k].type) for k, v in extra.items()),
    ).where(~exists(select(1).select_from(target).where(match)))
    ins = target.insert().from_select([*keys, *values, *extra.keys()], new_rows)
    # The row count of INSERT … SELECT is only kept on request (SQLAlchemy ≥ 2.0.28).
    return int(conn.execute(ins, execution_options={"preserve_rowcount": True}).rowcount)


def upsert_from_stage(
    conn: Connection, target: Table, stage: Table, *, keys: Sequence[str],
    values: Sequence[str], extra: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """:func:`update_changed` then :func:`insert_missing`; returns ``(inserted, updated)``."""
    updated = update_changed(conn, target, stage, keys=keys, values=values, extra=extra)
    inserted = insert_missing(conn, target, stage, keys=keys, values=values, extra=extra)
    return inserted, updated
