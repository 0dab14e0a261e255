"""The workbench (工作台) of one account: counts and short lists, each with the list
page (and its filters) where the whole of it is.

Every figure is read with the caller's scope, through the services of the lists it
links to (``workflow.tasks``, ``workflow.review``, ``quality.quality``,
``targets.alerts``) or, for what no list reads, :mod:`jieneng.storage.workbench`
under :func:`jieneng.services.scope.scoped_filters`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, Role
from jieneng.core.reporting.tasks import TaskState
from jieneng.services.accounts.users import home_region
from jieneng.services.quality import quality
from jieneng.services.scope import scoped_filters
from jieneng.services.targets import alert_lists, alerts
from jieneng.services.workflow import review, tasks
from jieneng.services.workflow.access import iso, period_of, task_dict
from jieneng.storage import reporting as task_store
from jieneng.storage import workbench as store

from .next_things import next_things

#: how many rows a short list shows (the count links to the whole list)
SHORT = 8
_TO_FILL = [s.value for s in (TaskState.NOT_STARTED, TaskState.IN_PROGRESS,
                              TaskState.RETURNED)]


def kind_of(user: User) -> str:
    """``filer`` (a 公共机构's 统计员), ``reviewer`` (whoever reviews) or ``reader``."""
    if user.role == Role.INSTITUTION:
        return "filer"
    return "reviewer" if user.can(Capability.REVIEW) else "reader"


def workbench(engine: Engine, user: User, *, today: date | None = None) -> dict[str, Any]:
    """The workbench of ``user`` on ``today`` (default: the China date)."""
    today = today or chinatime.today()
    kind = kind_of(user)
    out: dict[str, Any] = {"kind": kind, "today": today.isoformat()}
    if kind == "filer":
        out.update(_filer(engine, user, today))
    elif kind == "reviewer":
        out.update(_reviewer(engine, user, today))
        out["own"] = _own_tasks(engine, user, today)
    out["next"] = next_things(engine, user, today)  # rounds, 回头看, work plans
    out["alerts"] = _alerts(engine, user)
    return out


# ---------------------------------------------------------------- 统计员


def _filer(engine: Engine, user: User, today: date) -> dict[str, Any]:
    listed = tasks.list_tasks(engine, user, states=_TO_FILL, per_page=50)
    items = [_deadline(task, today) for task in listed["items"]]
    items.sort(key=lambda task: (task["deadline"] or "9999", task["period"]))
    returned = [task for task in items if task["state"] == TaskState.RETURNED]
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope)
        reasons = store.return_reasons(conn, [task["id"] for task in returned])
        questions, open_total = store.open_questions(conn, filters, limit=SHORT)
    for task in returned:
        found = reasons.get(task["id"], {})
        task["reason"] = found.get("reason")
        task["returned_at"] = iso(found.get("at"))
        task["returned_by"] = found.get("username")
    upcoming = [task["deadline"] for task in items if task["deadline"] and not task["overdue"]]
    return {
        "to_fill": {"total": listed["total"], "items": items[:SHORT]},
        "returned": {"total": len(returned), "items": returned[:SHORT]},
        "questions": {"total": open_total, "items": [_question(q) for q in questions]},
        "deadlines": {"overdue": sum(1 for task in items if task["overdue"]),
                      "next": min(upcoming) if upcoming else None},
    }


def _deadline(task: dict[str, Any], today: date) -> dict[str, Any]:
    deadline = date.fromisoformat(task["deadline"]) if task["deadline"] else None
    task["overdue"] = chinatime.past(deadline, today)
    task["days_left"] = None if deadline is None else (deadline - today).days
    return task


def _question(row: dict[str, Any]) -> dict[str, Any]:
    period = period_of({"year": row["year"], "month": row["period_month"]})
    try:
        names = carrier(row["carrier"])
        carrier_zh, carrier_en = names.name_zh, names.name_en
    except ValidationFailed:
        carrier_zh = carrier_en = row["carrier"]
    return {
        "id": row["id"], "task_id": row["task_id"], "month": row["month"],
        "carrier": row["carrier"], "carrier_zh": carrier_zh, "carrier_en": carrier_en,
        "question": row["question"], "asked_at": iso(row["asked_at"]),
        "period": period.format(), "period_label": period.label(),
        "institution": {"credit_code": row["credit_code"], "name": row["name"]},
    }


# ---------------------------------------------------------------- reviewers


def _reviewer(engine: Engine, user: User, today: date) -> dict[str, Any]:
    queue = review.review_queue(engine, user, per_page=SHORT)
    open_findings = quality.list_findings(engine, user.scope, state="open", per_page=1)
    open_errors = quality.list_findings(engine, user.scope, state="open", severity="error",
                                        per_page=1)
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope)
        overdue = store.overdue_by_period(conn, filters, today=today)
        units = store.overdue_institutions(conn, filters, today=today)
        questions, open_total = store.open_questions(conn, filters, limit=SHORT)
    periods = []
    for row in overdue:
        period = period_of(row)
        periods.append({"id": row["id"], "period": period.format(),
                        "period_label": period.label(), "kind": period.kind.value,
                        "deadline": row["deadline"].isoformat(),
                        "overdue": int(row["overdue"])})
    return {
        "waiting": {"total": queue["total"], "items": queue["items"],
                    "reviewer": queue["reviewer"]},
        "overdue": {"total": units, "periods": periods},
        "findings": {"open": open_findings["total"], "errors": open_errors["total"]},
        "questions": {"total": open_total, "items": [_question(q) for q in questions]},
    }


def _own_tasks(engine: Engine, user: User, today: date) -> dict[str, Any] | None:
    """A 主管机构 reviews its units and fills in its own report too: its own tasks to
    fill (None for an account that is not pinned to an institution of its own)."""
    if user.role != Role.DEPARTMENT or user.institution_id is None or not user.can(
            Capability.ENTER_DATA):
        return None
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope, institution_id=user.institution_id)
        rows, total = task_store.task_page(conn, filters, states=_TO_FILL, limit=SHORT)
    items = [_deadline(task_dict(row, user), today) for row in rows]
    return {"total": total, "items": items}


# ---------------------------------------------------------------- everyone


def _alerts(engine: Engine, user: User) -> dict[str, Any]:
    """The open (and acknowledged, not yet closed) alerts of the caller's scope: their
    counts by level (one SQL count, scoped as the list) and the newest :data:`SHORT`."""
    region = home_region(engine, user)
    if region is None:
        return {"total": 0, "by_level": {}, "levels": [], "items": []}
    by_level = alert_lists.counts_for(engine, user, region_code=region)
    rows = alert_lists.list_for(engine, user, region_code=region, limit=SHORT)
    levels = []
    for level in reversed(alerts.LEVELS):  # 超限 first
        if by_level.get(level):
            zh, en = alerts.level_labels(level)
            levels.append({"level": level, "level_zh": zh, "level_en": en,
                           "count": by_level[level]})
    items = [{"id": row["id"], "region_code": row["region_code"],
              "region_name": row["region_name"], "institution_id": row["institution_id"],
              "year": row["year"], "level": row["level"], "level_zh": row["level_zh"],
              "level_en": row["level_en"], "state": row["state"],
              "opened_at": iso(row["opened_at"])} for row in rows]
    return {"total": sum(by_level.values()), "by_level": by_level, "levels": levels,
            "items": items}

