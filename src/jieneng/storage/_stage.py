"""Shared helpers for set-based upserts through a temporary staging table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Column, Connection, Table, and_, exists, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from .bulk import analyze, bulk_insert, ensure_temp


def stage_frame(conn: Connection, stage: Table, frame: pl.DataFrame) -> None:
    """(Re)create the temporary ``stage`` table empty and bulk-load ``frame`` into it."""
    ensure_temp(conn, stage)
    bulk_insert(conn, stage, frame, columns=[c.name for c in stage.c if c.name in frame.columns])
    analyze(conn, stage)


def _differs(a: Column[Any], b: Column[Any]) -> ColumnElement[bool]:
    return a.is_distinct_from(b)


def upsert_from_stage(
    conn: Connection,
    target: Table,
    stage: Table,
    *,
    keys: Sequence[str],
    values: Sequence[str],
    extra: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Update the rows of ``target`` matching ``stage`` on ``keys`` whose ``values``
    differ, then insert the rows of ``stage`` not yet in ``target``.

    ``extra`` gives constant values written on both paths (e.g. ``import_id``).
    Returns ``(inserted, updated)``.
    """
    extra = extra or {}
    match = and_(*(target.c[k] == stage.c[k] for k in keys))
    changed = or_(*(_differs(target.c[v], stage.c[v]) for v in values))
    updated = 0
    if values:
        set_values: dict[str, Any] = {
            v: select(stage.c[v]).where(match).scalar_subquery() for v in values
        }
        set_values.update(extra)
        # Correlated sub-selects instead of UPDATE … FROM: portable, and the stage
        # is keyed so every sub-select hits one row.
        stmt = (
            update(target)
            .where(exists(select(1).select_from(stage).where(match, changed)))
            .values(set_values)
        )
        updated = conn.execute(stmt).rowcount
    new_rows = select(
        *(stage.c[c] for c in (*keys, *values)),
        *(_literal(v, target.c[k]) for k, v in extra.items()),
    ).where(~exists(select(1).select_from(target).where(match)))
    ins = target.insert().from_select([*keys, *values, *extra.keys()], new_rows)
    inserted = conn.execute(ins).rowcount
    return inserted, updated


def _literal(value: Any, column: Column[Any]) -> ColumnElement[Any]:
    from sqlalchemy import literal

    return literal(value, type_=column.type)
