"""Reporting periods: open (and sync) a period, list the periods of my scope.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.core.reporting.periods import Period
from jieneng.core.reporting.tasks import Action, ActorRole, TaskState
from jieneng.services.accounts import audit
from jieneng.services.scope import scoped_filters
from jieneng.services.workflow.access import (
    iso,
    now,
    period_of,
)
from jieneng.storage import regions, task_figures
from jieneng.storage import reporting as store


def _default_deadline(period: Period) -> date:
    """20th of the following month (月报); 31 March of the next year (年报)."""
    if period.month is None:
        return date(period.year + 1, 3, 31)
    year, month = (period.year, period.month + 1) if period.month < 12 else (period.year + 1, 1)
    return date(year, month, min(20, calendar.monthrange(year, month)[1]))


def open_period(
    engine: Engine, user: User, *, region_code: str, period: Period | str,
    deadline: date | None = None, department_step: bool = False, region_step: bool = False,
) -> dict[str, Any]:
    """Open a 月报/年报 period for ``region_code``'s subtree: every active institution
    there gets a ``not_started`` task. Opening it again only adds the tasks of
    institutions added since (sync). Only 系统管理员 and 管理机构 accounts, for a
    region inside their scope. A period of the same month on an enclosing or
    enclosed region is a :class:`Conflict` (one task per institution and period).
    The review chain: ``department_step`` (主管部门先审) and ``region_step`` (区县初审:
    the county office of an institution below ``region_code`` reviews before it).
    """
    require(user, Capability.OPEN_PERIODS)
    period = Period.parse(period) if isinstance(period, str) else period
    deadline = deadline or _default_deadline(period)
    month = period.month or 0
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
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
                raise Conflict.of(
                    "workflow.period_overlaps", region_code=other["region_code"],
                    period_id=other["id"], values={
                        "period_zh": period.label("zh") + period.kind.label("zh"),
                        "period_en": f"{period.kind.label('en')} {period.format()}"},
                )
        created = existing is None
        if existing is None:
            period_id = store.insert_period(
                conn, region_code=region_code, kind=period.kind.value, year=period.year,
                month=month, deadline=deadline, department_step=department_step,
                region_step=region_step, opened_by=user.id, opened_at=now())
        else:
            period_id = int(existing["id"])
        added = store.sync_tasks(conn, period_id, filters)
        started = _start_tasks_with_figures(conn, period_id)
        audit.record(conn, user.actor, "reporting.open" if created else "reporting.sync",
                     "reporting_period", period_id,
                     after={"region_code": region_code, "period": period.format(),
                            "deadline": deadline.isoformat() if created else None,
                            "department_step": department_step, "region_step": region_step,
                            "tasks_added": added,
                            "tasks_started": started})
    return {"id": period_id, "region_code": region_code, "period": period.format(),
            "created": created, "tasks_added": added, "tasks_started": started}


def _start_tasks_with_figures(conn: Connection, period_id: int) -> int:
    """Figures stored before the period opened (an import, an earlier save) belong to
    its tasks: their ``not_started`` tasks move to ``in_progress`` as a save would
    (history rows without an actor), so they can be submitted without saving again."""
    keys = task_figures.figure_keys(conn, period_id)
    if keys.is_empty():
        return 0
    store.stage_keys(conn, keys)
    return store.start_tasks(conn, [TaskState.NOT_STARTED.value], TaskState.IN_PROGRESS.value,
                             action=Action.SAVE.value, actor_user_id=None,
                             actor_role=ActorRole.FILER.value, at=now())


def list_periods(engine: Engine, user: User) -> list[dict[str, Any]]:
    """The periods of my scope with the counts of my visible tasks per state."""
    with engine.connect() as conn:
        filters = scoped_filters(conn, user.scope)
        rows = store.list_periods(conn, filters)
        tree = RegionTree(regions.load_regions(conn))
    out = []
    for row in rows:
        period = period_of(row)
        code = row["region_code"]
        out.append({
            "id": row["id"], "region_code": code,
            "region_name": tree.name(code) if code in tree else code, "period": period.format(),
            "label": period.label(), "kind": period.kind.value,
            "deadline": row["deadline"].isoformat(), "department_step": row["department_step"],
            "region_step": row["region_step"], "opened_at": iso(row["opened_at"]),
            "counts": row["counts"],
            "tasks": sum(row["counts"].values()),
        })
    return out


#: at most this many monthly periods are proposed (and opened) in one go
MAX_CATCH_UP = 24


def months_to_open(items: list[dict[str, Any]], region_code: str | None,
                   today: date) -> list[Period]:
    """The monthly periods ``region_code`` has not opened yet, from the month after its
    newest opened 月报 through last month (``today``'s previous month): the months
    period management must roll into — e.g. 2026-01 … 2026-11 when the newest is
    2025-12 and today is in December 2026. Only the last month when it opened none;
    at most :data:`MAX_CATCH_UP`. ``items``: :func:`list_periods`."""
    if region_code is None:
        return []
    last = Period.monthly(today.year - (today.month == 1), (today.month - 2) % 12 + 1)
    opened = [Period.parse(i["period"]) for i in items
              if i["region_code"] == region_code and i["kind"] == "monthly"]
    if not opened:
        return [last]
    newest = max(opened, key=lambda p: p.sort_key())
    out: list[Period] = []
    year, month = newest.year, newest.month or 12
    while len(out) < MAX_CATCH_UP:
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        candidate = Period.monthly(year, month)
        if candidate.sort_key() > last.sort_key():
            break
        out.append(candidate)
    return out


def can_open_periods(user: User) -> bool:
    return user.can(Capability.OPEN_PERIODS)
