"""Spot checks (抽查) and the reads of the 会审 report: set-based queries.

The population of a spot check is the institutions whose report of the year is
approved (:func:`approved_population`); the rule is documented in
:mod:`jieneng.services.quality.spot_checks`. The scope arrives whole, as one
:class:`jieneng.core.scope.Filters`, turned into SQL by :mod:`jieneng.storage.scoping`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, update

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.scope import Filters
from jieneng.storage import tables as t
from jieneng.storage.scoping import institution_conditions, region_conditions


def approved_population(conn: Connection, filters: Filters, year: int) -> dict[int, str]:
    """institution id → category of the institutions whose report of ``year`` is approved.

    With an annual task (年报, kind ``annual``, month 0) for the year: every annual
    task approved. Without one: at least one monthly task of the year and all of
    them approved.
    """
    p, k, i = t.reporting_period, t.reporting_task, t.institution
    not_approved = func.sum(case((k.c.state == "approved", 0), else_=1))
    per_kind = (
        select(k.c.institution_id, p.c.kind, not_approved.label("open"))
        .select_from(k.join(p, p.c.id == k.c.period_id))
        .where(p.c.year == year)
        .group_by(k.c.institution_id, p.c.kind)
        .subquery()
    )
    annual = per_kind.alias("annual")
    monthly = per_kind.alias("monthly")
    query = (
        select(i.c.id, i.c.category)
        .select_from(
            i.outerjoin(annual, and_(annual.c.institution_id == i.c.id,
                                     annual.c.kind == "annual"))
            .outerjoin(monthly, and_(monthly.c.institution_id == i.c.id,
                                     monthly.c.kind == "monthly"))
        )
        .where(
            or_(annual.c.open == 0,
                and_(annual.c.institution_id.is_(None), monthly.c.open == 0)),
            *institution_conditions(conn, filters),
        )
    )
    return {int(r.id): str(r.category) for r in conn.execute(query)}


def annual_quantities(
    conn: Connection, institution_ids: Sequence[int], year: int
) -> dict[int, dict[str, float]]:
    """institution id → carrier → reported annual quantity (``consumption_year``,
    carriers with a figure only)."""
    if not institution_ids:
        return {}
    y = t.consumption_year
    cols = [y.c[t.quantity_column(c)] for c in CARRIER_CODES]
    query = select(y.c.institution_id, *cols).where(
        y.c.year == year, y.c.institution_id.in_(list(institution_ids)))
    out: dict[int, dict[str, float]] = {}
    for row in conn.execute(query):
        values = row._mapping
        out[int(row.institution_id)] = {
            c: float(values[t.quantity_column(c)]) for c in CARRIER_CODES
            if values[t.quantity_column(c)] is not None
        }
    return out


def insert_spot_check(
    conn: Connection, *, region_code: str, year: int, seed: int, share: float,
    tolerance: float, created_by: int | None, created_at: datetime,
) -> int:
    result = conn.execute(t.spot_check.insert().values(
        region_code=region_code, year=year, seed=seed, share=share, tolerance=tolerance,
        created_by=created_by, created_at=created_at,
    ).returning(t.spot_check.c.id))
    return int(result.scalar_one())


def insert_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(t.spot_check_item.insert(), list(rows))


@dataclass(frozen=True, slots=True)
class SpotCheckRow:
    id: int
    region_code: str
    year: int
    seed: int
    share: float
    tolerance: float
    created_by: int | None
    created_at: datetime


def _check_row(row: Any) -> SpotCheckRow:
    return SpotCheckRow(
        id=int(row.id), region_code=str(row.region_code), year=int(row.year),
        seed=int(row.seed), share=float(row.share), tolerance=float(row.tolerance),
        created_by=row.created_by, created_at=row.created_at,
    )


def get_spot_check(conn: Connection, spot_check_id: int) -> SpotCheckRow | None:
    s = t.spot_check
    row = conn.execute(select(s).where(s.c.id == spot_check_id)).first()
    return None if row is None else _check_row(row)


def list_spot_checks(
    conn: Connection, filters: Filters, *, year: int | None = None
) -> list[SpotCheckRow]:
    """Spot checks of the regions of ``filters`` (newest first). A spot check belongs
    to a region only: what a narrower scope sees of it is its items (:func:`list_items`)."""
    s = t.spot_check
    query = (select(s).where(*region_conditions(conn, s.c.region_code, filters))
             .order_by(s.c.year.desc(), s.c.id.desc()))
    if year is not None:
        query = query.where(s.c.year == year)
    return [_check_row(r) for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class ItemRow:
    spot_check_id: int
    institution_id: int
    credit_code: str
    name: str
    region_code: str
    category: str
    carrier: str
    reported: float | None
    verified: float | None
    verified_by: int | None
    verified_at: datetime | None


def list_items(
    conn: Connection, spot_check_ids: Sequence[int], filters: Filters
) -> list[ItemRow]:
    """The items of the spot checks whose institution lies in ``filters``."""
    if not spot_check_ids:
        return []
    it, i = t.spot_check_item, t.institution
    query = (
        select(it, i.c.credit_code, i.c.name, i.c.region_code)
        .select_from(it.join(i, i.c.id == it.c.institution_id))
        .where(it.c.spot_check_id.in_(list(spot_check_ids)), *institution_conditions(conn, filters))
        .order_by(it.c.spot_check_id, i.c.region_code, i.c.credit_code, it.c.carrier)
    )
    return [
        ItemRow(
            spot_check_id=int(r.spot_check_id), institution_id=int(r.institution_id),
            credit_code=str(r.credit_code), name=str(r.name), region_code=str(r.region_code),
            category=str(r.category), carrier=str(r.carrier), reported=r.reported,
            verified=r.verified, verified_by=r.verified_by, verified_at=r.verified_at,
        )
        for r in conn.execute(query)
    ]


def set_verified(
    conn: Connection, *, spot_check_id: int, institution_id: int, carrier: str,
    verified: float | None, verified_by: int | None, verified_at: datetime | None,
) -> int:
    """Record a verified figure; the number of items changed (0: no such item)."""
    it = t.spot_check_item
    result = conn.execute(
        update(it)
        .where(it.c.spot_check_id == spot_check_id, it.c.institution_id == institution_id,
               it.c.carrier == carrier)
        .values(verified=verified, verified_by=verified_by, verified_at=verified_at)
    )
    return int(result.rowcount)


__all__ = [
    "ItemRow",
    "SpotCheckRow",
    "annual_quantities",
    "approved_population",
    "get_spot_check",
    "insert_items",
    "insert_spot_check",
    "list_items",
    "list_spot_checks",
    "set_verified",
]
