"""Work plans (工作安排): plans, items, assignments, progress (issue 14 §1). Migration
``0024_work_plans`` creates the tables.

- ``work_plan`` — a region's plan for a year (title, 文号, issue date, the notice);
- ``work_plan_item`` — one item: its number in the plan, the item it was assigned from
  (``parent_id``, same plan), text, responsible region / department / institution,
  deadline, indicator and target; ``state`` is the claim of the last *accepted*
  progress report (``not_started`` until one is accepted);
- ``work_plan_report`` — every progress report (never overwritten: the history) with
  its review (``pending`` / ``accepted`` / ``returned`` with a reason);
- ``work_plan_evidence`` — the files attached to a report (bytes, SHA-256, size);
- ``work_plan_reminder`` — one overdue reminder per item and day.

Here the tables and the plans', items' and reminders' reads and writes; the progress
reports and their evidence are :mod:`.workplan_reports`', the grouped reads the plan
indicators need :mod:`.workplan_figures`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)

from . import tables as t
from .campaign_rounds import campaign_round_member
from .tables import Double, metadata

work_plan = Table(
    "work_plan",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("title", String(200), nullable=False),
    Column("document_no", String(100), nullable=True),
    Column("issued_on", Date, nullable=True),
    Column("source", Text, nullable=True),
    Column("status", String(12), nullable=False, server_default="active"),
    Column("import_id", Integer, nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("region_code", "year", "title"),
    CheckConstraint("status IN ('active', 'closed')", name="status"),
    Index("ix_work_plan_year_region_code", "year", "region_code"),
)

work_plan_item = Table(
    "work_plan_item",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("work_plan.id"), nullable=False),
    Column("item_no", String(40), nullable=False),
    Column("parent_id", Integer, ForeignKey("work_plan_item.id"), nullable=True),
    Column("section", String(200), nullable=True),
    Column("text", Text, nullable=False),
    Column("responsible_region", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("responsible_department", String(200), nullable=True),
    Column("institution_id", Integer, ForeignKey("institution.id"), nullable=True),
    Column("deadline", Date, nullable=False),
    Column("indicator_code", String(64), nullable=True),
    Column("indicator_param", String(200), nullable=True),
    Column("comparison", String(2), nullable=True),
    Column("target_value", Double, nullable=True),
    Column("target_unit", String(32), nullable=True),
    Column("source_quote", Text, nullable=True),
    Column("state", String(12), nullable=False, server_default="not_started"),
    Column("state_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    Column("updated_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
    UniqueConstraint("plan_id", "item_no"),
    CheckConstraint("state IN ('not_started', 'in_progress', 'done')", name="state"),
    CheckConstraint("comparison IS NULL OR comparison IN ('>=', '<=', '>', '<')",
                    name="comparison"),
    Index("ix_work_plan_item_responsible_region", "responsible_region"),
    Index("ix_work_plan_item_parent_id", "parent_id"),
)

work_plan_report = Table(
    "work_plan_report",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("work_plan_item.id"), nullable=False),
    Column("claimed_state", String(12), nullable=False),
    Column("value", Double, nullable=True),
    Column("percent", Double, nullable=True),
    Column("comment", Text, nullable=False),
    Column("reported_by", String(64), nullable=False),
    Column("reported_by_id", Integer, nullable=True),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("review", String(12), nullable=False, server_default="pending"),
    Column("reviewed_by", String(64), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("review_reason", Text, nullable=True),
    CheckConstraint("claimed_state IN ('in_progress', 'done')", name="claimed_state"),
    CheckConstraint("review IN ('pending', 'accepted', 'returned')", name="review"),
    Index("ix_work_plan_report_item_id", "item_id"),
)

work_plan_evidence = Table(
    "work_plan_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", Integer, ForeignKey("work_plan_report.id"), nullable=False,
           index=True),
    Column("file_name", String(255), nullable=False),
    Column("content_type", String(100), nullable=True),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", CHAR(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False,
           server_default=func.current_timestamp()),
)

#: the campaign fingerprint's last member change, read from an index (a province's rounds
#: hold hundreds of thousands of members: a scan of them took ~140 ms on PostgreSQL)
Index("ix_campaign_round_member_updated_at", campaign_round_member.c.updated_at)

work_plan_reminder = Table(
    "work_plan_reminder",
    metadata,
    Column("item_id", Integer, ForeignKey("work_plan_item.id"), nullable=False),
    Column("day", Date, nullable=False),
    PrimaryKeyConstraint("item_id", "day"),
)

_p, _i, _r, _e = work_plan, work_plan_item, work_plan_report, work_plan_evidence


def _plan_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["region_code"] = str(d["region_code"]).strip()
    return d


def get_plan(conn: Connection, plan_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_p).where(_p.c.id == plan_id)).first()
    return None if row is None else _plan_dict(row)


def find_plan(conn: Connection, region_code: str, year: int, title: str
              ) -> dict[str, Any] | None:
    row = conn.execute(select(_p).where(_p.c.region_code == region_code, _p.c.year == year,
                                        _p.c.title == title)).first()
    return None if row is None else _plan_dict(row)


def list_plans(conn: Connection, *, owner_regions: Sequence[str] | None = None,
               year: int | None = None) -> list[dict[str, Any]]:
    """Plans (newest year first) with their item counts; ``owner_regions``: the plans
    owned by these regions (not a caller's scope: the service passes the regions above
    the caller's too, whose plans assign items into it)."""
    counts = (select(_i.c.plan_id, func.count().label("items")).group_by(_i.c.plan_id)
              .subquery())
    query = (select(_p, func.coalesce(counts.c["items"], 0).label("items"))
             .outerjoin(counts, counts.c.plan_id == _p.c.id)
             .order_by(_p.c.year.desc(), _p.c.region_code, _p.c.id))
    if owner_regions is not None:
        query = query.where(_p.c.region_code.in_(list(owner_regions)))
    if year is not None:
        query = query.where(_p.c.year == year)
    return [_plan_dict(r) for r in conn.execute(query)]


def insert_plan(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(_p.insert().values(**values).returning(_p.c.id)).scalar_one())


def update_plan(conn: Connection, plan_id: int, values: dict[str, Any]) -> None:
    conn.execute(_p.update().where(_p.c.id == plan_id)
                 .values(**values, updated_at=func.current_timestamp()))


def _item_columns() -> list[Any]:
    return [*_i.c, t.institution.c.name.label("institution_name"),
            t.institution.c.credit_code.label("institution_code")]


def _item_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["responsible_region"] = str(d["responsible_region"]).strip()
    return d


def plan_items(conn: Connection, plan_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The items of ``plan_ids`` in plan and number order, with their institution."""
    if not plan_ids:
        return []
    i = t.institution
    query = (select(*_item_columns()).outerjoin(i, i.c.id == _i.c.institution_id)
             .where(_i.c.plan_id.in_(list(plan_ids))).order_by(_i.c.plan_id, _i.c.id))
    return [_item_dict(r) for r in conn.execute(query)]


def get_item(conn: Connection, item_id: int) -> dict[str, Any] | None:
    i = t.institution
    row = conn.execute(select(*_item_columns()).outerjoin(i, i.c.id == _i.c.institution_id)
                       .where(_i.c.id == item_id)).first()
    return None if row is None else _item_dict(row)


def insert_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert items in the given order (a parent before its children: ``parent_no``
    names it among the rows or the plan's stored items); item_no → id."""
    ids: dict[str, int] = {}
    for row in rows:
        values = {k: v for k, v in row.items() if k != "parent_no"}
        if row.get("parent_no") and values.get("parent_id") is None:
            values["parent_id"] = ids[row["parent_no"]]
        ids[row["item_no"]] = int(conn.execute(
            _i.insert().values(**values).returning(_i.c.id)).scalar_one())
    return ids


def item_numbers(conn: Connection, plan_id: int) -> dict[str, int]:
    return {str(r.item_no): int(r.id) for r in conn.execute(
        select(_i.c.item_no, _i.c.id).where(_i.c.plan_id == plan_id))}


def set_item_state(conn: Connection, item_id: int, state: str) -> None:
    conn.execute(_i.update().where(_i.c.id == item_id)
                 .values(state=state, state_at=func.current_timestamp(),
                         updated_at=func.current_timestamp()))


def update_item(conn: Connection, item_id: int, values: dict[str, Any]) -> None:
    conn.execute(_i.update().where(_i.c.id == item_id)
                 .values(**values, updated_at=func.current_timestamp()))


def year_items(conn: Connection, plan_regions: Sequence[str], year: int
               ) -> list[dict[str, Any]]:
    """Items of the active ``year`` plans owned by ``plan_regions`` (id, plan id,
    responsible region, deadline, state, indicator and target)."""
    query = (select(_i.c.id, _i.c.plan_id, _i.c.parent_id, _i.c.responsible_region,
                    _i.c.deadline, _i.c.state, _i.c.indicator_code, _i.c.indicator_param,
                    _i.c.comparison, _i.c.target_value)
             .join(_p, _p.c.id == _i.c.plan_id)
             .where(_p.c.year == year, _p.c.region_code.in_(list(plan_regions)),
                    _p.c.status == "active"))
    return [_item_dict(r) for r in conn.execute(query)]


def open_items_due(conn: Connection, before: Any) -> list[dict[str, Any]]:
    """Items of active plans not done whose deadline is before ``before``."""
    query = (select(_i.c.id, _i.c.item_no, _i.c.text, _i.c.responsible_region,
                    _i.c.institution_id, _i.c.deadline, _i.c.state, _p.c.id.label("plan_id"),
                    _p.c.title, _p.c.region_code.label("plan_region"))
             .join(_p, _p.c.id == _i.c.plan_id)
             .where(_p.c.status == "active", _i.c.state != "done", _i.c.deadline < before)
             .order_by(_i.c.deadline, _i.c.id))
    out = [_item_dict(r) for r in conn.execute(query)]
    for d in out:
        d["plan_region"] = str(d["plan_region"]).strip()
    return out


def reminded(conn: Connection, item_ids: Sequence[int], day: Any) -> set[int]:
    if not item_ids:
        return set()
    m = work_plan_reminder
    return {int(x) for x in conn.execute(select(m.c.item_id).where(
        m.c.day == day, m.c.item_id.in_(list(item_ids)))).scalars()}


def note_reminded(conn: Connection, item_ids: Sequence[int], day: Any) -> None:
    if item_ids:
        conn.execute(work_plan_reminder.insert(), [{"item_id": i, "day": day}
                                                   for i in item_ids])


def responsible_users(conn: Connection, regions: Sequence[str], units: Sequence[int]
                      ) -> list[dict[str, Any]]:
    """Unlocked office accounts (``region`` / ``region_admin``) pinned to ``regions`` and
    accounts of the institutions ``units`` (institution or department): id, role, region
    code, institution id — the recipients of an overdue item's reminder, not a read for a
    caller."""
    u = t.app_user
    office = u.c.role.in_(("region", "region_admin")) & u.c.region_code.in_(list(regions))
    unit = u.c.institution_id.in_(list(units)) if units else None
    cond = office if unit is None else (office | unit)
    rows = conn.execute(select(u.c.id, u.c.role, u.c.region_code, u.c.institution_id)
                        .where(u.c.is_locked.is_(False), cond))
    return [{"id": int(r.id), "role": r.role,
             "region_code": None if r.region_code is None else str(r.region_code).strip(),
             "institution_id": r.institution_id} for r in rows]
