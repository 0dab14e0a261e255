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
from jieneng.core.scope import Filters

from . import tables as t
from .scoping import group_conditions, institution_conditions


def monthly_sums(
    conn: Connection,
    filters: Filters,
    *,
    years: Sequence[int],
    categories: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Σ of every carrier per (year, month) over the institutions of the filters.

    Items ``year, month, institutions_reported, quantity, cost_yuan`` (dicts keyed
    by carrier code [canonical unit / 元], 0.0 where nothing was reported), in time
    order; months without any figure are absent. ``filters`` and ``categories`` as in
    :func:`jieneng.storage.indicators.group_sums`.
    """
    if not filters.below_region:
        # Region-level: Σ over the group roll-up (a few rows per region and category).
        g = t.consumption_group_month
        stmt = _month_select(
            g, func.sum(g.c.institutions_reported),
            group_conditions(conn, g, filters, categories=categories), years)
    else:
        cm, i = t.consumption_month, t.institution
        stmt = _month_select(
            cm, func.count(), institution_conditions(conn, filters, categories=categories),
            years).select_from(cm.join(i, i.c.id == cm.c.institution_id))
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


def _month_select(
    table: Any, count: ColumnElement[Any], where: list[ColumnElement[bool]],
    years: Sequence[int],
) -> Any:
    sums: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        sums += [func.sum(table.c[t.quantity_column(code)]),
                 func.sum(table.c[t.cost_column(code)])]
    return (
        select(table.c.year, table.c.month, count, *sums)
        .where(table.c.year.in_(sorted(set(years))), *where)
        .group_by(table.c.year, table.c.month)
        .order_by(table.c.year, table.c.month)
    )


def latest_year(
    conn: Connection,
    filters: Filters,
    *,
    before: int | None = None,
    months: tuple[int, int] | None = None,
    categories: Sequence[str] | None = None,
) -> int | None:
    """The latest year (< ``before``) in which an institution of the filters has a
    figure — in ``months`` (first, last) if given, else in the year — or None.

    One query; "has a figure" is what makes it *reported* in
    :func:`jieneng.storage.indicators.group_sums` for that period.
    """
    if not filters.below_region:
        return _latest_group_year(conn, filters, before=before, months=months,
                                  categories=categories)
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
    scoped = select(i.c.id).where(*institution_conditions(conn, filters, categories=categories))
    stmt = select(func.max(year_col)).where(source.c.institution_id.in_(scoped), *conds)
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def _latest_group_year(
    conn: Connection, filters: Filters, *, before: int | None,
    months: tuple[int, int] | None, categories: Sequence[str] | None,
) -> int | None:
    """:func:`latest_year` for region-level filters, from the group roll-ups (a group
    row exists only where an institution has a figure)."""
    whole = months is None or tuple(months) == (1, 12)
    g: Any = t.consumption_group_year if whole else t.consumption_group_month
    conds = group_conditions(conn, g, filters, categories=categories)
    if not whole:
        assert months is not None
        conds.append(g.c.month.between(*months))
    if before is not None:
        conds.append(g.c.year < before)
    value = conn.execute(select(func.max(g.c.year)).where(*conds)).scalar()
    return None if value is None else int(value)
