"""The review queue (审核队列) at scale: which tasks wait for a reviewer
(:func:`awaiting`, the chain 主管部门 → 区县 → the period's office) and one page of
them with everything a row shows (:func:`queue_page`): the task, its open finding
counts and the quantities of its period and of the same period a year before, in
one query per page (plus the count) — no query per row.

Quantities come from the roll-ups ``consumption_month`` (a 月报: its month) and
``consumption_year`` (a 年报: the year), so a row's figures are the current
revisions, as the overview reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.scope import Filters

from . import tables as t
from .reporting import _task_select
from .scoping import institution_conditions

#: Filters of the queue besides the scope: ``region_codes`` (a region's subtree),
#: ``department_id``, ``categories``, ``states``, ``findings`` (``any`` / ``errors`` /
#: ``warnings``: open findings of that kind).
FINDING_FILTERS: tuple[str, ...] = ("any", "errors", "warnings")


def awaiting(reviewer: str, department_id: int | None = None,
             above: Sequence[str] = ()) -> ColumnElement[bool]:
    """Tasks waiting for a reviewer, by the chain 主管部门 → 区县 → the period's office:

    - ``"department"`` — submitted tasks with the department step of the department's units;
    - ``"office"`` — of the periods opened on ``above`` (the regions above the
      reviewer's) the tasks with a county step waiting for it; every other task
      waiting for the period's office (approved by the county, else by the
      department, else submitted without an earlier step): without a county step an
      office below the period's region decides as before."""
    task, p, i = t.reporting_task, t.reporting_period, t.institution
    dept = and_(p.c.department_step.is_(True), i.c.department_id.is_not(None))
    if reviewer == "department":
        mine = i.c.department_id == department_id if department_id is not None else literal(True)
        return and_(task.c.state == "submitted", dept, mine)
    county = and_(p.c.region_step.is_(True), i.c.region_code != p.c.region_code)
    county_waits = and_(county, or_(task.c.state == "dept_approved",
                                    and_(task.c.state == "submitted", ~dept)))
    office_waits = or_(task.c.state == "region_approved",
                       and_(task.c.state == "dept_approved", ~county),
                       and_(task.c.state == "submitted", ~dept, ~county))
    # the IN list lets the planner use the (period_id, state) index
    pending = task.c.state.in_(("submitted", "dept_approved", "region_approved"))
    if not above:
        return and_(pending, office_waits)
    lower = p.c.region_code.in_(sorted(above))
    return and_(pending, or_(and_(lower, county_waits),
                             and_(or_(~lower, ~county), office_waits)))


def _has_findings(kind: str) -> ColumnElement[bool]:
    task, p, f = t.reporting_task, t.reporting_period, t.quality_finding
    severities = {"errors": ("error",), "warnings": ("warning",)}.get(kind,
                                                                     ("error", "warning"))
    return exists(select(1).select_from(f).where(
        f.c.institution_id == task.c.institution_id, f.c.year == p.c.year,
        or_(p.c.kind == "annual", f.c.month == p.c.month),
        f.c.severity.in_(severities), f.c.state == "open"))


def _quantities(offset_years: int, prefix: str) -> tuple[list[Any], list[Any]]:
    """Outer joins of the month and year roll-ups of the task's period moved by
    ``offset_years``, and their quantity columns as ``<prefix><carrier>``."""
    task, p = t.reporting_task, t.reporting_period
    month = t.consumption_month.alias(f"{prefix}month")
    year = t.consumption_year.alias(f"{prefix}year")
    joins = [
        (month, and_(month.c.institution_id == task.c.institution_id,
                     month.c.year == p.c.year + offset_years, month.c.month == p.c.month,
                     p.c.kind == "monthly")),
        (year, and_(year.c.institution_id == task.c.institution_id,
                    year.c.year == p.c.year + offset_years, p.c.kind == "annual")),
    ]
    columns = [func.coalesce(month.c[t.quantity_column(c)], year.c[t.quantity_column(c)]
                             ).label(f"{prefix}{c}") for c in CARRIER_CODES]
    return joins, columns


def queue_page(
    conn: Connection, filters: Filters, *, waiting: ColumnElement[bool],
    period_id: int | None = None, categories: Sequence[str] | None = None,
    competent_id: int | None = None, states: Sequence[str] | None = None,
    findings: str | None = None,
    offset: int = 0, limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the queue (deadline order as :func:`.reporting.task_page`) with
    ``now_<carrier>`` and ``before_<carrier>`` quantities, and the total."""
    task, p, i = t.reporting_task, t.reporting_period, t.institution
    conditions = [*institution_conditions(conn, filters), waiting]
    if period_id is not None:
        conditions.append(task.c.period_id == period_id)
    if categories:
        conditions.append(i.c.category.in_(sorted(set(categories))))
    if competent_id is not None:  # the units of one 主管部门
        conditions.append(i.c.department_id == competent_id)
    if states:
        conditions.append(task.c.state.in_(sorted(set(states))))
    if findings:
        conditions.append(_has_findings(findings))
    base = task.join(p, p.c.id == task.c.period_id).join(i, i.c.id == task.c.institution_id)
    total = int(conn.execute(select(func.count()).select_from(base).where(*conditions))
                .scalar_one())
    outer: list[Any] = []
    extra: list[Any] = []
    for offset_years, prefix in ((0, "now_"), (-1, "before_")):
        joins, columns = _quantities(offset_years, prefix)
        outer += joins
        extra += columns
    stmt = (_task_select(findings=True, extra=extra, outer=outer).where(*conditions)
            .order_by(p.c.year.desc(), p.c.month.desc(), i.c.region_code, i.c.credit_code,
                      task.c.id)
            .offset(offset).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()], total


def departments(conn: Connection, filters: Filters, *, limit: int = 500) -> list[dict[str, Any]]:
    """The competent departments (主管部门) of the institutions in ``filters``: ``id,
    credit_code, name`` (one query), for the queue's department filter."""
    i, d = t.institution, t.institution.alias("dept")
    ids = select(i.c.department_id).where(*institution_conditions(conn, filters),
                                          i.c.department_id.is_not(None)).distinct()
    stmt = (select(d.c.id, d.c.credit_code, d.c.name).where(d.c.id.in_(ids))
            .order_by(d.c.name).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]



def recent_periods(conn: Connection, *, limit: int = 36) -> list[dict[str, Any]]:
    """The latest reporting periods of any region, newest first (``id, year, month``; a
    small table): the candidates of :func:`period_completion`."""
    p = t.reporting_period
    stmt = (select(p.c.id, p.c.year, p.c.month).order_by(p.c.year.desc(), p.c.month.desc(),
                                                          p.c.id).limit(limit))
    return [{"id": int(r.id), "year": int(r.year), "month": int(r.month)}
            for r in conn.execute(stmt)]


def period_completion(conn: Connection, filters: Filters, period_ids: Sequence[int]
                      ) -> tuple[int, int]:
    """``(tasks, approved)`` of the periods ``period_ids`` inside ``filters`` — one query
    on the ``(period_id, state)`` index and the institutions of the scope."""
    task, i = t.reporting_task, t.institution
    approved = func.sum(case((task.c.state == "approved", 1), else_=0))
    stmt = (
        select(func.count(), approved)
        .select_from(task.join(i, i.c.id == task.c.institution_id))
        .where(task.c.period_id.in_(sorted(set(period_ids))),
               *institution_conditions(conn, filters))
    )
    row = conn.execute(stmt).one()
    return int(row[0] or 0), int(row[1] or 0)
