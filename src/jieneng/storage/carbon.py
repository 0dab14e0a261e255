"""Event carbon (会议活动碳中和) and the carbon-points (碳普惠) ledger (issue 14 §6).
Migration ``0026_carbon_extras`` creates the tables.

- ``carbon_event`` — a meeting or large event of one institution: name, place, dates,
  attendees, the ``year`` whose factors apply (the start date's);
- ``carbon_event_line`` — its activity data: one quantity per mode
  (:mod:`jieneng.core.carbon.events`, ``data/carbon/event_factors.csv``);
- ``carbon_offset`` — an offset recorded against the event: kind, tCO₂, description and
  its evidence document (bytes, type, SHA-256, size);
- ``carbon_factor`` — a factor an administrator set for a mode the references give no
  value for (value, source, who, when);
- ``carbon_staff`` — staff members of an institution: a pseudonymous code and a display
  name, nothing else;
- ``carbon_points_entry`` — ledger entries: staff, date, action, quantity, the counted
  quantity (daily cap), points, kgCO₂, the version of the rules that scored it (0: the
  shipped ``data/carbon/point_rules.csv``), when it was last corrected by hand; one per
  (staff, date, action);
- ``carbon_point_rule_set`` — the local points rules an administrator loaded, one row per
  version (the rules as JSON, the file's SHA-256, who, when); the highest is in force.

An event, an offset and a ledger entry may be withdrawn (migration
``0027_carbon_corrections``): ``withdrawn_at/by/reason`` set, the row kept (and the
audit entry), every total and leaderboard reading only rows not withdrawn.

Here only the tables and set-based reads; the rules are the services'
(:mod:`jieneng.services.carbon`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)

from jieneng.core.scope import Filters

from . import tables as t
from .scoping import institution_conditions
from .tables import Double, metadata


def _withdrawn() -> tuple[Column[Any], ...]:
    return (Column("withdrawn_at", DateTime(timezone=True), nullable=True),
            Column("withdrawn_by", String(64), nullable=True),
            Column("withdrawn_reason", String(500), nullable=True))


carbon_event = Table(
    "carbon_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False,
           index=True),
    Column("name", String(200), nullable=False),
    Column("place", String(200), nullable=True),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("attendees", Integer, nullable=False),
    Column("year", Integer, nullable=False),
    Column("note", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    *_withdrawn(),
)

carbon_event_line = Table(
    "carbon_event_line",
    metadata,
    Column("event_id", Integer, ForeignKey("carbon_event.id"), primary_key=True),
    Column("mode", String(40), primary_key=True),
    Column("quantity", Double, nullable=False),
)

carbon_offset = Table(
    "carbon_offset",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("carbon_event.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("quantity_t", Double, nullable=False),
    Column("description", String(500), nullable=True),
    Column("file_name", String(255), nullable=True),
    Column("content_type", String(100), nullable=True),
    Column("content", LargeBinary, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("size_bytes", Integer, nullable=True),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    *_withdrawn(),
)

carbon_factor = Table(
    "carbon_factor",
    metadata,
    Column("mode", String(40), primary_key=True),
    Column("value", Double, nullable=False),
    Column("source", Text, nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
)

carbon_staff = Table(
    "carbon_staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("staff_code", String(40), nullable=False),
    Column("display_name", String(60), nullable=False),
    UniqueConstraint("institution_id", "staff_code"),
)

carbon_points_entry = Table(
    "carbon_points_entry",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff_id", Integer, ForeignKey("carbon_staff.id"), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("entry_date", Date, nullable=False),
    Column("action", String(40), nullable=False),
    Column("quantity", Double, nullable=False),
    Column("counted", Double, nullable=False),
    Column("points", Double, nullable=False),
    Column("co2_kg", Double, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    *_withdrawn(),
    Column("rule_version", Integer, nullable=False, server_default=text("0")),
    Column("corrected_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("staff_id", "entry_date", "action"),
    Index("ix_carbon_points_entry_institution_date", "institution_id", "entry_date"),
)

carbon_point_rule_set = Table(
    "carbon_point_rule_set",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("rules", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
)


def event_rows(conn: Connection, filters: Filters, *, event_id: int | None = None
               ) -> list[dict[str, Any]]:
    """Events of the institutions inside ``filters`` (one when ``event_id``), newest
    first, with the institution's credit code, name and region; a withdrawn event is
    read by none (:func:`withdrawn_events`)."""
    e, i = carbon_event, t.institution
    query = (select(e, i.c.credit_code, i.c.name.label("institution_name"), i.c.region_code)
             .join(i, i.c.id == e.c.institution_id)
             .where(e.c.withdrawn_at.is_(None), *institution_conditions(conn, filters))
             .order_by(e.c.start_date.desc(), e.c.id.desc()))
    if event_id is not None:
        query = query.where(e.c.id == event_id)
    return [dict(r._mapping) for r in conn.execute(query)]


def lines_of(conn: Connection, event_ids: list[int]) -> dict[int, dict[str, float]]:
    """Event id → mode → quantity."""
    out: dict[int, dict[str, float]] = {i: {} for i in event_ids}
    if not event_ids:
        return out
    rows = conn.execute(select(carbon_event_line)
                        .where(carbon_event_line.c.event_id.in_(event_ids)))
    for r in rows:
        out[int(r.event_id)][str(r.mode)] = float(r.quantity)
    return out


def offsets_of(conn: Connection, event_ids: list[int], *, withdrawn: bool = False
               ) -> dict[int, list[dict[str, Any]]]:
    """Event id → its offsets (without the evidence bytes); those withdrawn only when
    ``withdrawn`` (else those in force, the ones summed)."""
    o = carbon_offset
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in event_ids}
    if not event_ids:
        return out
    rows = conn.execute(select(o.c.id, o.c.event_id, o.c.kind, o.c.quantity_t,
                               o.c.description, o.c.file_name, o.c.content_type,
                               o.c.sha256, o.c.size_bytes, o.c.recorded_by, o.c.recorded_at,
                               o.c.withdrawn_at, o.c.withdrawn_by, o.c.withdrawn_reason)
                        .where(o.c.event_id.in_(event_ids),
                               o.c.withdrawn_at.is_not(None) if withdrawn
                               else o.c.withdrawn_at.is_(None)).order_by(o.c.id))
    for r in rows:
        out[int(r.event_id)].append(dict(r._mapping))
    return out


def factor_overrides(conn: Connection) -> dict[str, tuple[float, str, str]]:
    """Mode → (value, source, set_by) of the administrator-set factors."""
    f = carbon_factor
    return {str(r.mode): (float(r.value), str(r.source), str(r.set_by))
            for r in conn.execute(select(f))}


def staff_points(conn: Connection, filters: Filters, start: Any, end: Any
                 ) -> list[dict[str, Any]]:
    """Per staff member inside ``filters``: points, kgCO₂ and entries in [start, end]
    (set-based: one grouped query)."""
    p, s, i = carbon_points_entry, carbon_staff, t.institution
    sums = (select(p.c.staff_id, func.sum(p.c.points).label("points"),
                   func.sum(p.c.co2_kg).label("co2_kg"), func.count().label("entries"))
            .join(i, i.c.id == p.c.institution_id)
            .where(p.c.entry_date >= start, p.c.entry_date <= end,
                   p.c.withdrawn_at.is_(None), *institution_conditions(conn, filters))
            .group_by(p.c.staff_id).subquery())  # grouped by one integer, then named
    rows = conn.execute(
        select(s.c.id, s.c.staff_code, s.c.display_name, i.c.credit_code,
               i.c.name.label("institution_name"), sums.c.points, sums.c.co2_kg,
               sums.c.entries)
        .join(s, s.c.id == sums.c.staff_id).join(i, i.c.id == s.c.institution_id)
        .order_by(sums.c.points.desc(), s.c.staff_code))
    return [dict(r._mapping) for r in rows]


def institution_points(conn: Connection, filters: Filters, start: Any, end: Any
                       ) -> list[dict[str, Any]]:
    """Per institution inside ``filters`` with registered staff: staff count, points and
    kgCO₂ in [start, end]."""
    p, s, i = carbon_points_entry, carbon_staff, t.institution
    staff = (select(s.c.institution_id, func.count().label("staff"))
             .group_by(s.c.institution_id).subquery())
    sums = (select(p.c.institution_id, func.sum(p.c.points).label("points"),
                   func.sum(p.c.co2_kg).label("co2_kg"))
            .where(p.c.entry_date >= start, p.c.entry_date <= end,
                   p.c.withdrawn_at.is_(None))
            .group_by(p.c.institution_id).subquery())
    rows = conn.execute(
        select(i.c.credit_code, i.c.name, i.c.region_code, staff.c.staff,
               func.coalesce(sums.c.points, 0.0).label("points"),
               func.coalesce(sums.c.co2_kg, 0.0).label("co2_kg"))
        .join(staff, staff.c.institution_id == i.c.id)
        .outerjoin(sums, sums.c.institution_id == i.c.id)
        .where(*institution_conditions(conn, filters)))
    return [dict(r._mapping) for r in rows]


def monthly_points(conn: Connection, filters: Filters, start: Any, end: Any
                   ) -> list[dict[str, Any]]:
    """Points and kgCO₂ per month (``YYYY-MM``) inside ``filters`` in [start, end]."""
    p, i = carbon_points_entry, t.institution
    dialect = conn.dialect.name
    month = (func.to_char(p.c.entry_date, "YYYY-MM") if dialect == "postgresql"
             else func.strftime("%Y-%m", p.c.entry_date))
    rows = conn.execute(
        select(month.label("month"), func.sum(p.c.points).label("points"),
               func.sum(p.c.co2_kg).label("co2_kg"), func.count().label("entries"))
        .join(i, i.c.id == p.c.institution_id)
        .where(p.c.entry_date >= start, p.c.entry_date <= end, p.c.withdrawn_at.is_(None),
               *institution_conditions(conn, filters))
        .group_by(month).order_by(month))
    return [dict(r._mapping) for r in rows]


def latest_entry_date(conn: Connection, filters: Filters) -> Any:
    """The latest entry date inside ``filters`` (None without entries)."""
    p, i = carbon_points_entry, t.institution
    return conn.execute(select(func.max(p.c.entry_date))
                        .join(i, i.c.id == p.c.institution_id)
                        .where(p.c.withdrawn_at.is_(None),
                               *institution_conditions(conn, filters))).scalar()


def entry_rows(conn: Connection, filters: Filters, start: Any, end: Any, *,
               staff_code: str | None = None, entry_id: int | None = None,
               limit: int = 500) -> list[dict[str, Any]]:
    """Ledger entries inside ``filters`` in [start, end] (or the one ``entry_id``,
    whatever its date), withdrawn ones included, by date then staff."""
    p, s, i = carbon_points_entry, carbon_staff, t.institution
    query = (select(p, s.c.staff_code, s.c.display_name, i.c.credit_code,
                    i.c.name.label("institution_name"), i.c.region_code)
             .join(s, s.c.id == p.c.staff_id).join(i, i.c.id == p.c.institution_id)
             .where(*institution_conditions(conn, filters))
             .order_by(p.c.entry_date.desc(), s.c.staff_code, p.c.action).limit(limit))
    if entry_id is not None:
        query = query.where(p.c.id == entry_id)
    else:
        query = query.where(p.c.entry_date >= start, p.c.entry_date <= end)
    if staff_code:
        query = query.where(s.c.staff_code == staff_code)
    return [dict(r._mapping) for r in conn.execute(query)]


def rule_sets(conn: Connection) -> list[dict[str, Any]]:
    """The loaded rule sets, newest first (without their rules)."""
    r = carbon_point_rule_set
    return [dict(x._mapping) for x in conn.execute(
        select(r.c.version, r.c.name, r.c.sha256, r.c.loaded_by, r.c.loaded_at)
        .order_by(r.c.version.desc()))]


def rule_set_json(conn: Connection, version: int | None) -> tuple[int, str] | None:
    """(version, rules JSON) of ``version``, or of the newest when None; None when there
    is no such set."""
    r = carbon_point_rule_set
    query = select(r.c.version, r.c.rules)
    query = (query.where(r.c.version == version) if version is not None
             else query.order_by(r.c.version.desc()).limit(1))
    row = conn.execute(query).first()
    return None if row is None else (int(row.version), str(row.rules))


def withdrawn_events(conn: Connection, filters: Filters) -> list[dict[str, Any]]:
    """The withdrawn events inside ``filters``: id, name, dates, who withdrew, when, why."""
    e, i = carbon_event, t.institution
    rows = conn.execute(
        select(e.c.id, e.c.name, e.c.start_date, e.c.withdrawn_at, e.c.withdrawn_by,
               e.c.withdrawn_reason, i.c.credit_code, i.c.name.label("institution_name"))
        .join(i, i.c.id == e.c.institution_id)
        .where(e.c.withdrawn_at.is_not(None), *institution_conditions(conn, filters))
        .order_by(e.c.withdrawn_at.desc()))
    return [dict(r._mapping) for r in rows]
