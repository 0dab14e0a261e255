"""Plans: create, list, show, close (capability ``manage_work_plans`` to change; scope
from :mod:`.access`). Every change audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.scope import held_regions
from jieneng.storage import workplans as store

from . import access
from .shapes import item_dicts, plan_dict

STATUSES = ("active", "closed")
_YEARS = (2000, 2100)


def check_year(year: int) -> int:
    if not _YEARS[0] <= year <= _YEARS[1]:
        raise ValidationFailed.of("workplan_bad_year", field="year", year=year)
    return year


def create_plan(engine: Engine, user: User, *, region_code: str, year: int, title: str,
                document_no: str | None = None, issued_on: date | None = None,
                source: str | None = None) -> dict[str, Any]:
    """A new (empty) plan of ``region_code`` for ``year``."""
    require(user, Capability.MANAGE_WORK_PLANS)
    check_year(year)
    title = title.strip()
    if not title:
        raise ValidationFailed.of("workplan_title_required", field="title")
    with engine.begin() as conn:
        rt = access.tree(conn)
        if region_code not in rt or not access.covers(conn, user, region_code):
            raise NotFound.of("scope.region_not_found", region_code=region_code)
        if store.find_plan(conn, region_code, year, title[:200]) is not None:
            raise Conflict.of("workplan_exists", region_code=region_code, year=year,
                              title=title[:200])
        values = {"region_code": region_code, "year": year, "title": title[:200],
                  "document_no": document_no, "issued_on": issued_on, "source": source,
                  "created_by": user.actor.username}
        plan_id = store.insert_plan(conn, values)
        audit.record(conn, user.actor, "workplans.create", "work_plan", plan_id,
                     after={**values, "issued_on": issued_on.isoformat() if issued_on
                            else None})
        plan = store.get_plan(conn, plan_id)
        assert plan is not None
        return plan_dict({**plan, "items": 0}, {region_code: rt.name(region_code)})


def list_plans(engine: Engine, user: User, *, region_code: str | None = None,
               year: int | None = None) -> list[dict[str, Any]]:
    """The plans the caller sees: of the regions in its scope, and of the regions above
    whose items are assigned inside it."""
    with engine.connect() as conn:
        rt = access.tree(conn)
        held = held_regions(conn, user.scope, rt)
        codes: set[str] | None = None
        if held is not None:
            codes = set()
            for code in held:
                codes.update(rt.lineage(code))
        if region_code is not None:
            if region_code not in rt or (codes is not None and region_code not in codes):
                raise NotFound.of("scope.region_not_found", region_code=region_code)
            codes = {region_code}
        rows = store.list_plans(conn, owner_regions=None if codes is None else sorted(codes),
                                year=year)
    names = {code: r.name for code, r in rt.by_code.items()}
    return [plan_dict(r, names) for r in rows]


def get_plan(engine: Engine, user: User, plan_id: int) -> dict[str, Any]:
    """The plan with the items the caller sees."""
    with engine.connect() as conn:
        plan, rt, only = access.visible_plan(conn, user, plan_id)
        items = store.plan_items(conn, [plan_id])
    if only is not None:
        items = [i for i in items if i["responsible_region"] in only]
    names = {code: r.name for code, r in rt.by_code.items()}
    out = plan_dict({**plan, "items": len(items)}, names)
    out["items"] = item_dicts(items, names)
    return out


def set_plan_status(engine: Engine, user: User, plan_id: int, status: str) -> dict[str, Any]:
    """Close a plan (no reminders, not counted in completion) or open it again."""
    require(user, Capability.MANAGE_WORK_PLANS)
    if status not in STATUSES:
        raise ValidationFailed.of("workplan_bad_status", field="status", status=status[:20],
                                  statuses=", ".join(STATUSES))
    with engine.begin() as conn:
        plan = access.managed_plan(conn, user, plan_id)
        store.update_plan(conn, plan_id, {"status": status})
        audit.record(conn, user.actor, "workplans.status", "work_plan", plan_id,
                     before={"status": plan["status"]}, after={"status": status})
    return {"id": plan_id, "status": status}
