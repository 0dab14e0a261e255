"""The institution directory as read by people: search, one entry, its history, and
an institution's own figures (current records, every revision, the monthly series).

Every scoped query takes the caller's :class:`jieneng.core.scope.Filters` (from
:func:`jieneng.services.scope.scoped_filters`) whole and applies it through
:func:`jieneng.storage.scoping.institution_conditions` — the condition the
indicators use — so the directory shows exactly what the indicators count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, or_, select, true, tuple_
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.scope import Filters

from . import tables as t
from .scoping import institution_conditions

_DEPT = t.institution.alias("dept")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _latest_profile() -> Any:
    p = t.institution_profile
    return (
        select(p.c.institution_id, func.max(p.c.year).label("year"))
        .group_by(p.c.institution_id)
        .subquery("latest")
    )


def _entry_select(conn: Connection, conditions: list[ColumnElement[bool]]) -> Select[Any]:
    i, r, p = t.institution, t.region, t.institution_profile
    latest = _latest_profile()
    return (
        select(
            i.c.id, i.c.credit_code, i.c.name, i.c.region_code, r.c.name.label("region_name"),
            i.c.category, i.c.department_id, _DEPT.c.credit_code.label("department_code"),
            _DEPT.c.name.label("department_name"), i.c.key_energy_user, i.c.status,
            p.c.year.label("profile_year"), p.c.occupants, p.c.floor_area_m2,
        )
        .select_from(
            i.join(r, r.c.code == i.c.region_code)
            .outerjoin(_DEPT, _DEPT.c.id == i.c.department_id)
            .outerjoin(latest, latest.c.institution_id == i.c.id)
            .outerjoin(p, and_(p.c.institution_id == i.c.id, p.c.year == latest.c.year))
        )
        .where(*conditions)
    )


def _entry(row: Any) -> dict[str, Any]:
    return {
        "institution_id": int(row.id),
        "credit_code": row.credit_code,
        "name": row.name,
        "region_code": row.region_code,
        "region_name": row.region_name,
        "category": row.category,
        "department_id": row.department_id,
        "department_code": row.department_code,
        "department_name": row.department_name,
        "key_energy_user": bool(row.key_energy_user),
        "status": row.status,
        "profile_year": None if row.profile_year is None else int(row.profile_year),
        "occupants": None if row.occupants is None else int(row.occupants),
        "floor_area_m2": None if row.floor_area_m2 is None else float(row.floor_area_m2),
    }


def search_institutions(
    conn: Connection,
    filters: Filters,
    *,
    name_key_fragment: str | None = None,
    code_prefix: str | None = None,
    categories: Sequence[str] | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Directory entries matching every given condition, and their total count.

    ``name_key_fragment`` (already folded with :func:`jieneng.core.names.name_key`)
    matches anywhere in ``institution.name_key``; ``code_prefix`` matches the start
    of the credit code; when both are given either may match (one search box).
    Items: ``institution_id, credit_code, name, region_code, region_name, category,
    department_id, department_code, department_name, key_energy_user, status`` and
    the latest profile (``profile_year, occupants, floor_area_m2``; None if none).
    Ordered by region, category and credit code.
    """
    i = t.institution
    conditions = institution_conditions(conn, filters, categories=categories)
    text_terms: list[ColumnElement[bool]] = []
    if name_key_fragment:
        text_terms.append(
            i.c.name_key.like(f"%{_escape_like(name_key_fragment)}%", escape="\\"))
    if code_prefix:
        text_terms.append(i.c.credit_code.like(f"{_escape_like(code_prefix)}%", escape="\\"))
    if text_terms:
        conditions.append(or_(*text_terms))
    if status is not None:
        conditions.append(i.c.status == status)
    total = conn.execute(
        select(func.count()).select_from(i).where(*conditions)
    ).scalar_one()
    stmt = (
        _entry_select(conn, conditions)
        .order_by(i.c.region_code, i.c.category, i.c.credit_code)
        .limit(limit)
        .offset(offset)
    )
    return [_entry(row) for row in conn.execute(stmt)], int(total)


def directory_entry(conn: Connection, institution_id: int) -> dict[str, Any] | None:
    """One institution's directory entry (the item of :func:`search_institutions`)."""
    row = conn.execute(
        _entry_select(conn, [t.institution.c.id == institution_id])
    ).one_or_none()
    return None if row is None else _entry(row)


def profile_history(conn: Connection, institution_id: int) -> list[dict[str, Any]]:
    """Every yearly profile (NY101) of an institution, oldest first."""
    p = t.institution_profile
    cols = ("year", "occupants", "staff_quota", "floor_area_m2", "heated_area_m2",
            "vehicles_gasoline", "vehicles_diesel", "vehicles_nev", "import_id")
    rows = conn.execute(
        select(*(p.c[c] for c in cols)).where(p.c.institution_id == institution_id)
        .order_by(p.c.year)
    ).mappings()
    return [dict(r) for r in rows]


def data_years(conn: Connection, institution_id: int, *, limit: int = 3) -> list[int]:
    """The latest ``limit`` years with at least one figure, oldest first."""
    cy = t.consumption_year
    years = conn.execute(
        select(cy.c.year).where(cy.c.institution_id == institution_id, cy.c.months_reported > 0)
        .order_by(cy.c.year.desc()).limit(limit)
    ).scalars().all()
    return sorted(int(y) for y in years)


def record_counts(conn: Connection, institution_id: int) -> dict[str, int]:
    """``records`` (current figures), ``revisions`` (rows with revision ≥ 2, i.e. the
    corrections ever made) and ``rows`` (every stored row) of an institution."""
    cr = t.consumption_record
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((cr.c.is_current == true(), 1), else_=0)), 0),
            func.coalesce(func.sum(case((cr.c.revision > 1, 1), else_=0)), 0),
        ).where(cr.c.institution_id == institution_id)
    ).one()
    return {"rows": int(row[0]), "records": int(row[1]), "revisions": int(row[2])}


def current_records(
    conn: Connection, institution_id: int, periods: Sequence[tuple[int, int]]
) -> list[dict[str, Any]]:
    """The current figures of an institution for the (year, month) ``periods``:
    items ``year, month, carrier, quantity, cost_yuan, entered_value, entered_unit,
    source, revision, recorded_at``."""
    cr = t.consumption_record
    if not periods:
        return []
    stmt = (
        select(cr.c.year, cr.c.month, cr.c.carrier, cr.c.quantity, cr.c.cost_yuan,
               cr.c.entered_value, cr.c.entered_unit, cr.c.source, cr.c.revision,
               cr.c.recorded_at)
        .where(cr.c.institution_id == institution_id, cr.c.is_current == true(),
               tuple_(cr.c.year, cr.c.month).in_([tuple(p) for p in periods]))
        .order_by(cr.c.year, cr.c.month, cr.c.carrier)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def visible_institution_ids(conn: Connection, filters: Filters) -> set[int]:
    """The ids of every institution the filters let through (one query)."""
    i = t.institution
    conditions = institution_conditions(conn, filters)
    return {int(v) for v in conn.execute(select(i.c.id).where(*conditions)).scalars()}


def history(
    conn: Connection, institution_id: int, *, year: int | None = None,
    carrier: str | None = None,
) -> list[dict[str, Any]]:
    """Every revision of an institution's figures, by key, newest revision first."""
    cr = t.consumption_record
    q = select(cr).where(cr.c.institution_id == institution_id)
    if year is not None:
        q = q.where(cr.c.year == year)
    if carrier is not None:
        q = q.where(cr.c.carrier == carrier)
    q = q.order_by(cr.c.year, cr.c.month, cr.c.carrier, cr.c.revision.desc())
    out = []
    for r in conn.execute(q).mappings():
        d = dict(r)
        d["is_current"] = bool(d["is_current"])
        out.append(d)
    return out


def monthly_series(
    conn: Connection, institution_id: int, years: Sequence[int]
) -> list[dict[str, Any]]:
    """One institution's monthly roll-ups for ``years``, in time order.

    Each item: ``year, month, quantity`` and ``cost_yuan`` (dicts keyed by carrier
    code; ``None`` where nothing was reported). Months without any figure are absent.
    """
    cm = t.consumption_month
    q = (
        select(cm)
        .where(cm.c.institution_id == institution_id, cm.c.year.in_(list(years)))
        .order_by(cm.c.year, cm.c.month)
    )
    out: list[dict[str, Any]] = []
    for r in conn.execute(q).mappings():
        out.append({
            "year": int(r["year"]),
            "month": int(r["month"]),
            "quantity": {c: r[t.quantity_column(c)] for c in CARRIER_CODES},
            "cost_yuan": {c: r[t.cost_column(c)] for c in CARRIER_CODES},
        })
    return out
