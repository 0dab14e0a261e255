"""Tables of a project's measurement & verification and settlement (issue 13 §3–§4).

- ``project_mv_run`` — one baseline fit of one carrier of a project: method, source
  (``statistics`` NY201 months of the owners, ``meters`` the boundary meters' day
  roll-ups, ``file``), baseline and reporting windows, the model, metrics and
  sufficiency (JSON), whether it qualified, the inputs (institutions, meters,
  temperatures) and the factor set — so a figure can say what made it. A new fit of
  the same carrier supersedes the current one (``is_current``).
- ``project_adjustment`` — a non-routine adjustment (area, occupants, operating
  hours, added load) of a carrier over [``period_start``, ``period_end``) (end
  excluded): the baseline times ``factor`` plus ``value`` [canonical unit, over the
  whole period, spread evenly over its days] (IPMVP eq. 1), the reason and the
  evidence document (required, a ``project_document``), state proposed / approved /
  rejected with who decided.
- ``project_statement`` — a monthly monitoring / quarterly evaluation / annual
  assessment statement of a period: the figures (JSON, per carrier and totals) with
  the runs and factor set that made them; one per (project, kind, period), rewritten
  by a new computation.
- ``project_settlement`` — a settlement of a period by the contract's mode
  (trusteeship / shared_savings / guaranteed_savings): the amounts (JSON) and the
  amount that changes hands, state draft / confirmed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
    update,
)

from . import tables as t
from .projects import project, project_document  # noqa: F401  (foreign keys)

METHODS = ("monthly", "caltrack-daily", "caltrack-billing")
SOURCES = ("statistics", "meters", "file")
ADJUSTMENT_KINDS = ("area", "occupants", "hours", "added_load")
ADJUSTMENT_STATES = ("proposed", "approved", "rejected")
STATEMENT_KINDS = ("monthly", "quarterly", "annual")
SETTLEMENT_MODES = ("trusteeship", "shared_savings", "guaranteed_savings")
SETTLEMENT_STATES = ("draft", "confirmed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _created() -> list[Column[Any]]:
    return [Column("created_by", String(64), nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False,
                   server_default=func.current_timestamp())]


project_mv_run = Table(
    "project_mv_run",
    t.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False),
    Column("carrier", String(24), nullable=False),
    Column("method", String(20), nullable=False),
    Column("source", String(12), nullable=False),
    Column("baseline_start", Date, nullable=False),
    Column("baseline_end", Date, nullable=False),
    Column("reporting_start", Date, nullable=True),
    Column("reporting_end", Date, nullable=True),
    Column("qualified", Boolean, nullable=False),
    Column("cvrmse", t.Double, nullable=True),
    Column("sufficiency", t.Double, nullable=True),
    Column("model", Text, nullable=False),
    Column("metrics", Text, nullable=False),
    Column("sufficiency_report", Text, nullable=False),
    Column("inputs", Text, nullable=False),
    Column("factor_set", String(40), nullable=False),
    Column("is_current", Boolean, nullable=False),
    *_created(),
    CheckConstraint(_in("method", METHODS), name="method"),
    CheckConstraint(_in("source", SOURCES), name="source"),
    CheckConstraint("baseline_end > baseline_start", name="baseline"),
    Index("ix_project_mv_run_project_id_carrier", "project_id", "carrier"),
)
Index("uq_project_mv_run_current", project_mv_run.c.project_id, project_mv_run.c.carrier,
      unique=True, sqlite_where=text("is_current = 1"), postgresql_where=text("is_current"))

project_adjustment = Table(
    "project_adjustment",
    t.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False, index=True),
    Column("carrier", String(24), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("value", t.Double, nullable=False),
    Column("factor", t.Double, nullable=False, server_default=text("1")),
    Column("reason", Text, nullable=False),
    Column("document_id", Integer, ForeignKey("project_document.id"), nullable=False),
    Column("state", String(10), nullable=False, server_default=text("'proposed'")),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decision_note", Text, nullable=True),
    *_created(),
    CheckConstraint(_in("kind", ADJUSTMENT_KINDS), name="kind"),
    CheckConstraint(_in("state", ADJUSTMENT_STATES), name="state"),
    CheckConstraint("period_end > period_start", name="period"),
)

project_statement = Table(
    "project_statement",
    t.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("period", String(8), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("first_month", SmallInteger, nullable=False),
    Column("last_month", SmallInteger, nullable=False),
    Column("run_ids", Text, nullable=False),
    Column("factor_set", String(40), nullable=False),
    Column("savings_tce", t.Double, nullable=True),
    Column("savings_yuan", t.Double, nullable=True),
    Column("savings_co2_t", t.Double, nullable=True),
    Column("savings_pct", t.Double, nullable=True),
    Column("figures", Text, nullable=False),
    *_created(),
    CheckConstraint(_in("kind", STATEMENT_KINDS), name="kind"),
    UniqueConstraint("project_id", "kind", "period"),
)

project_settlement = Table(
    "project_settlement",
    t.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("project.id"), nullable=False),
    Column("period", String(8), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("statement_id", Integer, ForeignKey("project_statement.id"), nullable=False),
    Column("amount_yuan", t.Double, nullable=False),
    Column("esco_margin_yuan", t.Double, nullable=True),
    Column("amounts", Text, nullable=False),
    Column("state", String(10), nullable=False, server_default=text("'draft'")),
    Column("confirmed_by", String(64), nullable=True),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    *_created(),
    CheckConstraint(_in("mode", SETTLEMENT_MODES), name="mode"),
    CheckConstraint(_in("state", SETTLEMENT_STATES), name="state"),
    UniqueConstraint("project_id", "period"),
)

_JSON = {"model", "metrics", "sufficiency_report", "inputs", "run_ids", "figures", "amounts"}


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in _JSON & set(out):
        out[key] = json.loads(out[key])
    return out


def dumps(value: Any) -> str:
    """JSON text of a stored structure (UTF-8 kept, NaN refused)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)


# ---- runs

def insert_run(conn: Connection, values: dict[str, Any]) -> int:
    """Store a run as the current one of its (project, carrier); the previous current
    run is kept, superseded."""
    r = project_mv_run
    conn.execute(update(r).where(r.c.project_id == values["project_id"],
                                 r.c.carrier == values["carrier"], r.c.is_current)
                 .values(is_current=False))
    stored = {k: dumps(v) if k in _JSON else v for k, v in values.items()}
    return int(conn.execute(r.insert().values(**stored, is_current=True)
                            .returning(r.c.id)).scalar_one())


def runs(conn: Connection, project_id: int, *, current_only: bool = True
         ) -> list[dict[str, Any]]:
    r = project_mv_run
    stmt = select(r).where(r.c.project_id == project_id)
    if current_only:
        stmt = stmt.where(r.c.is_current)
    return [_row(x) for x in conn.execute(stmt.order_by(r.c.carrier, r.c.id.desc()))]


def run(conn: Connection, run_id: int) -> dict[str, Any] | None:
    found = conn.execute(select(project_mv_run).where(project_mv_run.c.id == run_id)).first()
    return None if found is None else _row(found)


# ---- adjustments

def insert_adjustment(conn: Connection, values: dict[str, Any]) -> int:
    a = project_adjustment
    return int(conn.execute(a.insert().values(**values).returning(a.c.id)).scalar_one())


def adjustments(conn: Connection, project_id: int, *, states: Sequence[str] | None = None
                ) -> list[dict[str, Any]]:
    a = project_adjustment
    stmt = select(a).where(a.c.project_id == project_id)
    if states is not None:
        stmt = stmt.where(a.c.state.in_(list(states)))
    return [_row(x) for x in conn.execute(stmt.order_by(a.c.period_start, a.c.id))]


def adjustment(conn: Connection, adjustment_id: int) -> dict[str, Any] | None:
    a = project_adjustment
    found = conn.execute(select(a).where(a.c.id == adjustment_id)).first()
    return None if found is None else _row(found)


def decide_adjustment(conn: Connection, adjustment_id: int, *, state: str, by: str,
                      at: datetime, note: str | None) -> None:
    a = project_adjustment
    conn.execute(update(a).where(a.c.id == adjustment_id).values(
        state=state, decided_by=by, decided_at=at, decision_note=note))


def document_of(conn: Connection, project_id: int, document_id: int) -> Any | None:
    """The project's document ``document_id`` (title, kind), or None."""
    d = project_document
    return conn.execute(select(d.c.id, d.c.title, d.c.kind).where(
        d.c.id == document_id, d.c.project_id == project_id)).first()


# ---- statements and settlements

def upsert_statement(conn: Connection, values: dict[str, Any]) -> int:
    """Store a statement, replacing the one of the same (project, kind, period)."""
    s = project_statement
    stored = {k: dumps(v) if k in _JSON else v for k, v in values.items()}
    found = conn.execute(select(s.c.id).where(
        s.c.project_id == values["project_id"], s.c.kind == values["kind"],
        s.c.period == values["period"])).scalar()
    if found is not None:
        conn.execute(update(s).where(s.c.id == found).values(
            **stored, created_at=func.current_timestamp()))
        return int(found)
    return int(conn.execute(s.insert().values(**stored).returning(s.c.id)).scalar_one())


def statements(conn: Connection, project_id: int, *, kind: str | None = None,
               year: int | None = None) -> list[dict[str, Any]]:
    s = project_statement
    stmt = select(s).where(s.c.project_id == project_id)
    if kind is not None:
        stmt = stmt.where(s.c.kind == kind)
    if year is not None:
        stmt = stmt.where(s.c.year == year)
    return [_row(x) for x in conn.execute(stmt.order_by(s.c.year, s.c.first_month,
                                                        s.c.last_month))]


def statement(conn: Connection, project_id: int, kind: str, period: str
              ) -> dict[str, Any] | None:
    s = project_statement
    found = conn.execute(select(s).where(s.c.project_id == project_id, s.c.kind == kind,
                                         s.c.period == period)).first()
    return None if found is None else _row(found)


def settlement(conn: Connection, project_id: int, period: str) -> dict[str, Any] | None:
    s = project_settlement
    found = conn.execute(select(s).where(s.c.project_id == project_id,
                                         s.c.period == period)).first()
    return None if found is None else _row(found)


def settlements(conn: Connection, project_id: int) -> list[dict[str, Any]]:
    s = project_settlement
    return [_row(x) for x in conn.execute(
        select(s).where(s.c.project_id == project_id).order_by(s.c.period))]


def upsert_settlement(conn: Connection, values: dict[str, Any]) -> int:
    """Store a draft settlement, replacing a draft of the same period."""
    s = project_settlement
    stored = {k: dumps(v) if k in _JSON else v for k, v in values.items()}
    found = settlement(conn, values["project_id"], values["period"])
    if found is not None:
        conn.execute(update(s).where(s.c.id == found["id"]).values(
            **stored, created_at=func.current_timestamp()))
        return int(found["id"])
    return int(conn.execute(s.insert().values(**stored).returning(s.c.id)).scalar_one())


def confirm_settlement(conn: Connection, settlement_id: int, *, by: str, at: datetime) -> None:
    s = project_settlement
    conn.execute(update(s).where(s.c.id == settlement_id).values(
        state="confirmed", confirmed_by=by, confirmed_at=at))


def latest_statements(conn: Connection, project_ids: Sequence[int], kind: str
                      ) -> dict[int, dict[str, Any]]:
    """project id → its latest statement of ``kind`` (one query)."""
    s = project_statement
    if not project_ids:
        return {}
    rows = conn.execute(select(s).where(s.c.project_id.in_(list(project_ids)),
                                        s.c.kind == kind)
                        .order_by(s.c.project_id, s.c.year, s.c.last_month))
    return {int(r.project_id): _row(r) for r in rows}


def date_key(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def current_runs_for(conn: Connection, project_ids: Sequence[int]) -> dict[int, list[Any]]:
    """project id → its current runs (carrier, method, cvrmse, sufficiency; one query)."""
    r = project_mv_run
    out: dict[int, list[Any]] = {}
    if not project_ids:
        return out
    for row in conn.execute(select(r.c.project_id, r.c.id, r.c.carrier, r.c.method,
                                   r.c.cvrmse, r.c.sufficiency).where(
            r.c.project_id.in_(list(project_ids)), r.c.is_current)):
        out.setdefault(int(row.project_id), []).append(row)
    return out


def statements_for(conn: Connection, project_ids: Sequence[int], year: int, kind: str
                   ) -> dict[int, list[dict[str, Any]]]:
    """project id → its statements of ``kind`` in ``year``, by period (one query)."""
    s = project_statement
    out: dict[int, list[dict[str, Any]]] = {}
    if not project_ids:
        return out
    for row in conn.execute(select(s).where(s.c.project_id.in_(list(project_ids)),
                                            s.c.year == year, s.c.kind == kind)
                            .order_by(s.c.project_id, s.c.first_month)):
        out.setdefault(int(row.project_id), []).append(_row(row))
    return out
