"""Group roll-ups: ``consumption_group_year`` and ``consumption_group_month``.

The region-level dashboards (a province of 50,000 institutions) read sums per
(region, category) — see decision 0004. These tables hold them, exactly as
:func:`jieneng.storage.indicators.group_sums` and
:func:`jieneng.storage.dashboard.monthly_sums` would compute them from the
institution roll-ups, so that a reader may take either path and get the same sums.

``institution_group`` holds the active institutions per (region, category) — the
应报 count — and ``consumption_group_year.institutions_closed`` the reported ones
closed since, so that expected = active + closed-but-reported needs no scan of the
directory.

Maintenance is by **rebuild, never increment**: every transaction that changes
what a group sums — figures (``write_consumption``), an institution's region,
category or status (``upsert_institutions``), a profile's 用能人数 / 建筑面积
(``upsert_profiles``) — *notes* the (region_code, category, year) groups it
touches (before and after the change) in a temporary table, and
:func:`refresh_noted` deletes and re-inserts those groups from
``consumption_year`` / ``consumption_month`` with one ``INSERT … SELECT`` each.

Concurrency (PostgreSQL): two transactions refreshing the same group under READ
COMMITTED would collide on its primary key, or the one refreshing first could miss
the other's rows. :func:`refresh_noted` therefore takes a transaction-scoped
advisory lock (:data:`ADVISORY_LOCK_KEY`) first, held to commit: refreshes are
serialised, and each sees every figure committed before it plus its own, so the
last refresher of a group writes its complete sums. SQLite has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CHAR,
    Column,
    Connection,
    Integer,
    SmallInteger,
    String,
    and_,
    case,
    delete,
    func,
    select,
    tuple_,
)
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES

from . import tables as t
from .bulk import analyze, ensure_temp, temp_table
from .meta import touch_data_version

#: Key of ``pg_advisory_xact_lock`` serialising group refreshes ("jn-groups").
ADVISORY_LOCK_KEY = 0x6A6E_6772
#: Taken shared by a write of a few institution-years' figures, exclusive by a bulk
#: write ("jncw", :func:`jieneng.storage.consumption.lock_institution_years`). Lock
#: order on PostgreSQL: this one, then an institution-year's, then the groups' lock.
WRITES_LOCK_KEY = 0x6A6E_6377

_noted = temp_table(
    "_jn_group_keys",
    Column("region_code", CHAR(6)),
    Column("category", String(3)),
    Column("year", SmallInteger),
)
_ids = temp_table("_jn_group_ids", Column("id", Integer, primary_key=True))

_KEY = ("region_code", "category", "year")


def _carrier_cols(carriers: Sequence[str] = CARRIER_CODES) -> list[str]:
    out: list[str] = []
    for code in carriers:
        out += [t.quantity_column(code), t.cost_column(code)]
    return out


def note_institution_years(conn: Connection, keys: Any) -> None:
    """Note the groups of (institution_id, year) rows selected by ``keys`` (a
    selectable with those two columns), with the institutions' current region and
    category."""
    i = t.institution
    k = keys.subquery() if hasattr(keys, "subquery") else keys
    conn.execute(CreateTable(_noted, if_not_exists=True))
    conn.execute(_noted.insert().from_select(
        list(_KEY),
        select(i.c.region_code, i.c.category, k.c.year)
        .select_from(k.join(i, i.c.id == k.c.institution_id))
        .distinct(),
    ))


def note_institutions(conn: Connection, ids: Any) -> None:
    """Note every group holding data of the institutions selected by ``ids`` (a
    selectable of one id column), in every year, with their current region and
    category. Call before *and* after changing an institution's region or category."""
    cy = t.consumption_year
    note_institution_years(
        conn, select(cy.c.institution_id, cy.c.year).where(cy.c.institution_id.in_(ids)))


def refresh_noted(conn: Connection) -> int:
    """Rebuild the noted groups in both tables; returns how many groups were noted.

    Takes the advisory lock on PostgreSQL (see the module docstring)."""
    conn.execute(CreateTable(_noted, if_not_exists=True))
    keys = select(*(_noted.c[c] for c in _KEY)).distinct()
    count = conn.execute(select(func.count()).select_from(keys.subquery())).scalar_one()
    if count == 0:
        return 0
    if conn.dialect.name == "postgresql":
        # the writes' lock first (shared; held already by a consumption write), so a
        # transaction that refreshes groups and then writes figures takes the locks in
        # the same order as one that writes figures first (no deadlock)
        conn.execute(select(func.pg_advisory_xact_lock_shared(WRITES_LOCK_KEY)))
        conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    analyze(conn, _noted)
    # Institutions of the noted (region, category) pairs, through the directory index.
    ensure_temp(conn, _ids)
    i = t.institution
    pairs = select(_noted.c.region_code, _noted.c.category).distinct()
    conn.execute(_ids.insert().from_select(
        ["id"], select(i.c.id).where(tuple_(i.c.region_code, i.c.category).in_(pairs))))
    analyze(conn, _ids)
    years = sorted({int(y) for y in conn.execute(select(_noted.c.year).distinct()).scalars()})
    held = _held_carriers(conn, years)
    for table in (t.consumption_group_year, t.consumption_group_month):
        conn.execute(delete(table).where(tuple_(*(table.c[c] for c in _KEY)).in_(keys)))
    conn.execute(t.consumption_group_year.insert().from_select(
        [*_KEY, "has_occupants", "has_area", "institutions_reported", "institutions_closed",
         *_carrier_cols(held),
         "occupants", "floor_area_m2"],
        year_groups_select(years=years, ids=select(_ids.c.id), keys=keys, carriers=held)))
    conn.execute(t.consumption_group_month.insert().from_select(
        [*_KEY, "month", "institutions_reported", *_carrier_cols(held)],
        month_groups_select(years=years, ids=select(_ids.c.id), keys=keys, carriers=held)))
    conn.execute(_noted.delete())
    touch_data_version(conn)
    return int(count)


def _held_carriers(conn: Connection, years: Sequence[int]) -> list[str]:
    """The carriers with a figure (quantity or cost) in the year roll-ups of the noted
    institutions (``_ids``) in ``years``. Only their columns are summed into the group
    rows: every other column is NULL in each of those years' and months' rows (a year
    row sums its months), so its group sums are NULL, as the columns left out are. One
    pass over the year rows spares summing 24 columns of every month row (a province's
    month roll-up sorts 28 columns instead of 6 for an electricity-only file)."""
    cy = t.consumption_year
    counts = conn.execute(
        select(*(func.count(cy.c[t.quantity_column(c)]) + func.count(cy.c[t.cost_column(c)])
                 for c in CARRIER_CODES))
        .where(cy.c.year.in_(list(years)), cy.c.institution_id.in_(select(_ids.c.id)))
    ).one()
    return [code for code, n in zip(CARRIER_CODES, counts, strict=True) if n]


def rebuild_all(conn: Connection) -> None:
    """Recompute the group tables from scratch (after a bulk load)."""
    rebuild_directory_counts(conn)
    conn.execute(delete(t.consumption_group_year))
    conn.execute(delete(t.consumption_group_month))
    conn.execute(t.consumption_group_year.insert().from_select(
        [*_KEY, "has_occupants", "has_area", "institutions_reported", "institutions_closed",
         *_carrier_cols(),
         "occupants", "floor_area_m2"],
        year_groups_select()))
    conn.execute(t.consumption_group_month.insert().from_select(
        [*_KEY, "month", "institutions_reported", *_carrier_cols()],
        month_groups_select()))


def rebuild_directory_counts(conn: Connection) -> None:
    """Recompute ``institution_group`` (active institutions per region and category)
    from the directory: one aggregate over ``institution``, run by every directory
    write (they are rare; the directory of a province is 10⁴–10⁵ rows)."""
    i, g = t.institution, t.institution_group
    touch_data_version(conn)
    conn.execute(delete(g))
    conn.execute(g.insert().from_select(
        ["region_code", "category", "institutions_active"],
        select(i.c.region_code, i.c.category, func.count())
        .where(i.c.status == "active").group_by(i.c.region_code, i.c.category)))


def _restrict(
    inst_col: ColumnElement[Any], year_col: ColumnElement[Any], *, years: Sequence[int] | None,
    ids: Any, keys: Any,
) -> list[ColumnElement[bool]]:
    i = t.institution
    out: list[ColumnElement[bool]] = []
    if years is not None:
        out.append(year_col.in_(list(years)))
    if ids is not None:
        out.append(inst_col.in_(ids))
    if keys is not None:
        out.append(tuple_(i.c.region_code, i.c.category, year_col).in_(keys))
    return out


def year_groups_select(
    *, years: Sequence[int] | None = None, ids: Any = None, keys: Any = None,
    carriers: Sequence[str] = CARRIER_CODES,
) -> Any:
    """Group-year rows from ``consumption_year`` (reported institution-years) and the
    profile of the same year — the grouping of
    :func:`jieneng.storage.indicators.group_sums`."""
    cy, i, p = t.consumption_year, t.institution, t.institution_profile
    has_occ = case((p.c.occupants > 0, 1), else_=0)
    has_area = case((p.c.floor_area_m2 > 0, 1), else_=0)
    sums: list[ColumnElement[Any]] = [func.sum(cy.c[c]) for c in _carrier_cols(carriers)]
    closed = func.sum(case((i.c.status == "closed", 1), else_=0))
    return (
        select(i.c.region_code, i.c.category, cy.c.year, has_occ, has_area, func.count(),
               closed, *sums, func.sum(p.c.occupants), func.sum(p.c.floor_area_m2))
        .select_from(cy.join(i, i.c.id == cy.c.institution_id).outerjoin(
            p, and_(p.c.institution_id == cy.c.institution_id, p.c.year == cy.c.year)))
        .where(cy.c.months_reported > 0,
               *_restrict(cy.c.institution_id, cy.c.year, years=years, ids=ids, keys=keys))
        .group_by(i.c.region_code, i.c.category, cy.c.year, has_occ, has_area)
    )


def month_groups_select(
    *, years: Sequence[int] | None = None, ids: Any = None, keys: Any = None,
    carriers: Sequence[str] = CARRIER_CODES,
) -> Any:
    """Group-month rows from ``consumption_month``; ``carriers``: the columns summed."""
    cm, i = t.consumption_month, t.institution
    sums: list[ColumnElement[Any]] = [func.sum(cm.c[c]) for c in _carrier_cols(carriers)]
    return (
        select(i.c.region_code, i.c.category, cm.c.year, cm.c.month, func.count(), *sums)
        .select_from(cm.join(i, i.c.id == cm.c.institution_id))
        .where(*_restrict(cm.c.institution_id, cm.c.year, years=years, ids=ids, keys=keys))
        .group_by(i.c.region_code, i.c.category, cm.c.year, cm.c.month)
    )


def noted_groups(conn: Connection) -> list[tuple[str, str, int]]:
    """The groups noted so far (for tests)."""
    conn.execute(CreateTable(_noted, if_not_exists=True))
    rows = conn.execute(select(*(_noted.c[c] for c in _KEY)).distinct().order_by(*_KEY))
    return [(str(r), str(c), int(y)) for r, c, y in rows]


__all__ = [
    "ADVISORY_LOCK_KEY", "month_groups_select", "note_institution_years",
    "note_institutions", "noted_groups", "rebuild_all", "rebuild_directory_counts",
    "refresh_noted",
    "year_groups_select",
]
