"""Vehicles, parking and charging spaces, coal-fired equipment (issue 14 §5). Migration
``0021_fleet`` creates the tables.

- ``fleet_vehicle`` — one vehicle of an institution by ``vehicle_no``: the unit's own
  internal number, or ``plate:`` + the SHA-256 of the plate (the ingest hashes a plate;
  nothing personal is stored), its fuel kind (:mod:`jieneng.core.fleet`), purchase year,
  status (``in_service`` / ``disposed``) and the year it was disposed of;
- ``fleet_parking`` — an institution's parking spaces and charging spaces in a year;
- ``fleet_coal_equipment`` — coal-fired equipment of an institution by ``equipment_no``:
  kind, capacity (free text with its unit as written, and a number), status, removed date.

PV systems and heat pumps are projects (``storage.projects``: ``pv_kwp``, ``heat_pumps``,
``heat_pump_kw``; generation from bound meters), not repeated here.

Reads take the caller's ``filters`` whole (:mod:`.scoping`) and aggregate in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    delete,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
)

from jieneng.core.fleet import COAL_CARRIERS, EQUIPMENT_STATUSES, VEHICLE_STATUSES
from jieneng.core.scope import Filters

from . import tables as t
from .forms_ny import heating_record
from .scoping import institution_conditions
from .tables import Double, metadata


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


fleet_vehicle = Table(
    "fleet_vehicle",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("vehicle_no", String(80), nullable=False),
    Column("fuel", String(16), nullable=False),
    Column("purchase_year", SmallInteger, nullable=False),
    Column("status", String(12), nullable=False),
    Column("disposed_year", SmallInteger, nullable=True),
    Column("import_id", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("institution_id", "vehicle_no"),
    CheckConstraint(_in("status", VEHICLE_STATUSES), name="status"),
)

fleet_parking = Table(
    "fleet_parking",
    metadata,
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("parking_spaces", Integer, nullable=False),
    Column("charging_spaces", Integer, nullable=False),
    Column("import_id", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("charging_spaces >= 0 AND charging_spaces <= parking_spaces",
                    name="spaces"),
)

fleet_coal_equipment = Table(
    "fleet_coal_equipment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("equipment_no", String(80), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("capacity", Double, nullable=True),
    Column("capacity_unit", String(16), nullable=True),
    Column("status", String(12), nullable=False),
    Column("removed_on", Date, nullable=True),
    Column("import_id", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("institution_id", "equipment_no"),
    CheckConstraint(_in("status", EQUIPMENT_STATUSES), name="status"),
)

_v, _p, _e = fleet_vehicle, fleet_parking, fleet_coal_equipment
_KEYS: dict[str, tuple[Table, tuple[str, ...]]] = {
    "vehicles": (_v, ("institution_id", "vehicle_no")),
    "parking": (_p, ("institution_id", "year")),
    "coal_equipment": (_e, ("institution_id", "equipment_no")),
}
KINDS: tuple[str, ...] = tuple(_KEYS)


def replace_rows(conn: Connection, kind: str, rows: Sequence[dict[str, Any]]) -> int:
    """Store ``rows`` of ``kind`` (``vehicles``, ``parking``, ``coal_equipment``), each
    replacing the row of the same key: one executemany delete, one executemany insert."""
    if not rows:
        return 0
    table, keys = _KEYS[kind]
    conn.execute(delete(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys)),
                 [{f"k_{k}": r[k] for k in keys} for r in rows])
    conn.execute(insert(table), list(rows))
    return len(rows)


def _scoped(conn: Connection, filters: Filters) -> list[Any]:
    return [*institution_conditions(conn, filters)]


def list_rows(conn: Connection, filters: Filters, kind: str, *, limit: int = 1000,
              offset: int = 0) -> list[dict[str, Any]]:
    """The stored rows of ``kind`` inside ``filters``, with each institution's credit
    code and name, ordered by institution and key."""
    table, keys = _KEYS[kind]
    i = t.institution
    query = (select(i.c.credit_code, i.c.name.label("institution_name"), i.c.region_code,
                    *(c for c in table.c if c.name not in {"import_id", "updated_at"}))
             .join(i, i.c.id == table.c.institution_id)
             .where(*_scoped(conn, filters))
             .order_by(*(table.c[k] for k in keys)).limit(limit).offset(offset))
    return [dict(r._mapping) for r in conn.execute(query)]


def vehicle_counts(conn: Connection, filters: Filters, year: int) -> dict[str, dict[str, int]]:
    """Per fuel kind: vehicles in service at the end of ``year`` (``fleet``: bought in or
    before it, not disposed of by its end) and bought in ``year`` (``bought``) — one
    grouped query; NEV totals are the caller's sum over :func:`jieneng.core.fleet.nev_codes`."""
    i = t.institution
    held = and_(_v.c.purchase_year <= year,
                or_(_v.c.status == "in_service", _v.c.disposed_year.is_(None),
                    _v.c.disposed_year > year))

    def count(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    rows = conn.execute(
        select(_v.c.fuel, count(held).label("fleet"),
               count(_v.c.purchase_year == year).label("bought"))
        .select_from(_v.join(i, i.c.id == _v.c.institution_id))
        .where(_v.c.purchase_year <= year, *_scoped(conn, filters)).group_by(_v.c.fuel))
    return {str(r.fuel): {"fleet": int(r.fleet), "bought": int(r.bought)} for r in rows}


def parking_sums(conn: Connection, filters: Filters, year: int) -> dict[str, int]:
    """Σ parking spaces, Σ charging spaces and the institutions reporting, for ``year``."""
    i = t.institution
    row = conn.execute(
        select(func.coalesce(func.sum(_p.c.parking_spaces), 0).label("parking_spaces"),
               func.coalesce(func.sum(_p.c.charging_spaces), 0).label("charging_spaces"),
               func.count().label("institutions"))
        .select_from(_p.join(i, i.c.id == _p.c.institution_id))
        .where(_p.c.year == year, *_scoped(conn, filters))).one()
    return {k: int(v) for k, v in row._mapping.items()}


def coal_not_cleared(conn: Connection, filters: Filters, year: int) -> list[dict[str, Any]]:
    """The institutions not cleared of coal in ``year`` (``core.fleet.coal_cleared``):
    coal in their NY201 year figures (``consumption_year.q_<coal carrier>`` > 0), coal in
    their current NY203 heating records of the year (line 330, reported apart: it may be
    part of the NY201 figure), or coal-fired equipment not removed by the end of the year;
    each with its coal [t] per form and its equipment count. One query: a union of the
    three sources grouped by institution."""
    i, y, h = t.institution, t.consumption_year, heating_record
    coal: Any = literal(0.0, Double)
    for code in COAL_CARRIERS:
        coal = coal + func.coalesce(y.c[f"q_{code}"], 0.0)
    zero, none = literal(0.0, Double), literal(0, Integer)
    figures = (select(y.c.institution_id.label("iid"), coal.label("coal"),
                      zero.label("heating"), none.label("equipment"))
               .where(y.c.year == year, coal > 0))
    # the year's record (month 0) where there is one, else the sum of the months
    annual = func.sum(case((h.c.month == 0, func.coalesce(h.c.coal, 0.0)), else_=0.0))
    months = func.sum(case((h.c.month > 0, func.coalesce(h.c.coal, 0.0)), else_=0.0))
    heating = (select(h.c.institution_id.label("iid"), zero.label("coal"),
                      case((annual > 0, annual), else_=months).label("heating"),
                      none.label("equipment"))
               .where(h.c.year == year, h.c.is_current.is_(True), h.c.coal > 0)
               .group_by(h.c.institution_id))
    left = or_(_e.c.status != "removed",
               and_(_e.c.removed_on.is_not(None),
                    extract("year", _e.c.removed_on) > year))
    equipment = (select(_e.c.institution_id.label("iid"), zero.label("coal"),
                        zero.label("heating"), literal(1, Integer).label("equipment"))
                 .where(left))
    both = figures.union_all(heating, equipment).subquery()
    query = (select(i.c.id, i.c.credit_code, i.c.name, i.c.region_code,
                    func.sum(both.c.coal).label("coal_t"),
                    func.sum(both.c.heating).label("heating_coal_t"),
                    func.sum(both.c.equipment).label("equipment"))
             .join(both, both.c.iid == i.c.id)
             .where(*_scoped(conn, filters))
             .group_by(i.c.id, i.c.credit_code, i.c.name, i.c.region_code)
             .order_by(i.c.region_code, i.c.credit_code))
    return [{"institution_id": int(r.id), "credit_code": r.credit_code,
             "name": r.name, "region_code": r.region_code.strip(),
             "coal_t": float(r.coal_t or 0.0), "heating_coal_t": float(r.heating_coal_t or 0.0),
             "equipment": int(r.equipment or 0)}
            for r in conn.execute(query)]


def profile_vehicles(conn: Connection, filters: Filters, year: int) -> dict[str, int]:
    """Σ the vehicle counts the institutions reported on their forms for ``year``
    (NY201 fields 1031 汽油车, 1032 柴油车, 1033 新能源汽车; ``institution_profile``)."""
    i, p = t.institution, t.institution_profile
    row = conn.execute(
        select(*(func.coalesce(func.sum(p.c[f"vehicles_{k}"]), 0).label(k)
                 for k in ("gasoline", "diesel", "nev")),
               func.count().label("institutions"))
        .select_from(p.join(i, i.c.id == p.c.institution_id))
        .where(p.c.year == year, *_scoped(conn, filters))).one()
    return {k: int(v) for k, v in row._mapping.items()}


def institutions_counted(conn: Connection, filters: Filters) -> int:
    """Active institutions inside ``filters`` (the 应清零 population)."""
    i = t.institution
    return int(conn.execute(select(func.count()).select_from(i)
                            .where(i.c.status == "active", *_scoped(conn, filters)))
               .scalar_one())
