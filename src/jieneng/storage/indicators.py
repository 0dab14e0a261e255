"""Query side of the indicators: additive sums per group, read from the roll-ups.

:func:`group_sums` returns, per group, the raw sums from which the service layer
builds :class:`jieneng.core.indicators.AggregateInputs`; every number is additive,
so region levels and category prefixes are rolled up in Python by addition.

- Whole year (``months`` is ``None`` or ``(1, 12)``): read ``consumption_year``.
- Month range: ``consumption_month`` is summed per institution first, then grouped.
- Profile (用能人数, 建筑面积) = ``institution_profile`` of the same year.
- An institution is *reported* when it has at least one figure in the period.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from sqlalchemy import (
    CHAR,
    Column,
    Connection,
    FromClause,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.scope import Filters

from . import tables as t
from .bulk import ensure_temp, temp_table
from .scoping import group_conditions, institution_conditions

GroupBy = Literal["region_category", "institution"]


def _check_months(months: tuple[int, int] | None) -> tuple[int, int] | None:
    if months is None or tuple(months) == (1, 12):
        return None
    first, last = months
    if not 1 <= first <= last <= 12:
        raise ValueError(f"invalid month range {months!r}")
    return first, last


def _period(conn: Connection, year: int, months: tuple[int, int] | None) -> FromClause:
    """Per-institution sums of the period: ``institution_id, n_months, q_*, c_*``."""
    months = _check_months(months)
    cols: list[ColumnElement[Any]] = []
    if months is None:
        cy = t.consumption_year
        for code in CARRIER_CODES:
            cols += [cy.c[t.quantity_column(code)], cy.c[t.cost_column(code)]]
        return (
            select(cy.c.institution_id, cy.c.months_reported.label("n_months"), *cols)
            .where(cy.c.year == year, cy.c.months_reported > 0)
            .subquery("per")
        )
    cm = t.consumption_month
    for code in CARRIER_CODES:
        q, c = t.quantity_column(code), t.cost_column(code)
        cols += [func.sum(cm.c[q]).label(q), func.sum(cm.c[c]).label(c)]
    return (
        select(cm.c.institution_id, func.count().label("n_months"), *cols)
        .where(cm.c.year == year, cm.c.month.between(*months))
        .group_by(cm.c.institution_id)
        .subquery("per")
    )


def _f(value: Any) -> float:
    return 0.0 if value is None else float(value)


def group_sums(
    conn: Connection,
    filters: Filters,
    *,
    year: int,
    months: tuple[int, int] | None = None,
    categories: Sequence[str] | None = None,
    group_by: GroupBy = "region_category",
    region_groups: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Additive sums of the reported institutions of ``filters`` (the caller's scope,
    :func:`jieneng.services.scope.scoped_filters`) and ``categories`` per group.

    Each item has the group keys — ``region_code, category`` or ``institution_id,
    credit_code, name, region_code, category`` — and ``institutions_reported``,
    ``quantity``, ``quantity_with_occupants``, ``quantity_with_area``, ``cost_yuan``
    (dicts keyed by carrier code [canonical unit / 元]), ``occupants`` (Σ 用能人数 of
    reported institutions with 用能人数 > 0) and ``floor_area_m2`` (Σ 建筑面积 [m²] of
    reported institutions with 建筑面积 > 0). Groups without a reported institution
    are absent (see :func:`expected_counts`).

    ``region_groups`` (region_category only) maps region codes to the code they are
    reported under (e.g. every county of a province to its city): the sums are then
    formed per (mapped code, category) in SQL, and regions not in the map are left
    out. Region-level whole-year reads (no month range, department or institution
    filter) come from the group roll-up ``consumption_group_year``.
    """
    if group_by not in ("region_category", "institution"):
        raise ValueError(f"unknown group_by {group_by!r}")
    if group_by == "institution":
        region_groups = None
    if group_by == "region_category" and _rollup_applies(months, filters):
        return _merge_rows(conn.execute(_group_year_select(
            conn, year, filters, categories=categories, region_groups=region_groups)), 2)
    i, p = t.institution, t.institution_profile
    per = _period(conn, year, months)
    # Grouping also by the two profile flags (用能人数 > 0, 建筑面积 > 0) instead of
    # summing CASE expressions: 26 sums per row instead of 98; the "with occupants" /
    # "with area" sums are then additions over at most four sub-groups in Python.
    has_occ = case((p.c.occupants > 0, 1), else_=0).label("has_occ")
    has_area = case((p.c.floor_area_m2 > 0, 1), else_=0).label("has_area")
    keys: list[ColumnElement[Any]]
    if group_by == "institution":
        keys = [i.c.id.label("institution_id"), i.c.credit_code, i.c.name, i.c.region_code,
                i.c.category]
    else:
        keys = [_region_key(conn, i, region_groups), i.c.category]
    aggs: list[ColumnElement[Any]] = [func.count()]
    for code in CARRIER_CODES:
        aggs += [func.sum(per.c[t.quantity_column(code)]), func.sum(per.c[t.cost_column(code)])]
    aggs += [func.sum(p.c.occupants), func.sum(p.c.floor_area_m2)]
    stmt = (
        select(*keys, has_occ, has_area, *aggs)
        .select_from(_mapped(
            per.join(i, i.c.id == per.c.institution_id).outerjoin(
                p, and_(p.c.institution_id == per.c.institution_id, p.c.year == literal(year))
            ), i, region_groups))
        .where(*institution_conditions(conn, filters, categories=categories))
        .group_by(*keys, has_occ, has_area)
    )
    return _merge_rows(conn.execute(stmt), len(keys))


def _rollup_applies(months: tuple[int, int] | None, filters: Filters) -> bool:
    """Whether a read is region-level and whole-year, so the group roll-ups hold it."""
    return _check_months(months) is None and not filters.below_region


_region_map = temp_table(
    "_jn_region_map",
    Column("code", CHAR(6), primary_key=True),
    Column("group_code", CHAR(6), nullable=False),
)


def _region_key(
    conn: Connection, table: Any, region_groups: Mapping[str, str] | None
) -> ColumnElement[Any]:
    """The region key of a grouping: ``table.region_code``, or its mapped code (the
    map is loaded into a temporary table here; join it with :func:`_mapped`)."""
    if region_groups is None:
        return cast(ColumnElement[Any], table.c.region_code)
    _load_region_map(conn, region_groups)
    return _region_map.c.group_code.label("region_code")


_MAP_LOADED = "jieneng.region_map"


def _load_region_map(conn: Connection, region_groups: Mapping[str, str]) -> None:
    """Load the map into the temporary table — once per transaction: a later read of
    the same transaction with the same map (the overview's sums and expected counts,
    this year and the year before) finds it loaded. Not inside a savepoint (its rollback
    would take the rows and leave the mark)."""
    pairs = tuple(sorted(region_groups.items()))
    mark = conn.info.get(_MAP_LOADED)
    if (mark is not None and mark[0] == pairs and not conn.in_nested_transaction()
            and mark[1]() is not None and mark[1]() is conn.get_transaction()):
        return
    conn.info.pop(_MAP_LOADED, None)
    ensure_temp(conn, _region_map)
    if pairs:
        # executemany of one cached INSERT (the driver batches it; a multi-row VALUES
        # of a hundred regions was compiled anew on every read: ≈ 5 ms).
        conn.execute(_region_map.insert(),
                     [{"code": code, "group_code": group} for code, group in pairs])
    transaction = conn.get_transaction()
    if transaction is not None and not conn.in_nested_transaction():
        conn.info[_MAP_LOADED] = (pairs, weakref.ref(transaction))


def _mapped(source: Any, table: Any, region_groups: Mapping[str, str] | None) -> Any:
    if region_groups is None:
        return source
    return source.join(_region_map, _region_map.c.code == table.c.region_code)


def _group_year_select(
    conn: Connection, year: int, filters: Filters, *, categories: Sequence[str] | None,
    region_groups: Mapping[str, str] | None,
) -> Any:
    """The rows of :func:`group_sums` (region_category, whole year) read from the
    group roll-up ``consumption_group_year`` — a few rows per (region, category)
    instead of one per institution; same grouping, same sums."""
    g = t.consumption_group_year
    key = _region_key(conn, g, region_groups)
    cols: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        cols += [func.sum(g.c[t.quantity_column(code)]), func.sum(g.c[t.cost_column(code)])]
    return (
        select(key, g.c.category, g.c.has_occupants.label("has_occ"), g.c.has_area,
               func.sum(g.c.institutions_reported), *cols, func.sum(g.c.occupants),
               func.sum(g.c.floor_area_m2))
        .select_from(_mapped(g, g, region_groups))
        .where(g.c.year == year, *group_conditions(conn, g, filters, categories=categories))
        .group_by(key, g.c.category, g.c.has_occupants, g.c.has_area)
    )


def _merge_rows(rows: Any, nkeys: int) -> list[dict[str, Any]]:
    """Merge rows ``(*keys, has_occ, has_area, count, q/c per carrier, Σ occupants,
    Σ floor area)`` into one item per key (see :func:`group_sums`)."""
    key_names = list(rows.keys())[:nkeys]
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[:nkeys])
        d = groups.get(key)
        if d is None:
            d = dict(zip(key_names, key, strict=True))
            d["institutions_reported"] = 0
            for field in ("quantity", "quantity_with_occupants", "quantity_with_area",
                          "cost_yuan"):
                d[field] = dict.fromkeys(CARRIER_CODES, 0.0)
            d["occupants"] = 0.0
            d["floor_area_m2"] = 0.0
            groups[key] = d
        occ, area = row[nkeys], row[nkeys + 1]
        v = row[nkeys + 2:]
        d["institutions_reported"] += int(v[0])
        q, qo, qa, cost = (d["quantity"], d["quantity_with_occupants"],
                           d["quantity_with_area"], d["cost_yuan"])
        for n, c in enumerate(CARRIER_CODES):
            qv = _f(v[1 + 2 * n])
            q[c] += qv
            cost[c] += _f(v[2 + 2 * n])
            if occ:
                qo[c] += qv
            if area:
                qa[c] += qv
        if occ:
            d["occupants"] += _f(v[-2])
        if area:
            d["floor_area_m2"] += _f(v[-1])
    return [groups[k] for k in sorted(groups)]


def expected_counts(
    conn: Connection,
    filters: Filters,
    *,
    year: int,
    months: tuple[int, int] | None = None,
    categories: Sequence[str] | None = None,
    region_groups: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Institutions expected to report per ``(region_code, category)`` under the same
    filters as :func:`group_sums`: items ``region_code, category, institutions_expected``.

    Expected = active now, or reported in the period (an institution closed since
    was expected for the months it still reported), so that reported ≤ expected.
    Region-level whole-year reads add ``institution_group`` (active) and
    ``consumption_group_year.institutions_closed``. ``region_groups`` as in
    :func:`group_sums`.
    """
    if _rollup_applies(months, filters):
        stmt = _expected_from_groups(conn, year, filters, categories=categories,
                                     region_groups=region_groups)
    else:
        i = t.institution
        key = _region_key(conn, i, region_groups)
        stmt = (
            select(key, i.c.category, func.count().label("n"))
            .select_from(_mapped(i, i, region_groups))
            .where(or_(i.c.status == "active", _reported_in(i.c.id, year, months)),
                   *institution_conditions(conn, filters, categories=categories))
            .group_by(key, i.c.category)
            .order_by(key, i.c.category)
        )
    return [
        {"region_code": r, "category": c, "institutions_expected": int(n)}
        for r, c, n in conn.execute(stmt)
    ]


def _expected_from_groups(
    conn: Connection, year: int, filters: Filters, *, categories: Sequence[str] | None,
    region_groups: Mapping[str, str] | None,
) -> Any:
    a, g = t.institution_group, t.consumption_group_year
    _region_key(conn, a, region_groups)  # loads the map once for both parts
    key_a = a.c.region_code if region_groups is None else _region_map.c.group_code
    key_g = g.c.region_code if region_groups is None else _region_map.c.group_code
    parts = union_all(
        select(key_a.label("region_code"), a.c.category,
               a.c.institutions_active.label("n"))
        .select_from(_mapped(a, a, region_groups))
        .where(*group_conditions(conn, a, filters, categories=categories)),
        select(key_g.label("region_code"), g.c.category, g.c.institutions_closed.label("n"))
        .select_from(_mapped(g, g, region_groups))
        .where(g.c.year == year, g.c.institutions_closed > 0,
               *group_conditions(conn, g, filters, categories=categories)),
    ).subquery("parts")
    return (
        select(parts.c.region_code, parts.c.category, func.sum(parts.c.n))
        .group_by(parts.c.region_code, parts.c.category)
        .having(func.sum(parts.c.n) > 0)
        .order_by(parts.c.region_code, parts.c.category)
    )


def _reported_in(
    institution_id: ColumnElement[Any], year: int, months: tuple[int, int] | None
) -> ColumnElement[bool]:
    """Whether the institution has a figure in the period (one primary-key probe;
    only evaluated for the few institutions that are not active)."""
    months = _check_months(months)
    if months is None:
        cy = t.consumption_year
        return exists(select(1).where(cy.c.institution_id == institution_id,
                                      cy.c.year == year, cy.c.months_reported > 0))
    cm = t.consumption_month
    return exists(select(1).where(cm.c.institution_id == institution_id, cm.c.year == year,
                                  cm.c.month.between(*months)))


def institution_inputs(
    conn: Connection,
    filters: Filters,
    *,
    year: int,
    months: tuple[int, int] | None = None,
    categories: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The institution-level inputs behind a group, for explaining a figure.

    One item per institution of the filters that is active or reported: ``institution_id,
    credit_code, name, region_code, category, status, reported, months_reported,
    occupants, floor_area_m2`` (the profile as stored, ``None`` if missing) and
    ``quantity``, ``cost_yuan`` (dicts by carrier; ``None`` where nothing was reported).
    Whether an institution counts in the per-capita / per-area sums follows from
    ``occupants > 0`` / ``floor_area_m2 > 0``.
    """
    i, p = t.institution, t.institution_profile
    per = _period(conn, year, months)
    vals: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        vals += [per.c[t.quantity_column(code)], per.c[t.cost_column(code)]]
    stmt = (
        select(i.c.id, i.c.credit_code, i.c.name, i.c.region_code, i.c.category, i.c.status,
               per.c.n_months, p.c.occupants, p.c.floor_area_m2, *vals)
        .select_from(
            i.outerjoin(per, per.c.institution_id == i.c.id).outerjoin(
                p, and_(p.c.institution_id == i.c.id, p.c.year == literal(year))
            )
        )
        .where(or_(i.c.status == "active", per.c.institution_id.is_not(None)),
               *institution_conditions(conn, filters, categories=categories))
        .order_by(i.c.region_code, i.c.category, i.c.credit_code)
    )
    out: list[dict[str, Any]] = []
    for r in conn.execute(stmt):
        v = r[9:]
        out.append({
            "institution_id": r[0], "credit_code": r[1], "name": r[2], "region_code": r[3],
            "category": r[4], "status": r[5], "reported": r[6] is not None,
            "months_reported": int(r[6] or 0),
            "occupants": None if r[7] is None else float(r[7]),
            "floor_area_m2": None if r[8] is None else float(r[8]),
            "quantity": {c: v[2 * n] for n, c in enumerate(CARRIER_CODES)},
            "cost_yuan": {c: v[2 * n + 1] for n, c in enumerate(CARRIER_CODES)},
        })
    return out
