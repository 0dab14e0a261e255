"""Energy-saving projects (issue 13 §1–§2): the registry, owners, boundary, measures,
contract, lifecycle events and documents. Migration ``0016_projects`` creates them.

- ``project`` — one project: unique ``code``, type/subtype/IPMVP option (codes of
  :mod:`jieneng.core.projects.types`), the region it is counted in, its lifecycle
  ``state`` (:mod:`jieneng.core.projects.lifecycle`), ESCO, funding, the figures the
  notices count (area retrofitted m², PV kWp, heat pumps and their kW, investment 元,
  expected savings tce and 元), planned dates and the ``year`` it counts toward;
- ``project_owner`` — the owner institutions (one, or many for a packaged "小散"
  project);
- ``project_boundary`` — what the project covers: a bound utility account, a meter, a
  building or a system (described), each of one owner institution; a member removed
  after registration keeps its row with ``removed_on`` (the first day it no longer
  counts), the reason, who and when (migration ``0028``);
- ``project_measure`` — measures (节能措施) with investment and expected savings (per
  carrier in its canonical unit, tce, 元);
- ``project_contract`` — the contract (one per project): term, base period, price
  mode, sharing ratio, guarantee, fee base, O&M scope, carbon rights, asset hand-over,
  the local rule set checked on entry and the check's result (JSON);
- ``project_event`` — every lifecycle move: from, to, who, when, why (and, for a move
  dated in the past, when it was entered: ``recorded_at``);
- ``project_document`` — documents (content in the row, size-limited by the upload
  limit, like ``import_batch``).

Here only the tables and set-based reads/writes; the rules are the services'
(:mod:`jieneng.services.projects`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Row,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.types import CHAR

from jieneng.core.projects.lifecycle import STATES
from jieneng.core.projects.types import IPMVP_OPTIONS, PROJECT_TYPES, SUBTYPES
from jieneng.core.scope import Filters

from . import tables as t
from .metering import metering_account, metering_binding, metering_meter
from .scoping import institution_conditions, region_conditions
from .tables import Double, metadata

BOUNDARY_KINDS: tuple[str, ...] = ("account", "meter", "building", "system")
PRICE_MODES: tuple[str, ...] = ("base_year", "pass_through")
CARBON_OWNERS: tuple[str, ...] = ("owner", "esco", "shared")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


project = Table(
    "project",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("subtype", String(24), nullable=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("esco_name", String(200), nullable=True),
    Column("esco_credit_code", String(18), nullable=True),
    Column("funding_source", String(100), nullable=True),
    Column("ipmvp_option", String(1), nullable=True),
    Column("area_m2", Double, nullable=True),
    Column("pv_kwp", Double, nullable=True),
    Column("heat_pumps", Integer, nullable=True),
    Column("heat_pump_kw", Double, nullable=True),
    Column("investment_yuan", Double, nullable=True),
    Column("expected_tce", Double, nullable=True),
    Column("expected_yuan", Double, nullable=True),
    Column("year", SmallInteger, nullable=False),
    Column("planned_start", Date, nullable=True),
    Column("planned_end", Date, nullable=True),
    Column("description", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint(_in("type", PROJECT_TYPES), name="type"),
    CheckConstraint(f"subtype IS NULL OR {_in('subtype', SUBTYPES)}", name="subtype"),
    CheckConstraint(_in("state", STATES), name="state"),
    CheckConstraint(f"ipmvp_option IS NULL OR {_in('ipmvp_option', IPMVP_OPTIONS)}",
                    name="ipmvp"),
    Index("ix_project_year_type", "year", "type"),
)

project_owner = Table(
    "project_owner",
    metadata,
    Column("project_id", Integer, ForeignKey("project.id"), primary_key=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), primary_key=True,
           index=True),
    Column("position", SmallInteger, nullable=False),
)

project_boundary = Table(
    "project_boundary",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("metering_account.id"), nullable=True,
           index=True),
    Column("meter_id", Integer, ForeignKey("metering_meter.id"), nullable=True, index=True),
    Column("description", Text, nullable=True),
    Column("area_m2", Double, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    # removed after registration (migration 0028): counts for the days before removed_on
    Column("removed_on", Date, nullable=True),
    Column("removed_reason", Text, nullable=True),
    Column("removed_by", String(64), nullable=True),
    Column("removed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("project_id", "account_id"),
    UniqueConstraint("project_id", "meter_id"),
    CheckConstraint(_in("kind", BOUNDARY_KINDS), name="kind"),
    CheckConstraint("(kind = 'account' AND account_id IS NOT NULL AND meter_id IS NULL) "
                    "OR (kind = 'meter' AND meter_id IS NOT NULL AND account_id IS NULL) "
                    "OR (kind IN ('building', 'system') AND account_id IS NULL "
                    "AND meter_id IS NULL AND description IS NOT NULL)", name="target"),
)

project_measure = Table(
    "project_measure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("carrier", String(32), nullable=True),
    Column("investment_yuan", Double, nullable=True),
    Column("expected_saving", Double, nullable=True),
    Column("expected_tce", Double, nullable=True),
    Column("expected_yuan", Double, nullable=True),
)

project_contract = Table(
    "project_contract",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, unique=True),
    Column("number", String(64), nullable=True),
    Column("signed_on", Date, nullable=True),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("base_start", Date, nullable=False),
    Column("base_end", Date, nullable=False),
    Column("price_mode", String(16), nullable=True),
    Column("sharing_ratio", Double, nullable=True),
    Column("guaranteed_rate", Double, nullable=True),
    Column("guaranteed_tce", Double, nullable=True),
    Column("fee_base_yuan", Double, nullable=True),
    Column("ceiling_yuan", Double, nullable=True),
    Column("om_scope", Text, nullable=True),
    Column("carbon_rights", String(8), nullable=True),
    Column("asset_handover", Text, nullable=True),
    Column("heating_by_area", SmallInteger, nullable=True),
    Column("rule_set", String(32), nullable=True),
    Column("check_result", Text, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    CheckConstraint("term_end > term_start", name="term"),
    CheckConstraint("base_end > base_start", name="base"),
    CheckConstraint(f"price_mode IS NULL OR {_in('price_mode', PRICE_MODES)}",
                    name="price_mode"),
    CheckConstraint(f"carbon_rights IS NULL OR {_in('carbon_rights', CARBON_OWNERS)}",
                    name="carbon_rights"),
)

project_event = Table(
    "project_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("reason", Text, nullable=True),
    # when a move with a stated past ``at`` was entered (bulk import, demo); NULL: at entry
    Column("recorded_at", DateTime(timezone=True), nullable=True),
    Index("ix_project_event_project_id_at", "project_id", "at"),
)

project_document = Table(
    "project_document",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("content_type", String(100), nullable=True),
    Column("sha256", CHAR(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
)

_p, _o, _bd = project, project_owner, project_boundary
_ms, _ct, _ev = project_measure, project_contract, project_event


# ------------------------------------------------------------------ reads

def visible_condition(conn: Connection, filters: Filters) -> ColumnElement[bool] | None:
    """Projects inside ``filters``: one of the owners inside them, or — when the scope
    is regions — the project's region inside them. None: no restriction."""
    in_regions = region_conditions(conn, _p.c.region_code, filters)
    if not in_regions and not filters.below_region:
        return None
    i = t.institution
    owner_in = exists(select(_o.c.project_id).join(i, i.c.id == _o.c.institution_id).where(
        _o.c.project_id == _p.c.id, *institution_conditions(conn, filters)))
    if filters.below_region:
        return owner_in
    return or_(owner_in, *in_regions)


def find(conn: Connection, code: str, filters: Filters, *,
         lock: bool = False) -> Row[Any] | None:
    """The project ``code`` when inside ``filters``; ``lock`` takes its row lock on
    PostgreSQL (two moves of one project take turns)."""
    query = select(_p).where(_p.c.code == code)
    cond = visible_condition(conn, filters)
    if cond is not None:
        query = query.where(cond)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(of=_p)
    return conn.execute(query).one_or_none()


def existing_codes(conn: Connection, codes: Sequence[str]) -> set[str]:
    """Which of ``codes`` are taken (any scope: a code is unique platform-wide)."""
    if not codes:
        return set()
    return {str(c) for c in conn.execute(select(_p.c.code).where(_p.c.code.in_(codes)))
            .scalars()}


def list_projects(conn: Connection, filters: Filters, *, types: Sequence[str] = (),
                  states: Sequence[str] = (), year: int | None = None,
                  limit: int | None = None) -> list[Row[Any]]:
    """The projects inside ``filters`` (newest code last), filtered by type, state, year."""
    query = select(_p).order_by(_p.c.year, _p.c.code)
    cond = visible_condition(conn, filters)
    if cond is not None:
        query = query.where(cond)
    if types:
        query = query.where(_p.c.type.in_(list(types)))
    if states:
        query = query.where(_p.c.state.in_(list(states)))
    if year is not None:
        query = query.where(_p.c.year == year)
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query))


def owners_of(conn: Connection, project_ids: Sequence[int]) -> list[Row[Any]]:
    """(project_id, institution id, credit code, name, region) of the projects' owners,
    in their order."""
    if not project_ids:
        return []
    i = t.institution
    query = (select(_o.c.project_id, i.c.id, i.c.credit_code, i.c.name, i.c.region_code)
             .join(i, i.c.id == _o.c.institution_id)
             .where(_o.c.project_id.in_(list(project_ids)))
             .order_by(_o.c.project_id, _o.c.position))
    return list(conn.execute(query))


def boundary_of(conn: Connection, project_id: int) -> list[Row[Any]]:
    """The boundary rows with the account (carrier, number), the meter (number,
    carrier) and the institution's credit code."""
    i, a, m = t.institution, metering_account, metering_meter
    query = (select(_bd, i.c.credit_code, i.c.name.label("institution_name"),
                    a.c.carrier.label("account_carrier"), a.c.number.label("account_number"),
                    m.c.number.label("meter_number"), m.c.carrier.label("meter_carrier"))
             .join(i, i.c.id == _bd.c.institution_id)
             .outerjoin(a, a.c.id == _bd.c.account_id).outerjoin(m, m.c.id == _bd.c.meter_id)
             .where(_bd.c.project_id == project_id).order_by(_bd.c.id))
    return list(conn.execute(query))


def remove_member(conn: Connection, boundary_id: int, values: dict[str, Any]) -> None:
    """Mark the boundary line removed (``removed_on``, reason, who, when)."""
    conn.execute(update(_bd).where(_bd.c.id == boundary_id).values(**values))


def update_measure(conn: Connection, measure_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(_ms).where(_ms.c.id == measure_id).values(**values))


def measures_of(conn: Connection, project_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_ms).where(_ms.c.project_id == project_id)
                             .order_by(_ms.c.id)))


def contract_of(conn: Connection, project_id: int) -> Row[Any] | None:
    return conn.execute(select(_ct).where(_ct.c.project_id == project_id)).one_or_none()


def events_of(conn: Connection, project_id: int) -> list[Row[Any]]:
    return list(conn.execute(select(_ev).where(_ev.c.project_id == project_id)
                             .order_by(_ev.c.at, _ev.c.id)))


# ------------------------------------------------------------------ writes

def insert_projects(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert ``rows`` (one executemany) and return code → id."""
    if not rows:
        return {}
    conn.execute(insert(_p), list(rows))
    codes = [str(r["code"]) for r in rows]
    return {str(r.code): int(r.id) for r in conn.execute(
        select(_p.c.id, _p.c.code).where(_p.c.code.in_(codes)))}


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """One ``executemany`` of ``rows`` into ``table`` (nothing for none)."""
    if rows:
        conn.execute(insert(table), list(rows))


def set_state(conn: Connection, project_id: int, state: str, at: datetime) -> None:
    conn.execute(update(_p).where(_p.c.id == project_id).values(state=state, updated_at=at))


def restate_event(conn: Connection, event_id: int, at: datetime, recorded_at: datetime
                  ) -> None:
    """Give the event ``event_id`` a stated date ``at``, entered at ``recorded_at``."""
    conn.execute(update(_ev).where(_ev.c.id == event_id)
                 .values(at=at, recorded_at=recorded_at))


def touch(conn: Connection, project_id: int, at: datetime) -> None:
    conn.execute(update(_p).where(_p.c.id == project_id).values(updated_at=at))


def meters_numbered(conn: Connection, number: str) -> list[Row[Any]]:
    """The meters numbered ``number`` (of any institution: a number is unique per
    institution only) with their institution's id, credit code and name."""
    i, m = t.institution, metering_meter
    query = (select(m.c.id, m.c.institution_id, m.c.number, i.c.credit_code, i.c.name)
             .join(i, i.c.id == m.c.institution_id).where(m.c.number == number)
             .order_by(m.c.id))
    return list(conn.execute(query))


def account_now(conn: Connection, carrier: str, number: str) -> Row[Any] | None:
    """The account (carrier, number) with its open binding's institution (id, credit
    code, name; None when unbound)."""
    i, a, b = t.institution, metering_account, metering_binding
    query = (select(a.c.id, a.c.number, b.c.institution_id, i.c.credit_code, i.c.name)
             .outerjoin(b, and_(b.c.account_id == a.c.id, b.c.valid_to.is_(None)))
             .outerjoin(i, i.c.id == b.c.institution_id)
             .where(a.c.carrier == carrier, a.c.number == number))
    found: Row[Any] | None = conn.execute(query).one_or_none()  # type: ignore[assignment]
    return found


def update_project(conn: Connection, project_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(_p).where(_p.c.id == project_id).values(**values))
