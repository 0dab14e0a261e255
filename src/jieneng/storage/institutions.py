"""Institutions (公共机构) and their yearly profiles (NY101 basic information)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import (
    CHAR,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    SmallInteger,
    String,
    exists,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.exceptions import NotFound

from . import groups
from . import tables as t
from ._stage import insert_missing, stage_frame, update_changed, upsert_from_stage
from .bulk import ensure_temp, temp_table
from .meta import touch_data_version
from .results import UpsertCounts

INSTITUTION_COLUMNS: tuple[str, ...] = (
    "credit_code", "name", "name_key", "region_code", "category",
    "department_credit_code", "key_energy_user", "status",
)
PROFILE_VALUE_COLUMNS: tuple[str, ...] = (
    "occupants", "staff_quota", "floor_area_m2", "heated_area_m2",
    "vehicles_gasoline", "vehicles_diesel", "vehicles_nev",
)

__all__ = [
    "InstitutionRow", "UpsertCounts", "get_institution", "institution_lookup",
    "upsert_institutions", "upsert_profiles",
]

_inst_stage = temp_table(
    "_jn_institution_stage",
    Column("credit_code", CHAR(18), primary_key=True),
    Column("name", String(200)),
    Column("name_key", String(200)),
    Column("region_code", CHAR(6)),
    Column("category", String(3)),
    Column("department_credit_code", CHAR(18)),
    Column("department_id", Integer),
    Column("key_energy_user", Boolean),
    Column("status", String(8)),
    Column("is_new", Boolean),
)

_moved = temp_table("_jn_moved_institutions", Column("id", Integer, primary_key=True))

_profile_stage = temp_table(
    "_jn_profile_stage",
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("occupants", Integer),
    Column("staff_quota", Integer),
    Column("floor_area_m2", Float(53)),
    Column("heated_area_m2", Float(53)),
    Column("vehicles_gasoline", Integer),
    Column("vehicles_diesel", Integer),
    Column("vehicles_nev", Integer),
)


@dataclass(frozen=True, slots=True)
class InstitutionRow:
    id: int
    credit_code: str
    name: str
    name_key: str
    region_code: str
    category: str
    department_id: int | None
    key_energy_user: bool
    status: str
    import_id: int | None


def institution_lookup(conn: Connection) -> pl.DataFrame:
    """Every institution as ``credit_code, institution_id, name, name_key, region_code``
    (for resolving the codes and names of an import in bulk)."""
    i = t.institution
    rows = conn.execute(
        select(i.c.credit_code, i.c.id, i.c.name, i.c.name_key, i.c.region_code)
        .order_by(i.c.id)
    ).all()
    schema = {
        "credit_code": pl.String, "institution_id": pl.Int64, "name": pl.String,
        "name_key": pl.String, "region_code": pl.String,
    }
    # built column by column (a tuple per row costs 4× as much for a province's directory)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pl.DataFrame(dict(zip(schema, columns, strict=True)), schema=schema)


def upsert_institutions(conn: Connection, frame: pl.DataFrame, *, import_id: int | None
                        ) -> UpsertCounts:
    """Insert new institutions and update changed ones, keyed by credit code.

    ``frame`` columns: ``credit_code, name, name_key, region_code, category,
    department_credit_code`` (null for none), ``key_energy_user, status``. The
    competent department may be an institution of the same frame. An unknown
    department credit code raises :class:`NotFound` (the transaction should then
    be rolled back by the caller).
    """
    missing = [c for c in INSTITUTION_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"institution frame lacks column(s) {missing}")
    frame = frame.select(INSTITUTION_COLUMNS).unique("credit_code", keep="last",
                                                     maintain_order=True)
    stage_frame(conn, _inst_stage, frame)
    s, i = _inst_stage, t.institution
    extra = {"import_id": import_id}
    # 1. New institutions first (without department), so that a department new in
    #    this frame has an id when its subordinates are linked.
    conn.execute(update(s).values(is_new=~exists(
        select(1).select_from(i).where(i.c.credit_code == s.c.credit_code))))
    values = ["name", "name_key", "region_code", "category", "key_energy_user", "status"]
    inserted = insert_missing(conn, i, s, keys=["credit_code"], values=values, extra=extra)
    # 2. Resolve department credit codes against the whole directory.
    conn.execute(
        update(s)
        .where(s.c.department_credit_code.is_not(None))
        .values(department_id=select(i.c.id)
                .where(i.c.credit_code == s.c.department_credit_code).scalar_subquery())
    )
    unknown = conn.execute(
        select(s.c.department_credit_code)
        .where(s.c.department_credit_code.is_not(None), s.c.department_id.is_(None))
        .distinct().order_by(s.c.department_credit_code).limit(20)
    ).scalars().all()
    if unknown:
        codes = ", ".join(unknown)
        raise NotFound.of(
            "institutions.unknown_department", codes=codes,
            credit_codes=list(unknown),
        )
    # 3. Update what differs, department included; the new rows that only get their
    #    department now are not "updated". An institution moving to another region
    #    or category leaves its old groups and joins new ones: both are refreshed
    #    (and the active counts, as for a status change or a new institution).
    moved = _note_moved(conn)
    changed = update_changed(conn, i, s, keys=["credit_code"],
                             values=[*values, "department_id"], extra=extra)
    if moved:
        groups.note_institutions(conn, select(_moved.c.id))
        groups.refresh_noted(conn)
    if inserted or moved:
        groups.rebuild_directory_counts(conn)
    touch_data_version(conn)  # names and departments show on the dashboards too
    linked_new = conn.execute(
        select(func.count()).select_from(s).where(s.c.is_new == true(),
                                                  s.c.department_id.is_not(None))
    ).scalar_one()
    updated = changed - int(linked_new)
    return UpsertCounts(inserted, updated)


def _note_moved(conn: Connection) -> int:
    """Keep the ids of the staged institutions whose region, category or status
    changes in ``_moved`` and note their current groups; returns how many there are."""
    s, i = _inst_stage, t.institution
    ensure_temp(conn, _moved)
    conn.execute(_moved.insert().from_select(["id"], select(i.c.id).select_from(
        i.join(s, s.c.credit_code == i.c.credit_code)).where(
        or_(i.c.region_code != s.c.region_code, i.c.category != s.c.category,
            i.c.status != s.c.status))))
    n = int(conn.execute(select(func.count()).select_from(_moved)).scalar_one())
    if n:
        groups.note_institutions(conn, select(_moved.c.id))
    return n


def upsert_profiles(conn: Connection, frame: pl.DataFrame, *, import_id: int | None
                    ) -> UpsertCounts:
    """Insert or update yearly profiles keyed by ``(institution_id, year)``.

    ``frame`` columns: ``institution_id, year, occupants, staff_quota, floor_area_m2,
    heated_area_m2, vehicles_gasoline, vehicles_diesel, vehicles_nev`` (a missing
    value column is stored as null).
    """
    cols = ["institution_id", "year", *PROFILE_VALUE_COLUMNS]
    frame = frame.with_columns(
        pl.lit(None).alias(c) for c in PROFILE_VALUE_COLUMNS if c not in frame.columns
    ).select(cols).unique(["institution_id", "year"], keep="last", maintain_order=True)
    stage_frame(conn, _profile_stage, frame)
    inserted, updated = upsert_from_stage(
        conn, t.institution_profile, _profile_stage, keys=["institution_id", "year"],
        values=list(PROFILE_VALUE_COLUMNS), extra={"import_id": import_id},
    )
    # 用能人数 / 建筑面积 enter the group roll-ups of the same year.
    ps = _profile_stage
    groups.note_institution_years(conn, select(ps.c.institution_id, ps.c.year))
    groups.refresh_noted(conn)
    return UpsertCounts(inserted, updated)


def get_institution(conn: Connection, credit_code: str) -> InstitutionRow | None:
    """The institution with this credit code, or ``None``."""
    return _one(conn, t.institution.c.credit_code == credit_code)


def get_institution_by_id(conn: Connection, institution_id: int) -> InstitutionRow | None:
    """The institution with this id, or ``None``."""
    return _one(conn, t.institution.c.id == institution_id)


def institutions_by_codes(conn: Connection, credit_codes: Sequence[str],
                          where: Sequence[ColumnElement[bool]] = ()) -> dict[str, InstitutionRow]:
    """Credit code → institution for those of ``credit_codes`` that exist and meet
    ``where`` (a scope's conditions), a few thousand codes per query."""
    i, codes, out = t.institution, sorted(set(credit_codes)), {}
    for k in range(0, len(codes), 5000):
        query = select(i).where(i.c.credit_code.in_(codes[k:k + 5000]), *where)
        out.update({r.credit_code: _row(r) for r in conn.execute(query)})
    return out


def _one(conn: Connection, condition: ColumnElement[bool]) -> InstitutionRow | None:
    i = t.institution
    r = conn.execute(select(i).where(condition)).one_or_none()
    return None if r is None else _row(r)


def _row(r: Any) -> InstitutionRow:
    return InstitutionRow(
        id=r.id, credit_code=r.credit_code, name=r.name, name_key=r.name_key,
        region_code=r.region_code, category=r.category, department_id=r.department_id,
        key_energy_user=bool(r.key_energy_user), status=r.status, import_id=r.import_id,
    )
