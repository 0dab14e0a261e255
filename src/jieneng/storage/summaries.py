"""Query side of the reporting rate (上报率/审核率) and of the summaries (汇总).

Both read the reporting workflow tables (``reporting_period``, ``reporting_task``)
set-based, one GROUP BY each:

- :func:`task_counts` — tasks of a period per (region, competent department,
  category): expected, reported (submitted / dept_approved / region_approved / approved) and
  approved; :func:`open_tasks` — the tasks not yet reported.
- :func:`approved_sums` — the additive sums of :func:`jieneng.storage.indicators.group_sums`
  (same shape, same merge) over the *approved* figures only: the
  ``consumption_month`` rows of an (institution, year, month) whose monthly task
  of that month, or whose annual task (年报, month 0) of that year, is ``approved``.

The competent department of an institution (its 部门汇总 key) is its
``department_id``; a department itself (an institution other units name as their
department) belongs to its own key; other institutions have none (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Connection, and_, case, exists, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.scope import Filters

from . import tables as t
from .indicators import _check_months, _merge_rows
from .scoping import institution_conditions

#: Task states that count as reported (已上报) for the 上报率.
REPORTED_STATES: tuple[str, ...] = ("submitted", "dept_approved", "region_approved", "approved")
#: Task states of an institution that has not reported yet.
OPEN_STATES: tuple[str, ...] = ("not_started", "in_progress", "returned")

SumsBy = Literal["region", "department"]


def department_key() -> ColumnElement[Any]:
    """The competent department of ``institution`` rows: ``department_id``, the
    institution's own id when it is a department, else NULL."""
    i = t.institution
    d = t.institution.alias("dept_of")
    departments = select(d.c.department_id).where(d.c.department_id.is_not(None))
    return case(
        (i.c.department_id.is_not(None), i.c.department_id),
        (i.c.id.in_(departments), i.c.id),
        else_=None,
    )


def get_period(conn: Connection, period_id: int) -> dict[str, Any] | None:
    """One reporting period as a dict (``id, region_code, kind, year, month,
    deadline, department_step``), or None."""
    p = t.reporting_period
    row = conn.execute(
        select(p.c.id, p.c.region_code, p.c.kind, p.c.year, p.c.month, p.c.deadline,
               p.c.department_step).where(p.c.id == period_id)
    ).mappings().first()
    return None if row is None else dict(row)


def periods_in(conn: Connection, region_codes: Sequence[str] | None) -> list[dict[str, Any]]:
    """The periods opened for one of ``region_codes`` (None: all), latest first."""
    p = t.reporting_period
    stmt = select(p.c.id, p.c.region_code, p.c.kind, p.c.year, p.c.month, p.c.deadline,
                  p.c.department_step)
    if region_codes is not None:
        stmt = stmt.where(p.c.region_code.in_(sorted(set(region_codes))))
    stmt = stmt.order_by(p.c.year.desc(), p.c.month.desc(), p.c.id.desc())
    return [dict(r) for r in conn.execute(stmt).mappings()]


def task_counts(
    conn: Connection,
    filters: Filters,
    *,
    period_id: int,
) -> list[dict[str, Any]]:
    """Tasks of a period per ``(region_code, department_id, category)``: items with
    those keys and ``expected``, ``reported``, ``approved`` (counts)."""
    i, task = t.institution, t.reporting_task
    inner = (
        select(i.c.region_code, department_key().label("department_id"), i.c.category,
               task.c.state)
        .select_from(task.join(i, i.c.id == task.c.institution_id))
        .where(task.c.period_id == period_id,
               *institution_conditions(conn, filters))
        .subquery("tasks")
    )
    reported = func.sum(case((inner.c.state.in_(REPORTED_STATES), 1), else_=0))
    approved = func.sum(case((inner.c.state == "approved", 1), else_=0))
    keys = (inner.c.region_code, inner.c.department_id, inner.c.category)
    stmt = (
        select(*keys, func.count(), reported, approved)
        .group_by(*keys)
    )
    out = [
        {"region_code": r, "department_id": d, "category": c, "expected": int(n),
         "reported": int(rep or 0), "approved": int(app or 0)}
        for r, d, c, n, rep, app in conn.execute(stmt)
    ]
    out.sort(key=lambda x: (x["region_code"], x["department_id"] or 0, x["category"]))
    return out


def open_tasks(
    conn: Connection,
    filters: Filters,
    *,
    period_id: int,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """(total, page) of the tasks of a period not yet reported (state in
    :data:`OPEN_STATES`), ordered by region and credit code: items ``task_id,
    institution_id, credit_code, name, region_code, category, department_id, state,
    updated_at``."""
    i, task = t.institution, t.reporting_task
    where = [task.c.period_id == period_id, task.c.state.in_(OPEN_STATES),
             *institution_conditions(conn, filters)]
    source = task.join(i, i.c.id == task.c.institution_id)
    total = int(conn.execute(select(func.count()).select_from(source).where(*where))
                .scalar_one())
    stmt = (
        select(task.c.id.label("task_id"), i.c.id.label("institution_id"), i.c.credit_code,
               i.c.name, i.c.region_code, i.c.category,
               department_key().label("department_id"), task.c.state, task.c.updated_at)
        .select_from(source).where(*where)
        .order_by(i.c.region_code, i.c.credit_code).offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return total, [dict(r) for r in conn.execute(stmt).mappings()]


def institution_names(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """id → (credit code, name) of the given institutions."""
    if not ids:
        return {}
    i = t.institution
    rows = conn.execute(select(i.c.id, i.c.credit_code, i.c.name)
                        .where(i.c.id.in_(sorted(set(ids)))))
    return {int(r[0]): (str(r[1]), str(r[2])) for r in rows}


def _approved_month(cm: Any) -> ColumnElement[bool]:
    """Whether a ``consumption_month`` row is covered by an approved task: the
    monthly task of its month or the annual task (month 0) of its year."""
    task, p = t.reporting_task, t.reporting_period
    return exists(
        select(literal(1))
        .select_from(task.join(p, p.c.id == task.c.period_id))
        .where(task.c.institution_id == cm.c.institution_id, task.c.state == "approved",
               p.c.year == cm.c.year, or_(p.c.month == cm.c.month, p.c.month == 0))
    )


def approved_sums(
    conn: Connection,
    filters: Filters,
    *,
    year: int,
    months: tuple[int, int] | None = None,
    by: SumsBy = "region",
) -> list[dict[str, Any]]:
    """The sums of :func:`jieneng.storage.indicators.group_sums` over approved figures,
    per ``(region_code, category)`` (``by="region"``) or ``(department_id, category)``
    (``by="department"``; ``department_id`` None for institutions without one)."""
    checked = _check_months(months)
    first, last = checked if checked is not None else (1, 12)
    cm, i, p = t.consumption_month, t.institution, t.institution_profile
    cols: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        q, c = t.quantity_column(code), t.cost_column(code)
        cols += [func.sum(cm.c[q]).label(q), func.sum(cm.c[c]).label(c)]
    per = (
        select(cm.c.institution_id, *cols)
        .where(cm.c.year == year, cm.c.month.between(first, last), _approved_month(cm))
        .group_by(cm.c.institution_id)
        .subquery("per")
    )
    key = i.c.region_code if by == "region" else department_key()
    values: list[ColumnElement[Any]] = []
    for code in CARRIER_CODES:
        values += [per.c[t.quantity_column(code)], per.c[t.cost_column(code)]]
    inner = (
        select(key.label("key"), i.c.category,
               case((p.c.occupants > 0, 1), else_=0).label("has_occ"),
               case((p.c.floor_area_m2 > 0, 1), else_=0).label("has_area"),
               *values, p.c.occupants, p.c.floor_area_m2)
        .select_from(per.join(i, i.c.id == per.c.institution_id).outerjoin(
            p, and_(p.c.institution_id == per.c.institution_id, p.c.year == literal(year))))
        .where(*institution_conditions(conn, filters))
        .subquery("inner")
    )
    aggs: list[ColumnElement[Any]] = [func.count()]
    for code in CARRIER_CODES:
        aggs += [func.sum(inner.c[t.quantity_column(code)]),
                 func.sum(inner.c[t.cost_column(code)])]
    aggs += [func.sum(inner.c.occupants), func.sum(inner.c.floor_area_m2)]
    keys = (inner.c.key.label("region_code" if by == "region" else "department_id"),
            inner.c.category)
    stmt = (
        select(*keys, inner.c.has_occ, inner.c.has_area, *aggs)
        .group_by(inner.c.key, inner.c.category, inner.c.has_occ, inner.c.has_area)
    )
    if by == "department":
        # NULL keys do not sort against integers in Python: map them to -1 for the merge
        rows = [(-1 if r[0] is None else r[0], *r[1:]) for r in conn.execute(stmt)]
        merged = _merge_rows(_Rows(["department_id", "category"], rows), 2)
        for item in merged:
            if item["department_id"] == -1:
                item["department_id"] = None
        return merged
    return _merge_rows(conn.execute(stmt), 2)


class _Rows(list[tuple[Any, ...]]):
    """Rows with ``keys()``, as :func:`jieneng.storage.indicators._merge_rows` reads them."""

    def __init__(self, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        super().__init__(rows)
        self._names = names

    def keys(self) -> list[str]:
        return self._names

