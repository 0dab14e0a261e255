"""Performance assessment (绩效考核) sheets and scores (issue 14 §4).

- ``assessment_sheet_version`` — every load of a sheet is a new version, numbered 1, 2 …
  per ``code``; ``subject`` ``region`` (the child regions of the assessing region) or
  ``institution`` (the units of its subtree); ``origin`` ``shipped`` or ``local``;
  ``content`` the sheet as canonical CSV (the scheme format of
  :mod:`jieneng.core.campaigns.scheme`) with its ``sha256``. Never changed.
- ``assessment_run`` — one assessment: (sheet version, region, year), ``state``
  ``open`` → ``confirmed``.
- ``assessment_subject`` — who a run assesses (``subject_key``: a region code or an
  institution id as text), frozen when the run is computed.
- ``assessment_figure`` — the figures the platform computed per subject and measure
  (NULL value: no figure).
- ``assessment_hand_score`` — a hand score per subject and checklist/inspection item,
  with its note, who and when.

The only writer is :mod:`jieneng.services.assessments`. Every read of many subjects is
one statement (the figures of a run; the per-institution counts of
:func:`institution_counts`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Row,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)

from jieneng.core.scope import Filters

from . import tables as t
from .bulk import bulk_insert
from .projects import project, project_owner
from .reporting import period_due
from .scoping import institution_conditions, region_conditions
from .summaries import REPORTED_STATES
from .tables import Double, metadata

SUBJECTS: tuple[str, ...] = ("region", "institution")
RUN_STATES: tuple[str, ...] = ("open", "confirmed")

assessment_sheet_version = Table(
    "assessment_sheet_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("subject", String(12), nullable=False),
    Column("origin", String(8), nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("total", Double, nullable=False),
    Column("content", Text, nullable=False),
    Column("sha256", CHAR(64), nullable=False),
    Column("file_name", String(255), nullable=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("code", "version"),
    CheckConstraint("subject IN ('region', 'institution')", name="subject"),
    CheckConstraint("origin IN ('shipped', 'local')", name="origin"),
)

assessment_run = Table(
    "assessment_run",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sheet_version_id", Integer, ForeignKey("assessment_sheet_version.id"),
           nullable=False),
    Column("region_code", CHAR(6), ForeignKey("region.code"), nullable=False),
    Column("year", SmallInteger, nullable=False),
    Column("state", String(12), nullable=False),
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=True),
    Column("confirmed_by", String(64), nullable=True),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("sheet_version_id", "region_code", "year"),
    CheckConstraint("state IN ('open', 'confirmed')", name="state"),
)

assessment_subject = Table(
    "assessment_subject",
    metadata,
    Column("run_id", Integer, ForeignKey("assessment_run.id"), nullable=False),
    Column("subject_key", String(16), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("region_code", CHAR(6), nullable=False),
    Column("category", String(3), nullable=True),
    PrimaryKeyConstraint("run_id", "subject_key"),
)

assessment_figure = Table(
    "assessment_figure",
    metadata,
    Column("run_id", Integer, ForeignKey("assessment_run.id"), nullable=False),
    Column("subject_key", String(16), nullable=False),
    Column("measure", String(64), nullable=False),
    Column("value", Double, nullable=True),
    PrimaryKeyConstraint("run_id", "subject_key", "measure"),
)

assessment_hand_score = Table(
    "assessment_hand_score",
    metadata,
    Column("run_id", Integer, ForeignKey("assessment_run.id"), nullable=False),
    Column("subject_key", String(16), nullable=False),
    Column("item_code", String(64), nullable=False),
    Column("score", Double, nullable=False),
    Column("note", Text, nullable=True),
    Column("scored_by", String(64), nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("run_id", "subject_key", "item_code"),
)

_v, _r = assessment_sheet_version, assessment_run


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- sheets

def latest_sheet(conn: Connection, code: str) -> Row[Any] | None:
    return conn.execute(select(_v).where(_v.c.code == code)
                        .order_by(_v.c.version.desc()).limit(1)).first()


def add_sheet(conn: Connection, *, code: str, subject: str, origin: str,
              region_code: str | None, name_zh: str, name_en: str, total: float,
              content: str, sha256: str, file_name: str | None, created_by: str
              ) -> dict[str, int]:
    """Store the next version of sheet ``code``."""
    latest = latest_sheet(conn, code)
    version = 1 if latest is None else int(latest.version) + 1
    new_id = conn.execute(insert(_v).values(
        code=code, version=version, subject=subject, origin=origin, region_code=region_code,
        name_zh=name_zh, name_en=name_en, total=total, content=content, sha256=sha256,
        file_name=file_name, created_by=created_by, created_at=_now())
        .returning(_v.c.id)).scalar_one()
    return {"id": int(new_id), "version": version}


def sheets(conn: Connection) -> list[dict[str, Any]]:
    """Every stored version (without its content), newest first per code."""
    cols = [c for c in _v.c if c.name != "content"]
    rows = conn.execute(select(*cols).order_by(_v.c.code, _v.c.version.desc()))
    return [dict(r._mapping) for r in rows]


def sheet(conn: Connection, version_id: int) -> Row[Any] | None:
    return conn.execute(select(_v).where(_v.c.id == version_id)).first()


def sheet_by_code(conn: Connection, code: str, version: int | None) -> Row[Any] | None:
    if version is None:
        return latest_sheet(conn, code)
    return conn.execute(select(_v).where(_v.c.code == code, _v.c.version == version)).first()


# ---------------------------------------------------------------- runs

def find_run(conn: Connection, version_id: int, region_code: str, year: int
             ) -> Row[Any] | None:
    return conn.execute(select(_r).where(_r.c.sheet_version_id == version_id,
                                         _r.c.region_code == region_code,
                                         _r.c.year == year)).first()


def add_run(conn: Connection, *, version_id: int, region_code: str, year: int,
            opened_by: str) -> int:
    return int(conn.execute(insert(_r).values(
        sheet_version_id=version_id, region_code=region_code, year=year, state="open",
        opened_by=opened_by, opened_at=_now()).returning(_r.c.id)).scalar_one())


def run(conn: Connection, run_id: int, *, lock: bool = False) -> Row[Any] | None:
    query = select(_r, _v.c.code, _v.c.version, _v.c.subject, _v.c.name_zh, _v.c.name_en,
                   _v.c.total).join(_v, _v.c.id == _r.c.sheet_version_id).where(
                       _r.c.id == run_id)
    if lock:
        query = query.with_for_update(of=_r)
    return conn.execute(query).first()


def runs(conn: Connection, filters: Filters) -> list[dict[str, Any]]:
    """Every run of a region inside ``filters``, newest first."""
    query = (select(_r, _v.c.code, _v.c.version, _v.c.subject, _v.c.name_zh, _v.c.name_en)
             .join(_v, _v.c.id == _r.c.sheet_version_id)
             .where(*region_conditions(conn, _r.c.region_code, filters))
             .order_by(_r.c.year.desc(), _r.c.id.desc()))
    return [dict(r._mapping) for r in conn.execute(query)]


def set_computed(conn: Connection, run_id: int, subjects: pl.DataFrame,
                 figures: pl.DataFrame) -> None:
    """Replace the run's subjects and figures (frames with the tables' columns but
    ``run_id``; written in bulk: COPY on PostgreSQL)."""
    conn.execute(delete(assessment_figure).where(assessment_figure.c.run_id == run_id))
    conn.execute(delete(assessment_subject).where(assessment_subject.c.run_id == run_id))
    run = pl.lit(run_id, dtype=pl.Int64).alias("run_id")
    bulk_insert(conn, assessment_subject, subjects.with_columns(run))
    bulk_insert(conn, assessment_figure, figures.with_columns(run))
    conn.execute(update(_r).where(_r.c.id == run_id).values(computed_at=_now()))


def confirm(conn: Connection, run_id: int, by: str) -> None:
    conn.execute(update(_r).where(_r.c.id == run_id).values(
        state="confirmed", confirmed_by=by, confirmed_at=_now()))


def subjects(conn: Connection, run_id: int) -> list[dict[str, Any]]:
    s = assessment_subject
    rows = conn.execute(select(s).where(s.c.run_id == run_id).order_by(s.c.position))
    return [dict(r._mapping) for r in rows]


def figures(conn: Connection, run_id: int) -> pl.DataFrame:
    """The run's figures: ``subject_key``, ``measure``, ``value`` (null: none)."""
    f = assessment_figure
    rows = conn.execute(select(f.c.subject_key, f.c.measure, f.c.value)
                        .where(f.c.run_id == run_id)).fetchall()
    return pl.DataFrame(rows, schema={"subject_key": pl.Utf8, "measure": pl.Utf8,
                                      "value": pl.Float64}, orient="row")


def hand_scores(conn: Connection, run_id: int) -> list[dict[str, Any]]:
    h = assessment_hand_score
    return [dict(r._mapping) for r in conn.execute(select(h).where(h.c.run_id == run_id))]


def put_hand_scores(conn: Connection, run_id: int, scores: list[dict[str, Any]],
                    by: str) -> None:
    """Replace the given (subject, item) hand scores; a ``None`` score removes one."""
    h = assessment_hand_score
    now = _now()
    for s in scores:  # the few cells of one form
        conn.execute(delete(h).where(h.c.run_id == run_id,
                                     h.c.subject_key == s["subject_key"],
                                     h.c.item_code == s["item_code"]))
    rows = [{"run_id": run_id, "subject_key": s["subject_key"], "item_code": s["item_code"],
             "score": s["score"], "note": s.get("note") or None, "scored_by": by,
             "scored_at": now} for s in scores if s["score"] is not None]
    if rows:
        conn.execute(insert(h), rows)


# ---------------------------------------------------------------- figures from the platform

def institution_list(conn: Connection, filters: Filters) -> list[Row[Any]]:
    """The active institutions inside ``filters`` (id, name, region, category)."""
    i = t.institution
    return list(conn.execute(
        select(i.c.id, i.c.name, i.c.region_code, i.c.category)
        .where(i.c.status == "active", *institution_conditions(conn, filters))
        .order_by(i.c.region_code, i.c.id)))


def institution_counts(conn: Connection, filters: Filters, *, year: int, as_of: date
                       ) -> list[Row[Any]]:
    """Per institution inside ``filters``, of ``year``'s report tasks due on ``as_of``
    (:func:`jieneng.storage.reporting.period_due`): ``expected``, ``reported``,
    ``on_time`` (submitted on or before the deadline) and ``approved``. One GROUP BY."""
    p, k, i = t.reporting_period, t.reporting_task, t.institution
    due = period_due(as_of, p)

    def among_due(condition: Any) -> Any:
        return func.sum(case((and_(due, condition), 1), else_=0))

    on_time = and_(k.c.state.in_(REPORTED_STATES), k.c.submitted_at.is_not(None),
                   cast(k.c.submitted_at, Date) <= p.c.deadline)
    query = (
        select(k.c.institution_id, among_due(k.c.id.is_not(None)).label("expected"),
               among_due(k.c.state.in_(REPORTED_STATES)).label("reported"),
               among_due(on_time).label("on_time"),
               among_due(k.c.state == "approved").label("approved"))
        .select_from(k.join(p, p.c.id == k.c.period_id).join(i, i.c.id == k.c.institution_id))
        .where(p.c.year == year, *institution_conditions(conn, filters))
        .group_by(k.c.institution_id))
    return list(conn.execute(query))


def finding_counts(conn: Connection, filters: Filters, *, year: int) -> list[Row[Any]]:
    """Per institution inside ``filters``, the quality findings of ``year``: ``findings``,
    ``handled`` (explained or resolved), ``error_months`` (months with an error-severity
    finding). One GROUP BY."""
    q, i = t.quality_finding, t.institution
    error_month = case((q.c.severity == "error", q.c.month), else_=None)
    query = (
        select(q.c.institution_id, func.count().label("findings"),
               func.sum(case((q.c.state != "open", 1), else_=0)).label("handled"),
               func.count(func.distinct(error_month)).label("error_months"))
        .select_from(q.join(i, i.c.id == q.c.institution_id))
        .where(q.c.year == year, *institution_conditions(conn, filters))
        .group_by(q.c.institution_id))
    return list(conn.execute(query))


def project_counts(conn: Connection, filters: Filters, *, year: int,
                   in_operation: frozenset[str]) -> list[Row[Any]]:
    """Per owner institution inside ``filters``, the projects of ``year`` not terminated
    (``projects``) and of those in a state of ``in_operation`` (``in_operation``)."""
    o, i = project_owner, t.institution

    query = (
        select(o.c.institution_id, func.count(func.distinct(project.c.id)).label("projects"),
               func.count(func.distinct(case(
                   (project.c.state.in_(sorted(in_operation)), project.c.id), else_=None)))
               .label("in_operation"))
        .select_from(project.join(o, o.c.project_id == project.c.id)
                     .join(i, i.c.id == o.c.institution_id))
        .where(project.c.year == year, project.c.state != "terminated",
               *institution_conditions(conn, filters))
        .group_by(o.c.institution_id))
    return list(conn.execute(query))
