"""The reporting workflow (填报 → 上报 → 审核/退回): periods, tasks, review queues.

Every decision about a move is the pure state machine of
:mod:`jieneng.core.reporting`; this module maps the account to an
:class:`~jieneng.core.reporting.ActorRole` for a task, reads the blocking
findings (``quality_finding``, written by the data-quality service) and stores
the move under an optimistic lock, with its history row and an audit entry in
the same transaction.

Who acts on a task (always inside the caller's scope, checked first through
:func:`jieneng.services.scope.scoped_filters`; outside → :class:`NotFound`):

- 系统管理员 → ``admin``;
- 管理机构 (region, region_admin; pinned to an ancestor region of the
  institution) → ``office_reviewer``, and ``filer`` on the institution's behalf
  for save / submit / withdraw;
- 主管机构 (department) → ``department_reviewer`` for its subordinate units
  (``filer`` on their behalf), ``filer`` for itself;
- 公共机构 (institution) → ``filer`` for its own task;
- viewers act on nothing (:class:`NotPermitted`).

The department step of a task is ``period.department_step`` and the institution
has a competent department. Figures of a task in a locked state
(:func:`jieneng.core.reporting.is_locked`) cannot be written:
:func:`check_unlocked` (in the figure-writing transaction, set-based).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import Conflict, DomainError, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.reporting import (
    Action,
    ActorRole,
    Period,
    ReviewConfig,
    TaskState,
    allowed_actions,
    apply,
    is_locked,
)
from jieneng.services import audit, quality
from jieneng.services.audit import Actor
from jieneng.services.scope import scoped_filters
from jieneng.services.users import User
from jieneng.storage import directory, regions
from jieneng.storage import reporting as store

#: States whose figures are locked, and the states a ``save`` starts from
#: (both from the core state machine).
LOCKED_STATES: tuple[str, ...] = tuple(s.value for s in TaskState if is_locked(s))
SAVE_FROM: tuple[str, ...] = tuple(
    s.value for s in TaskState
    if s is not TaskState.IN_PROGRESS
    and Action.SAVE in allowed_actions(s, ActorRole.FILER, ReviewConfig())
)
#: Actions a region or department user performs as the filer (on the unit's behalf).
FILER_ACTIONS = frozenset({Action.SAVE, Action.SUBMIT, Action.WITHDRAW})
MAX_PER_PAGE = 200
MAX_BULK = 500


def _hidden(what: str) -> NotFound:
    return NotFound(
        f"{what} 不存在或不在您的权限范围内", f"{what} does not exist or is out of scope"
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _period_of(row: dict[str, Any]) -> Period:
    return Period(int(row["year"]), int(row["month"]) or None)


def _config(task: dict[str, Any]) -> ReviewConfig:
    return ReviewConfig(department_step=bool(task["department_step"])
                        and task["department_id"] is not None)


def _roles(who: User, task: dict[str, Any]) -> tuple[ActorRole, ...]:
    """The roles the caller holds on a task it can see (reviewer role first)."""
    if who.role == "admin":
        return (ActorRole.ADMIN,)
    if who.role in ("region", "region_admin"):
        return (ActorRole.OFFICE_REVIEWER, ActorRole.FILER)
    if who.role == "department":
        if task["institution_id"] == who.scope.department_id:
            return (ActorRole.FILER,)
        return (ActorRole.DEPARTMENT_REVIEWER, ActorRole.FILER)
    if who.role == "institution":
        return (ActorRole.FILER,)
    return ()


def _role_for(who: User, task: dict[str, Any], action: Action) -> ActorRole:
    roles = _roles(who, task)
    if not roles:
        raise NotPermitted("只读账户不能办理填报任务", "a read-only account cannot act on tasks")
    if ActorRole.FILER in roles and (action in FILER_ACTIONS or len(roles) == 1):
        return ActorRole.FILER
    return roles[0]


def _actions(who: User, task: dict[str, Any]) -> list[str]:
    state, config = TaskState(task["state"]), _config(task)
    found: set[Action] = set()
    for role in _roles(who, task):
        for action in allowed_actions(state, role, config):
            if role is ActorRole.FILER and len(_roles(who, task)) > 1 \
                    and action not in FILER_ACTIONS:
                continue
            found.add(action)
    found.discard(Action.SAVE)  # saving happens on the entry form / import
    return [a.value for a in Action if a in found]


def _visible_task(conn: Connection, who: User, task_id: int) -> dict[str, Any]:
    task = store.get_task(conn, task_id)
    if task is None:
        raise _hidden(f"填报任务 {task_id}")
    try:
        scoped_filters(conn, who.scope, institution_id=int(task["institution_id"]))
    except NotFound:
        raise _hidden(f"填报任务 {task_id}") from None
    return task


def _task_dict(task: dict[str, Any], who: User | None = None) -> dict[str, Any]:
    period = _period_of(task)
    state = TaskState(task["state"])
    out = {
        "id": task["id"], "period_id": task["period_id"], "period": period.format(),
        "period_label": period.label(), "kind": period.kind.value,
        "deadline": task["deadline"].isoformat() if task["deadline"] else None,
        "institution": {"credit_code": task["credit_code"], "name": task["name"],
                        "region_code": task["region_code"], "category": task["category"]},
        "state": state.value, "state_zh": state.label("zh"), "state_en": state.label("en"),
        "version": task["version"], "locked": is_locked(state),
        "department_step": _config(task).department_step,
        "updated_at": _iso(task["updated_at"]), "submitted_at": _iso(task["submitted_at"]),
        "approved_at": _iso(task["approved_at"]),
    }
    if "errors" in task:
        out["errors"] = int(task["errors"])
        out["unexplained_warnings"] = int(task["warnings"])
    if who is not None:
        out["actions"] = _actions(who, task)
    return out


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


# ---------------------------------------------------------------- periods


def _default_deadline(period: Period) -> date:
    """20th of the following month (月报); 31 March of the next year (年报)."""
    if period.month is None:
        return date(period.year + 1, 3, 31)
    year, month = (period.year, period.month + 1) if period.month < 12 else (period.year + 1, 1)
    return date(year, month, min(20, calendar.monthrange(year, month)[1]))


def open_period(
    engine: Engine, who: User, *, region_code: str, period: Period | str,
    deadline: date | None = None, department_step: bool = False,
) -> dict[str, Any]:
    """Open a 月报/年报 period for ``region_code``'s subtree: every active institution
    there gets a ``not_started`` task. Opening it again only adds the tasks of
    institutions added since (sync). Only 系统管理员 and 管理机构 accounts, for a
    region inside their scope. A period of the same month on an enclosing or
    enclosed region is a :class:`Conflict` (one task per institution and period).
    """
    require(who, Capability.OPEN_PERIODS)
    period = Period.parse(period) if isinstance(period, str) else period
    deadline = deadline or _default_deadline(period)
    month = period.month or 0
    with engine.begin() as conn:
        filters = scoped_filters(conn, who.scope, region_code=region_code)
        assert filters.region_codes is not None
        tree = RegionTree(regions.load_regions(conn))
        own = set(tree.subtree(region_code))
        existing = None
        for other in store.find_periods(conn, kind=period.kind.value, year=period.year,
                                        month=month):
            if other["region_code"] == region_code:
                existing = other
            elif other["region_code"] in own or region_code in set(
                    tree.subtree(other["region_code"])):
                raise Conflict(
                    f"{period.label('zh')}{period.kind.label('zh')}已由行政区划 "
                    f"{other['region_code']} 开启，覆盖范围重叠",
                    f"the {period.kind.label('en')} {period.format()} is already open for "
                    f"region {other['region_code']}, which overlaps",
                    period_id=other["id"])
        created = existing is None
        if existing is None:
            period_id = store.insert_period(
                conn, region_code=region_code, kind=period.kind.value, year=period.year,
                month=month, deadline=deadline, department_step=department_step,
                opened_by=who.id, opened_at=_now())
        else:
            period_id = int(existing["id"])
        added = store.sync_tasks(conn, period_id, filters.region_codes)
        audit.record(conn, who.actor, "reporting.open" if created else "reporting.sync",
                     "reporting_period", period_id,
                     after={"region_code": region_code, "period": period.format(),
                            "deadline": deadline.isoformat() if created else None,
                            "department_step": department_step, "tasks_added": added})
    return {"id": period_id, "region_code": region_code, "period": period.format(),
            "created": created, "tasks_added": added}


def list_periods(engine: Engine, who: User) -> list[dict[str, Any]]:
    """The periods of my scope with the counts of my visible tasks per state."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, who.scope)
        rows = store.list_periods(conn, filters)
    out = []
    for row in rows:
        period = _period_of(row)
        out.append({
            "id": row["id"], "region_code": row["region_code"], "period": period.format(),
            "label": period.label(), "kind": period.kind.value,
            "deadline": row["deadline"].isoformat(), "department_step": row["department_step"],
            "opened_at": _iso(row["opened_at"]), "counts": row["counts"],
            "tasks": sum(row["counts"].values()),
        })
    return out


def can_open_periods(who: User) -> bool:
    return who.can(Capability.OPEN_PERIODS)


# ---------------------------------------------------------------- tasks


def _states(states: list[str] | None) -> list[str] | None:
    if not states:
        return None
    try:
        return [TaskState(s).value for s in states]
    except ValueError:
        raise ValidationFailed("未知的任务状态", "unknown task state",
                               states=states) from None


def list_tasks(
    engine: Engine, who: User, *, period_id: int | None = None, states: list[str] | None = None,
    page: int = 1, per_page: int = 50,
) -> dict[str, Any]:
    """My tasks (a 公共机构's own, the tasks of a region's or department's scope)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    with engine.connect() as conn:
        filters = scoped_filters(conn, who.scope)
        rows, total = store.task_page(
            conn, filters, period_id=period_id, states=_states(states),
            offset=(page - 1) * per_page, limit=per_page, findings=True)
    return {"items": [_task_dict(r, who) for r in rows], "total": total, "page": page,
            "per_page": per_page}


def review_queue(
    engine: Engine, who: User, *, period_id: int | None = None, page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """The tasks waiting for my review, with their finding counts: a department
    sees the submitted tasks of its units with a department step; an office (or
    administrator) the tasks approved by their department and the submitted ones
    without a department step; a viewer sees its region's queue without actions."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    if who.role == "institution":  # a 公共机构 reviews nothing: an empty queue
        return {"items": [], "total": 0, "page": page, "per_page": per_page, "reviewer": None}
    reviewer = "department" if who.role == "department" else "office"
    with engine.connect() as conn:
        filters = scoped_filters(conn, who.scope)
        rows, total = store.task_page(
            conn, filters, period_id=period_id,
            extra=[store.awaiting(reviewer, who.scope.department_id)],
            offset=(page - 1) * per_page, limit=per_page, findings=True)
    return {"items": [_task_dict(r, who) for r in rows], "total": total, "page": page,
            "per_page": per_page, "reviewer": reviewer}


def task_detail(engine: Engine, who: User, task_id: int) -> dict[str, Any]:
    """A task with its figures' findings, history, questions and my actions.

    A reviewer opening a submitted task gets the data-quality rules run again for
    its institution and period first (:func:`jieneng.services.quality.check_institution`),
    so the findings shown are those of the figures as they are now."""
    with engine.begin() as conn:
        task = _visible_task(conn, who, task_id)
        period = _period_of(task)
        if task["state"] in ("submitted", "dept_approved") and not set(_roles(who, task)) <= {
                ActorRole.FILER}:
            quality.check_institution(conn, int(task["institution_id"]), period.year,
                                      period.month)
        found = store.findings(conn, int(task["institution_id"]), period.year, period.month)
        history = store.transitions(conn, task_id)
        asked = store.questions(conn, task_id)
        records = directory.current_records(
            conn, int(task["institution_id"]), [(period.year, m) for m in period.months])
    out = _task_dict(task, who)
    out["figures"] = _figures(records)
    out["findings"] = [
        {"id": f["id"], "year": f["year"], "month": f["month"], "carrier": f["carrier"],
         "rule": f["rule"], "severity": f["severity"], "state": f["state"],
         "value": f["value"], "expected": f["expected"], "suggested": f["suggested"],
         "explanation": f["explanation"]}
        for f in found
    ]
    out["history"] = [
        {"from_state": h["from_state"], "to_state": h["to_state"], "action": h["action"],
         "actor": h["username"], "actor_role": h["actor_role"], "at": _iso(h["at"]),
         "reason": h["reason"]}
        for h in history
    ]
    out["questions"] = [
        {"id": q["id"], "month": q["month"], "carrier": q["carrier"],
         "question": q["question"], "asked_at": _iso(q["asked_at"]), "answer": q["answer"],
         "answered_at": _iso(q["answered_at"])}
        for q in asked
    ]
    out["can_ask"] = bool(set(_roles(who, task)) & {
        ActorRole.ADMIN, ActorRole.OFFICE_REVIEWER, ActorRole.DEPARTMENT_REVIEWER})
    out["can_answer"] = ActorRole.FILER in _roles(who, task) or who.role == "admin"
    return out


def _figures(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Current figures of the period per carrier (form order): Σ quantity and cost."""
    sums: dict[str, dict[str, Any]] = {}
    for r in records:  # at most 12 months × 12 carriers
        item = sums.setdefault(r["carrier"], {"quantity": 0.0, "cost_yuan": None, "months": 0})
        item["quantity"] += float(r["quantity"])
        if r["cost_yuan"] is not None:
            item["cost_yuan"] = (item["cost_yuan"] or 0.0) + float(r["cost_yuan"])
        item["months"] += 1
    return [
        {"carrier": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
         "unit": c.canonical_unit, **sums[c.code]}
        for c in CARRIERS if c.code in sums
    ]


def act(
    engine: Engine, who: User, task_id: int, action: Action | str, *,
    version: int | None = None, reason: str | None = None,
) -> dict[str, Any]:
    """Perform ``action`` on one task (submit, withdraw, approve, return, dept_…,
    reopen). ``version`` is the version the caller read (optimistic lock): a task
    changed since is a :class:`Conflict`, as is a concurrent change."""
    action = Action(action)
    require(who, Capability.SUBMIT if action in FILER_ACTIONS else Capability.REVIEW)
    reason = reason[:2000] if reason else None
    with engine.begin() as conn:
        task = _visible_task(conn, who, task_id)
        read = int(task["version"])
        if version is not None and version != read:
            raise _stale(task_id)
        role = _role_for(who, task, action)
        state = TaskState(task["state"])
        move = apply(
            state, action, role, _config(task), actor_user_id=who.id, at=_now(),
            reason=reason, has_blocking_findings=int(task["errors"]) > 0,
            unexplained_warnings=int(task["warnings"]),
        )
        if not store.move_task(conn, task_id, read_version=read, to_state=move.to_state.value,
                               at=move.at):
            raise _stale(task_id)
        store.insert_transitions(conn, [_history(task_id, move.from_state.value,
                                                 move.to_state.value, action, who, role,
                                                 move.at, move.reason)])
        audit.record(conn, who.actor, f"reporting.{action.value}", "reporting_task", task_id,
                     before={"state": state.value, "version": read},
                     after={"state": move.to_state.value, "version": read + 1,
                            "reason": move.reason})
    return {"id": task_id, "from_state": state.value, "state": move.to_state.value,
            "version": read + 1}


def _stale(task_id: int) -> Conflict:
    return Conflict(
        f"填报任务 {task_id} 已被他人修改，请刷新后重试",
        f"task {task_id} was changed by someone else; reload and try again",
        task_id=task_id,
    )


def _history(task_id: int, from_state: str, to_state: str, action: Action, who: User,
             role: ActorRole, at: datetime, reason: str | None) -> dict[str, Any]:
    return {"task_id": task_id, "from_state": from_state, "to_state": to_state,
            "action": action.value, "actor_user_id": who.id, "actor_role": role.value,
            "at": at, "reason": reason}


def bulk_review(
    engine: Engine, who: User, decision: str, tasks: list[tuple[int, int | None]], *,
    reason: str | None = None,
) -> dict[str, Any]:
    """Approve or return many tasks at once: ``decision`` ``approve`` or ``return``;
    ``tasks`` are ``(id, version read)``. Each task is checked by the state machine
    (a department approves as ``dept_approve``, an office as ``approve``); the
    accepted ones move in one ``UPDATE`` guarded by their version and state, the
    others are reported in ``refused`` with the reason (``not_found``, ``conflict``,
    ``not_permitted``, ``validation_failed``)."""
    require(who, Capability.REVIEW)
    if decision not in ("approve", "return"):
        raise ValidationFailed("批量操作只能是审核通过或退回",
                               "a bulk decision is approve or return", decision=decision)
    if len(tasks) > MAX_BULK:
        raise ValidationFailed(f"一次最多处理 {MAX_BULK} 个任务",
                               f"at most {MAX_BULK} tasks at once")
    reason = reason.strip()[:2000] if reason and reason.strip() else None
    if decision == "return" and reason is None:
        raise ValidationFailed("退回须填写原因", "a return needs a reason", field="reason")
    at = _now()
    refused: list[dict[str, Any]] = []
    moves: list[tuple[int, int, str, str]] = []
    planned: dict[int, dict[str, Any]] = {}
    with engine.begin() as conn:
        filters = scoped_filters(conn, who.scope)
        visible, _ = store.task_page(
            conn, filters, task_ids=[i for i, _ in tasks], limit=MAX_BULK)
        by_id = {int(r["id"]): r for r in visible}
        for task_id, version in tasks:  # the selected tasks only (≤ MAX_BULK)
            task = by_id.get(task_id)
            if task is None:
                refused.append(_refusal(task_id, _hidden(f"填报任务 {task_id}")))
                continue
            read = int(task["version"])
            try:
                if version is not None and version != read:
                    raise _stale(task_id)
                action = _bulk_action(who, task, decision)
                role = _role_for(who, task, action)
                move = apply(TaskState(task["state"]), action, role, _config(task),
                             actor_user_id=who.id, at=at, reason=reason)
            except DomainError as err:
                refused.append(_refusal(task_id, err))
                continue
            moves.append((task_id, read, move.from_state.value, move.to_state.value))
            planned[task_id] = _history(task_id, move.from_state.value, move.to_state.value,
                                        action, who, role, at, move.reason)
        moved = store.move_tasks(conn, moves, at=at)
        for task_id, *_ in moves:
            if task_id not in moved:
                refused.append(_refusal(task_id, _stale(task_id)))
        store.insert_transitions(conn, [planned[i] for i in sorted(moved)])
        if moved:
            audit.record(conn, who.actor, f"reporting.bulk_{decision}", "reporting_task",
                         None, after={"tasks": sorted(moved), "reason": reason})
    return {"decision": decision, "moved": sorted(moved), "refused": refused}


def _bulk_action(who: User, task: dict[str, Any], decision: str) -> Action:
    step = _config(task).department_step and task["state"] == TaskState.SUBMITTED.value
    department = who.role == "department" or (who.role == "admin" and step)
    if decision == "approve":
        return Action.DEPT_APPROVE if department else Action.APPROVE
    return Action.DEPT_RETURN if department else Action.RETURN


def _refusal(task_id: int, err: DomainError) -> dict[str, Any]:
    return {"id": task_id, "code": err.code, "message_zh": err.message_zh,
            "message_en": err.message_en}


# ---------------------------------------------------------------- questions


def ask(engine: Engine, who: User, task_id: int, *, month: int, carrier: str,
        question: str) -> dict[str, Any]:
    """A reviewer's question on one figure of a task."""
    require(who, Capability.REVIEW)
    text = (question or "").strip()[:2000]
    if not text:
        raise ValidationFailed("问题不能为空", "the question is empty", field="question")
    with engine.begin() as conn:
        task = _visible_task(conn, who, task_id)
        if not set(_roles(who, task)) & {ActorRole.ADMIN, ActorRole.OFFICE_REVIEWER,
                                         ActorRole.DEPARTMENT_REVIEWER}:
            raise NotPermitted("只有审核人可以提问", "only reviewers can ask questions")
        if month not in _period_of(task).months:
            raise ValidationFailed(f"月份 {month} 不在报告期内",
                                   f"month {month} is outside the period", field="month")
        qid = store.insert_question(conn, task_id=task_id, month=month, carrier=carrier[:24],
                                    question=text, asked_by=who.id, asked_at=_now())
        audit.record(conn, who.actor, "reporting.ask", "figure_question", qid,
                     after={"task_id": task_id, "month": month, "carrier": carrier,
                            "question": text})
    return {"id": qid, "task_id": task_id}


def answer(engine: Engine, who: User, task_id: int, question_id: int, *,
           text: str) -> dict[str, Any]:
    """The 统计员's answer to a question, in place."""
    require(who, Capability.SUBMIT)
    body = (text or "").strip()[:2000]
    if not body:
        raise ValidationFailed("回答不能为空", "the answer is empty", field="answer")
    with engine.begin() as conn:
        task = _visible_task(conn, who, task_id)
        found = store.get_question(conn, question_id)
        if found is None or found["task_id"] != task_id:
            raise _hidden(f"问题 {question_id}")
        if ActorRole.FILER not in _roles(who, task) and who.role != "admin":
            raise NotPermitted("只有填报人可以回答", "only the filer can answer")
        store.answer_question(conn, question_id, answer=body, answered_by=who.id,
                              answered_at=_now())
        audit.record(conn, who.actor, "reporting.answer", "figure_question", question_id,
                     before={"answer": found["answer"]}, after={"answer": body})
    return {"id": question_id, "task_id": task_id}


# ---------------------------------------------------------------- figures written


def check_unlocked(conn: Connection, keys: pl.DataFrame) -> None:
    """In a figure-writing transaction: :class:`Conflict` when any ``(institution_id,
    year, month)`` of ``keys`` belongs to a submitted or approved task (one query)."""
    store.stage_keys(conn, keys)
    locked = store.locked_keys(conn, LOCKED_STATES)
    if not locked:
        return
    names_zh = "；".join(
        f"{r['name']}（{r['credit_code']}）{_key_label(r, 'zh')}：{TaskState(r['state']).label()}"
        for r in locked[:10])
    names_en = "; ".join(
        f"{r['name']} ({r['credit_code']}) {_key_label(r, 'en')}: "
        f"{TaskState(r['state']).label('en')}" for r in locked[:10])
    more = len(locked) - 10
    raise Conflict(
        f"已上报/已审核的报表已锁定，需审核人退回或重新打开：{names_zh}"
        + (f" 等 {len(locked)} 项" if more > 0 else ""),
        f"figures of a submitted or approved report are locked until a reviewer returns "
        f"or reopens it: {names_en}" + (f" and {more} more" if more > 0 else ""),
        locked=[{"credit_code": r["credit_code"], "year": r["year"], "month": r["month"],
                 "task_id": r["task_id"], "state": r["state"]} for r in locked],
    )


def _key_label(row: dict[str, Any], lang: str) -> str:
    period = Period(int(row["year"]), int(row["period_month"]) or None)
    kind = period.kind.label(lang)
    return f"{period.label(lang)}{kind}" if lang == "zh" else f"{kind} {period.label(lang)}"


def note_saved(conn: Connection, actor: Actor | None) -> int:
    """After figures of the staged keys (:func:`check_unlocked`) were written: their
    ``not_started`` / ``returned`` tasks move to ``in_progress`` (the ``save`` action,
    set-based), with history rows and one audit entry."""
    moved = store.start_tasks(
        conn, SAVE_FROM, TaskState.IN_PROGRESS.value, action=Action.SAVE.value,
        actor_user_id=actor.user_id if actor else None, actor_role=ActorRole.FILER.value,
        at=_now())
    if moved:
        audit.record(conn, actor or Actor.cli(), "reporting.save", "reporting_task", None,
                     after={"tasks": moved, "state": TaskState.IN_PROGRESS.value})
    return moved


