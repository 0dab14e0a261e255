"""Which report a filer opens first (the ``/entry`` chooser): per unit its oldest open
task — 已退回 first, then overdue, then due — else its latest task, else last month;
and the caller's own oldest open task among the units it files for
(:func:`my_first_task`).

The institution ids come from a scoped read (the chooser's directory search), so no
unit outside the caller's scope is asked about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.reporting.periods import Period
from jieneng.services.scope import scoped_filters
from jieneng.storage import next_tasks as store
from jieneng.storage import notify as notify_store


def first_tasks(engine: Engine, institutions: Sequence[dict[str, Any]], *,
                today: date | None = None) -> dict[str, dict[str, Any]]:
    """credit code → its first task (``task_id, state, kind, year, month, deadline,
    why, period, link``) for directory items (``institution_id``, ``credit_code``);
    units without any task are absent."""
    by_id = {int(i["institution_id"]): str(i["credit_code"]) for i in institutions}
    with engine.connect() as conn:
        found = store.first_tasks(conn, by_id, today or chinatime.today())
    return {by_id[iid]: _decorate(task, by_id[iid]) for iid, task in found.items()}


def _decorate(task: dict[str, Any], code: str) -> dict[str, Any]:
    month = int(task["month"])
    period = Period(int(task["year"]), month or None)
    link = (f"/entry/{code}/{task['year']}/{month}" if month
            else f"/entry/{code}/{task['year']}")  # a 年报: the year grid
    return {**task, "deadline": task["deadline"].isoformat(), "period": period.format(),
            "link": link}


def my_first_task(engine: Engine, user: User, *, today: date | None = None
                  ) -> tuple[str, dict[str, Any]] | None:
    """The caller's own oldest open task: of the open tasks in scope, the first one the
    caller files for (:func:`jieneng.storage.notify.task_filers` — a county office for
    its units without an account, say), as (credit code, task with ``name``)."""
    with engine.connect() as conn:
        tasks = store.open_tasks(conn, scoped_filters(conn, user.scope), today or chinatime.today())
        filers = notify_store.task_filers(conn, [t["task_id"] for t in tasks])
    for task in tasks:
        if user.id in filers.get(task["task_id"], []):
            return str(task["credit_code"]), _decorate(task, str(task["credit_code"]))
    return None


__all__ = ["first_tasks", "my_first_task"]
