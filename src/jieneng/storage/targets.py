"""Targets (双控目标) of regions and institutions: rows of ``target``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import owned_conditions


@dataclass(frozen=True)
class TargetRow:
    id: int
    region_code: str
    institution_id: int | None
    year: int
    metric: str
    kind: str
    value: float
    base_year: int | None
    source: str
    parent_id: int | None
    set_by: int | None
    set_at: datetime


def _row(r: Any) -> TargetRow:
    return TargetRow(int(r.id), str(r.region_code), r.institution_id, int(r.year), str(r.metric),
                     str(r.kind), float(r.value), r.base_year, str(r.source), r.parent_id,
                     r.set_by, r.set_at)


def get_target(conn: Connection, target_id: int) -> TargetRow | None:
    row = conn.execute(select(t.target).where(t.target.c.id == target_id)).first()
    return None if row is None else _row(row)


def find_target(conn: Connection, *, region_code: str, institution_id: int | None, year: int,
                metric: str) -> TargetRow | None:
    """The target of a region (``institution_id`` None) or institution for a metric."""
    tg = t.target
    cond = (tg.c.institution_id.is_(None) if institution_id is None
            else tg.c.institution_id == institution_id)
    row = conn.execute(select(tg).where(tg.c.region_code == region_code, cond,
                                        tg.c.year == year, tg.c.metric == metric)).first()
    return None if row is None else _row(row)


def put_target(conn: Connection, *, region_code: str, institution_id: int | None, year: int,
               metric: str, kind: str, value: float, base_year: int | None, source: str,
               parent_id: int | None, set_by: int | None, at: datetime) -> TargetRow:
    """Insert the target of (region / institution, year, metric), or update it in
    place (its id — which alerts refer to — stays)."""
    tg = t.target
    old = find_target(conn, region_code=region_code, institution_id=institution_id, year=year,
                      metric=metric)
    values = {"kind": kind, "value": value, "base_year": base_year, "source": source,
              "parent_id": parent_id, "set_by": set_by, "set_at": at}
    if old is not None:
        conn.execute(update(tg).where(tg.c.id == old.id).values(**values))
    else:
        conn.execute(tg.insert().values(region_code=region_code, institution_id=institution_id,
                                        year=year, metric=metric, **values))
    new = find_target(conn, region_code=region_code, institution_id=institution_id, year=year,
                      metric=metric)
    assert new is not None
    return new


def list_targets(conn: Connection, filters: Filters, *, year: int,
                 institution_ids: Sequence[int] | None = None) -> list[TargetRow]:
    """Targets of a year inside ``filters``: the regions' own targets (``institution_id``
    null) and their institutions' — for a department or an institution scope, its
    units' targets only; ``institution_ids`` narrows the institution side further
    (None = no further restriction)."""
    tg = t.target
    stmt = select(tg).where(tg.c.year == year,
                            *owned_conditions(conn, tg.c.region_code, tg.c.institution_id, filters))
    if institution_ids is not None:
        stmt = stmt.where(tg.c.institution_id.is_(None)
                          | tg.c.institution_id.in_(sorted(set(institution_ids))))
    rows = conn.execute(stmt.order_by(tg.c.region_code, tg.c.institution_id, tg.c.metric))
    return [_row(r) for r in rows]
