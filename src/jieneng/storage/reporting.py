"""Reporting periods and tasks (填报任务), set-based.

- :func:`sync_tasks` creates the missing ``not_started`` tasks of a period for every
  active institution of its subtree in one ``INSERT … SELECT`` (idempotent: run it
  again after the directory grew);
- :func:`move_task` / :func:`move_tasks` change state under the optimistic lock
  ``UPDATE … SET version = version + 1 WHERE id = :id AND version = :read``;
- :func:`task_page` lists tasks with filters, pagination and, per task, the counts
  of blocking data-quality findings (read from ``quality_finding``, never written);
- :func:`period_due` is the rule of every yearly rate: which periods' tasks count;
- :func:`locked_keys` / :func:`start_tasks` join the institution-months a figure
  write touches with the tasks covering them (one query each).

Scope arrives as one :class:`jieneng.core.scope.Filters` (from
:func:`jieneng.services.scope.scoped_filters`), applied by :mod:`jieneng.storage.scoping`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    Select,
    SmallInteger,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.scope import Filters

from . import tables as t
from .bulk import analyze, bulk_insert, ensure_temp, temp_table
from .scoping import institution_conditions, region_conditions

#: Refresh the planner's statistics of ``reporting_task`` after adding this many tasks.
ANALYZE_AFTER = 1000

#: The institution-months of a figure write (see :func:`stage_keys`).
_task_keys = temp_table(
    "_jn_task_keys",
    Column("institution_id", Integer, primary_key=True),
    Column("year", SmallInteger, primary_key=True),
    Column("month", SmallInteger, primary_key=True),
)


# ---------------------------------------------------------------- periods


def period_due(as_of: date, period: Any = t.reporting_period) -> ColumnElement[bool]:
    """The one rule of every yearly rate (上报率, 审核率; docs/statistics.md): a period's
    tasks count on ``as_of`` once the period has ended (a month before ``as_of``'s
    month; a 年报 before its year) and its deadline has passed (before ``as_of``, as
    a task is overdue) — a task not yet due is never counted as 未上报."""
    ended = or_(period.c.year < as_of.year,
                and_(period.c.year == as_of.year, period.c.month != 0,
                     period.c.month < as_of.month))
    return and_(ended, period.c.deadline < as_of)


def find_periods(conn: Connection, *, kind: str, year: int, month: int) -> list[dict[str, Any]]:
    """The periods of one kind and month (``month`` 0 for a year), any region."""
    p = t.reporting_period
    stmt = select(p).where(p.c.kind == kind, p.c.year == year, p.c.month == month)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_period(
    conn: Connection, *, region_code: str, kind: str, year: int, month: int, deadline: date,
    department_step: bool, opened_by: int | None, opened_at: datetime,
    region_step: bool = False,
) -> int:
    p = t.reporting_period
    result = conn.execute(p.insert().values(
        region_code=region_code, kind=kind, year=year, month=month, deadline=deadline,
        department_step=department_step, region_step=region_step, opened_by=opened_by,
        opened_at=opened_at,
    ).returning(p.c.id))
    return int(result.scalar_one())


def get_period(conn: Connection, period_id: int) -> dict[str, Any] | None:
    p = t.reporting_period
    row = conn.execute(select(p).where(p.c.id == period_id)).mappings().first()
    return None if row is None else dict(row)


def sync_tasks(conn: Connection, period_id: int, filters: Filters) -> int:
    """Create a ``not_started`` task for every active institution of ``filters`` (the
    period's regions) that has none in the period (one ``INSERT … SELECT``); returns
    how many."""
    i, task = t.institution, t.reporting_task
    conditions = institution_conditions(conn, filters)
    rows = select(
        literal(period_id, type_=Integer), i.c.id, literal("not_started"), literal(1),
    ).where(
        i.c.status == "active", *conditions,
        ~exists(select(1).select_from(task).where(
            task.c.period_id == period_id, task.c.institution_id == i.c.id)),
    )
    ins = task.insert().from_select(["period_id", "institution_id", "state", "version"], rows)
    added = int(conn.execute(ins, execution_options={"preserve_rowcount": True}).rowcount)
    if added > ANALYZE_AFTER:  # a province's period: give the planner its statistics
        analyze(conn, task)
    return added


def list_periods(conn: Connection, filters: Filters, *, limit: int = 100
                 ) -> list[dict[str, Any]]:
    """Periods with at least one task in ``filters`` (or, for a region scope, opened on
    one of its regions), newest first, with ``counts`` of the visible tasks per state."""
    p, task, i = t.reporting_period, t.reporting_task, t.institution
    conditions = institution_conditions(conn, filters)
    counts = (
        select(task.c.period_id, task.c.state, func.count().label("n"))
        .select_from(task.join(i, i.c.id == task.c.institution_id))
        .where(*conditions).group_by(task.c.period_id, task.c.state)
    ).subquery()
    per_period: dict[int, dict[str, int]] = {}
    for row in conn.execute(select(counts)):
        per_period.setdefault(int(row.period_id), {})[str(row.state)] = int(row.n)
    where: ColumnElement[bool] = p.c.id.in_(select(counts.c.period_id))
    if not filters.below_region:  # a region scope: also the periods opened on its regions
        where = or_(where, and_(true(), *region_conditions(conn, p.c.region_code, filters)))
    stmt = (select(p).where(where)
            .order_by(p.c.year.desc(), p.c.month.desc(), p.c.region_code).limit(limit))
    out = []
    for found in conn.execute(stmt).mappings():
        item = dict(found)
        item["counts"] = per_period.get(int(found["id"]), {})
        out.append(item)
    return out


# ---------------------------------------------------------------- tasks


def _finding_counts(task: Any, p: Any) -> tuple[Any, Any]:
    """Correlated counts of open errors and open (unexplained) warnings of a task:
    its institution, its year and — for a 月报 — its month."""
    f = t.quality_finding

    def count(severity: str) -> Any:
        return (
            select(func.count()).select_from(f)
            .where(f.c.institution_id == task.c.institution_id, f.c.year == p.c.year,
                   or_(p.c.kind == "annual", f.c.month == p.c.month),
                   f.c.severity == severity, f.c.state == "open")
            .scalar_subquery()
        )

    return count("error").label("errors"), count("warning").label("warnings")


def _task_select(*, findings: bool, extra: Sequence[Any] = (),
                 outer: Sequence[tuple[Any, Any]] = ()) -> Select[Any]:
    """The task columns (and finding counts), with ``extra`` columns from the tables
    of ``outer`` (outer joins ``(table, on)``)."""
    task, p, i = t.reporting_task, t.reporting_period, t.institution
    columns: list[Any] = [
        task.c.id, task.c.period_id, task.c.institution_id, task.c.state, task.c.version,
        task.c.updated_at, task.c.submitted_at, task.c.approved_at,
        p.c.region_code.label("period_region"), p.c.kind, p.c.year, p.c.month, p.c.deadline,
        p.c.department_step, p.c.region_step, i.c.credit_code, i.c.name, i.c.region_code,
        i.c.category, i.c.department_id,
    ]
    if findings:
        columns.extend(_finding_counts(task, p))
    source = task.join(p, p.c.id == task.c.period_id).join(i, i.c.id == task.c.institution_id)
    for table, on in outer:
        source = source.outerjoin(table, on)
    return select(*columns, *extra).select_from(source)


def task_page(
    conn: Connection, filters: Filters, *,
    period_id: int | None = None, states: Sequence[str] | None = None,
    extra: Sequence[ColumnElement[bool]] = (), task_ids: Sequence[int] | None = None,
    offset: int = 0, limit: int = 50, findings: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """One page of tasks (deadline, then region and credit code) and the total."""
    task, p, i = t.reporting_task, t.reporting_period, t.institution
    conditions = [*institution_conditions(conn, filters), *extra]
    if period_id is not None:
        conditions.append(task.c.period_id == period_id)
    if states:
        conditions.append(task.c.state.in_(sorted(set(states))))
    if task_ids is not None:
        conditions.append(task.c.id.in_(sorted(set(task_ids))))
    total_stmt = select(func.count()).select_from(
        task.join(p, p.c.id == task.c.period_id).join(i, i.c.id == task.c.institution_id)
    ).where(*conditions)
    total = int(conn.execute(total_stmt).scalar_one())
    stmt = (_task_select(findings=findings).where(*conditions)
            .order_by(p.c.year.desc(), p.c.month.desc(), i.c.region_code, i.c.credit_code,
                      task.c.id)
            .offset(offset).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()], total


def get_task(conn: Connection, task_id: int, *, findings: bool = True) -> dict[str, Any] | None:
    task = t.reporting_task
    row = conn.execute(_task_select(findings=findings).where(task.c.id == task_id)
                       ).mappings().first()
    return None if row is None else dict(row)


def get_tasks(conn: Connection, task_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Several tasks with their finding counts (one query)."""
    task = t.reporting_task
    stmt = _task_select(findings=True).where(task.c.id.in_(sorted(set(task_ids))))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _stamps(to_state: str, at: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": at}
    if to_state == "submitted":
        values["submitted_at"] = at
    if to_state == "approved":
        values["approved_at"] = at
    return values


def move_task(
    conn: Connection, task_id: int, *, read_version: int, to_state: str, at: datetime,
) -> bool:
    """``UPDATE … SET state, version = version + 1 WHERE id AND version = read``;
    False when another change came first (0 rows)."""
    task = t.reporting_task
    stmt = (update(task).where(task.c.id == task_id, task.c.version == read_version)
            .values(state=to_state, version=task.c.version + 1, **_stamps(to_state, at)))
    return int(conn.execute(stmt).rowcount) == 1


def move_tasks(
    conn: Connection, moves: Sequence[tuple[int, int, str, str]], *, at: datetime,
) -> set[int]:
    """One ``UPDATE`` for many tasks: ``moves`` are ``(id, read_version, from_state,
    to_state)``; a task moves only while its version and state are still those read.
    Returns the ids that moved."""
    if not moves:
        return set()
    task = t.reporting_task
    keys = [(m[0], m[1], m[2]) for m in moves]
    target = case({m[0]: m[3] for m in moves}, value=task.c.id, else_=task.c.state)
    approved = case({m[0]: at for m in moves if m[3] == "approved"}, value=task.c.id,
                    else_=task.c.approved_at) if any(m[3] == "approved" for m in moves) \
        else task.c.approved_at
    stmt = (
        update(task)
        .where(tuple_(task.c.id, task.c.version, task.c.state).in_(keys))
        .values(state=target, version=task.c.version + 1, updated_at=at, approved_at=approved)
        .returning(task.c.id)
    )
    return {int(v) for v in conn.execute(stmt).scalars()}


def insert_transitions(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append history rows (``task_id, from_state, to_state, action, actor_user_id,
    actor_role, at, reason``)."""
    if rows:
        conn.execute(t.task_transition.insert(), list(rows))


def transitions(conn: Connection, task_id: int) -> list[dict[str, Any]]:
    tr, u = t.task_transition, t.app_user
    stmt = (select(tr, u.c.username).select_from(
        tr.outerjoin(u, u.c.id == tr.c.actor_user_id))
        .where(tr.c.task_id == task_id).order_by(tr.c.at, tr.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def findings(conn: Connection, institution_id: int, year: int, month: int | None
             ) -> list[dict[str, Any]]:
    """The data-quality findings of a task (its month, or any month of the year)."""
    f = t.quality_finding
    stmt = select(f).where(f.c.institution_id == institution_id, f.c.year == year)
    if month is not None:
        stmt = stmt.where(f.c.month == month)
    stmt = stmt.order_by(f.c.month, f.c.carrier, f.c.rule).limit(500)
    return [dict(r) for r in conn.execute(stmt).mappings()]


# ---------------------------------------------------------------- questions


def questions(conn: Connection, task_id: int) -> list[dict[str, Any]]:
    """The task's questions, oldest first, with the asker's and answerer's usernames."""
    q, asker, answerer = t.figure_question, t.app_user.alias("asker"), t.app_user.alias("answerer")
    stmt = (select(q, asker.c.username.label("asked_by_name"),
                   answerer.c.username.label("answered_by_name"))
            .select_from(q.outerjoin(asker, asker.c.id == q.c.asked_by)
                         .outerjoin(answerer, answerer.c.id == q.c.answered_by))
            .where(q.c.task_id == task_id).order_by(q.c.asked_at, q.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def insert_question(conn: Connection, *, task_id: int, month: int, carrier: str,
                    question: str, asked_by: int | None, asked_at: datetime) -> int:
    q = t.figure_question
    result = conn.execute(q.insert().values(
        task_id=task_id, month=month, carrier=carrier, question=question, asked_by=asked_by,
        asked_at=asked_at).returning(q.c.id))
    return int(result.scalar_one())


def get_question(conn: Connection, question_id: int) -> dict[str, Any] | None:
    q = t.figure_question
    row = conn.execute(select(q).where(q.c.id == question_id)).mappings().first()
    return None if row is None else dict(row)


def answer_question(conn: Connection, question_id: int, *, answer: str,
                    answered_by: int | None, answered_at: datetime) -> None:
    q = t.figure_question
    conn.execute(update(q).where(q.c.id == question_id).values(
        answer=answer, answered_by=answered_by, answered_at=answered_at))


# ---------------------------------------------------------------- locking of figures


def stage_keys(conn: Connection, keys: pl.DataFrame) -> None:
    """Load distinct ``(institution_id, year, month)`` into a temporary table."""
    ensure_temp(conn, _task_keys)
    frame = keys.select(
        pl.col("institution_id").cast(pl.Int64), pl.col("year").cast(pl.Int32),
        pl.col("month").cast(pl.Int32)).unique()
    bulk_insert(conn, _task_keys, frame, columns=["institution_id", "year", "month"])
    analyze(conn, _task_keys)


def _covering(task: Any = t.reporting_task) -> Any:
    """Tasks joined with the staged keys whose period covers the key's month."""
    p, k = t.reporting_period, _task_keys
    return (
        task.join(p, p.c.id == task.c.period_id)
        .join(k, and_(k.c.institution_id == task.c.institution_id, k.c.year == p.c.year,
                      or_(p.c.kind == "annual", k.c.month == p.c.month)))
    )


def locked_keys(conn: Connection, states: Sequence[str], *, limit: int = 50
                ) -> list[dict[str, Any]]:
    """Staged keys whose covering task is in one of ``states`` (one query), with the
    institution and the period."""
    task, p, k, i = t.reporting_task, t.reporting_period, _task_keys, t.institution
    stmt = (
        select(i.c.credit_code, i.c.name, k.c.year, k.c.month, p.c.kind,
               p.c.month.label("period_month"), task.c.state, task.c.id.label("task_id"))
        .select_from(_covering().join(i, i.c.id == task.c.institution_id))
        .where(task.c.state.in_(sorted(states)))
        .order_by(i.c.credit_code, k.c.year, k.c.month).limit(limit)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def start_tasks(
    conn: Connection, from_states: Sequence[str], to_state: str, *, action: str,
    actor_user_id: int | None, actor_role: str, at: datetime,
) -> int:
    """Move every task covering a staged key from ``from_states`` to ``to_state``:
    one ``INSERT … SELECT`` of the history rows, then one ``UPDATE``. Returns the count."""
    task, tr = t.reporting_task, t.task_transition
    inner = task.alias("covering_task")
    ids = (select(inner.c.id).select_from(_covering(inner))
           .where(inner.c.state.in_(sorted(from_states))).distinct())
    rows = select(
        task.c.id, task.c.state, literal(to_state), literal(action),
        literal(actor_user_id, type_=Integer), literal(actor_role),
        literal(at, type_=tr.c.at.type),
    ).where(task.c.id.in_(ids))
    conn.execute(tr.insert().from_select(
        ["task_id", "from_state", "to_state", "action", "actor_user_id", "actor_role", "at"],
        rows))
    stmt = (update(task).where(task.c.id.in_(ids))
            .values(state=to_state, version=task.c.version + 1, updated_at=at))
    return int(conn.execute(stmt).rowcount)
