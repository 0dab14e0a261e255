"""Query side of the dashboard: monthly sums per carrier, grouped in SQL.

The yearly figures of the overview come from :mod:`jieneng.storage.indicators`;
this module adds the monthly trend: ``consumption_month`` summed per (year, month)
over the institutions of the filters — one row per month, never one per
institution — so that the service layer can turn each month into
:class:`jieneng.core.indicators.AggregateInputs` and the months add up exactly
to the year (every sum is additive).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES

from . import tables as t
from .indicators import _filters


def monthly_sums(
    conn: Connection,
    *,
    years: Sequence[int],
    region_codes: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    department_id: int | None = None,
    institution_ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Σ of every carrier per (year, month) over the institutions of the filters.

    Items ``year, month, institutions_reported, quantity, cost_yuan`` (dicts keyed
    by carrier code [canonical unit / 元], 0.0 where nothing was reported), in time
    order; months without any figure are absent. The filters are those of
    :func:`jieneng.storage.indicators.group_sums`.
    """
    cm, i = t.consumption_month, t.institution
    sums: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        sums += [func.sum(cm.c[t.quantity_column(code)]), func.sum(cm.c[t.cost_column(code)])]
    stmt = (
        select(cm.c.year, cm.c.month, func.count(), *sums)
        .select_from(cm.join(i, i.c.id == cm.c.institution_id))
        .where(cm.c.year.in_(sorted(set(years))),
               *_filters(conn, region_codes=region_codes, categories=categories,
                         department_id=department_id, institution_ids=institution_ids))
        .group_by(cm.c.year, cm.c.month)
        .order_by(cm.c.year, cm.c.month)
    )
    out: list[dict[str, Any]] = []
    for row in conn.execute(stmt):
        v = row[3:]
        out.append({
            "year": int(row[0]),
            "month": int(row[1]),
            "institutions_reported": int(row[2]),
            "quantity": {c: float(v[2 * n] or 0.0) for n, c in enumerate(CARRIER_CODES)},
            "cost_yuan": {c: float(v[2 * n + 1] or 0.0) for n, c in enumerate(CARRIER_CODES)},
        })
    return out


def latest_year(
    conn: Connection,
    *,
    before: int | None = None,
    months: tuple[int, int] | None = None,
    region_codes: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    department_id: int | None = None,
    institution_ids: Sequence[int] | None = None,
) -> int | None:
    """The latest year (< ``before``) in which an institution of the filters has a
    figure — in ``months`` (first, last) if given, else in the year — or None.

    One query; "has a figure" is what makes it *reported* in
    :func:`jieneng.storage.indicators.group_sums` for that period.
    """
    i = t.institution
    if months is None or tuple(months) == (1, 12):
        cy = t.consumption_year
        year_col = cy.c.year
        conds: list[ColumnElement[bool]] = [cy.c.months_reported > 0]
        source = cy
    else:
        cm = t.consumption_month
        year_col = cm.c.year
        conds = [cm.c.month.between(*months)]
        source = cm
    if before is not None:
        conds.append(year_col < before)
    scoped = select(i.c.id).where(
        *_filters(conn, region_codes=region_codes, categories=categories,
                  department_id=department_id, institution_ids=institution_ids))
    stmt = select(func.max(year_col)).where(source.c.institution_id.in_(scoped), *conds)
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)
