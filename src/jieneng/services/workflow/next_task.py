"""Which report a filer opens first (the ``/entry`` chooser): per unit its oldest open
task — 已退回 first, then overdue, then due — else its latest task, else last month.

The institution ids come from a scoped read (the chooser's directory search), so no
unit outside the caller's scope is asked about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine

from jieneng.core.reporting.periods import Period
from jieneng.storage import next_tasks as store

#: the order in which a filer meets its tasks
ORDER: tuple[str, ...] = (store.RETURNED, store.OVERDUE, store.DUE, store.LATEST)


def first_tasks(engine: Engine, institutions: Sequence[dict[str, Any]], *,
                today: date | None = None) -> dict[str, dict[str, Any]]:
    """credit code → its first task (``task_id, state, kind, year, month, deadline,
    why, period, link``) for directory items (``institution_id``, ``credit_code``);
    units without any task are absent."""
    by_id = {int(i["institution_id"]): str(i["credit_code"]) for i in institutions}
    with engine.connect() as conn:
        found = store.first_tasks(conn, by_id, today or date.today())
    out: dict[str, dict[str, Any]] = {}
    for iid, task in found.items():
        code = by_id[iid]
        month = int(task["month"])
        period = Period(int(task["year"]), month or None)
        link = (f"/entry/{code}/{task['year']}/{month}" if month
                else f"/entry/{code}/{task['year']}")  # a 年报: the year grid
        out[code] = {**task, "deadline": task["deadline"].isoformat(),
                     "period": period.format(), "link": link}
    return out


def most_urgent(tasks: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """Of units' first tasks, the one to do first (an open one), or None."""
    open_ = [(code, task) for code, task in tasks.items() if task["why"] != store.LATEST]
    if not open_:
        return None
    return min(open_, key=lambda ct: (ORDER.index(ct[1]["why"]), ct[1]["deadline"], ct[0]))


__all__ = ["ORDER", "first_tasks", "most_urgent"]
