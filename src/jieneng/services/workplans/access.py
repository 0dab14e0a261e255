"""Who sees and changes a work plan and its items (scope from :mod:`jieneng.services.scope`).

- A plan is **seen** by a caller whose scope covers the plan's region (every item), or
  holds a region inside it (a county office sees the city plan's items assigned to its
  county; an institution sees the items of its region that name it or no institution).
- A plan is **managed** (items added, assigned, reports reviewed) with
  ``manage_work_plans`` by an office whose scope covers the plan's region.
- An item is **reported on** with ``report_progress`` by a caller whose scope covers the
  item's responsible region — an institution or department account only when the item
  names it (or one of its units).

Anything else is answered as if it did not exist (NotFound).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound
from jieneng.core.regions import RegionTree
from jieneng.core.scope import ScopeKind
from jieneng.services.scope import held_regions, scoped_filters
from jieneng.storage import institutions, regions
from jieneng.storage import workplans as store


def tree(conn: Connection) -> RegionTree:
    return RegionTree(regions.load_regions(conn))


def hidden_plan(plan_id: int) -> NotFound:
    return NotFound.of("workplan_not_found", plan=plan_id)


def hidden_item(item_id: int) -> NotFound:
    return NotFound.of("workplan_item_not_found", item=item_id)


def covers(conn: Connection, user: User, region_code: str,
           rt: RegionTree | None = None) -> bool:
    """Whether the caller's scope covers the whole of ``region_code`` (with the tree
    already loaded: the same answer as :func:`scoped_filters` for a region scope, without
    loading it again)."""
    scope = user.scope
    if scope.kind not in (ScopeKind.ALL, ScopeKind.REGION):
        return False
    if rt is not None:
        if region_code not in rt:
            return False
        return scope.kind is ScopeKind.ALL or scope.region_code is None or (
            scope.region_code in rt.lineage(region_code))
    try:
        scoped_filters(conn, user.scope, region_code=region_code)
    except NotFound:
        return False
    return True


def item_filter(conn: Connection, user: User, plan: dict[str, Any], rt: RegionTree
                ) -> set[str] | None:
    """None when the caller sees every item of ``plan``; else the responsible regions
    whose items it sees (NotFound when none can be)."""
    if covers(conn, user, plan["region_code"], rt):
        return None
    held = held_regions(conn, user.scope, rt)
    inside = set(rt.subtree(plan["region_code"])) if plan["region_code"] in rt else set()
    mine = (held or set()) & inside
    if not mine:
        raise hidden_plan(int(plan["id"]))
    return mine


def own_item(conn: Connection, user: User, item: dict[str, Any]) -> bool:
    """Whether an institution or department caller is the item's responsible unit."""
    scope = user.scope
    if scope.kind is ScopeKind.INSTITUTION:
        return item["institution_id"] is not None and item["institution_id"] == scope.institution_id
    if scope.kind is ScopeKind.DEPARTMENT:
        iid = item["institution_id"]
        if iid is None:
            return False
        row = institutions.get_institution_by_id(conn, int(iid))
        return row is not None and scope.department_id in (row.id, row.department_id)
    return True


def visible_plan(conn: Connection, user: User, plan_id: int
                 ) -> tuple[dict[str, Any], RegionTree, set[str] | None]:
    """The plan, the region tree and the caller's item filter (:func:`item_filter`)."""
    plan = store.get_plan(conn, plan_id)
    if plan is None:
        raise hidden_plan(plan_id)
    rt = tree(conn)
    return plan, rt, item_filter(conn, user, plan, rt)


def managed_plan(conn: Connection, user: User, plan_id: int) -> dict[str, Any]:
    """The plan when the caller manages it (capability checked by the caller)."""
    plan = store.get_plan(conn, plan_id)
    if plan is None or not covers(conn, user, plan["region_code"]):
        raise hidden_plan(plan_id)
    return plan


def visible_item(conn: Connection, user: User, item_id: int
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The item and its plan when the caller sees it."""
    item = store.get_item(conn, item_id)
    if item is None:
        raise hidden_item(item_id)
    plan = store.get_plan(conn, int(item["plan_id"]))
    assert plan is not None
    try:
        _, _, only = visible_plan(conn, user, int(plan["id"]))
    except NotFound:
        raise hidden_item(item_id) from None
    if only is not None and item["responsible_region"] not in only:
        raise hidden_item(item_id)
    return item, plan


def reportable_item(conn: Connection, user: User, item_id: int
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The item and its plan when the caller may report progress on it."""
    item, plan = visible_item(conn, user, item_id)
    if not own_item(conn, user, item):
        raise hidden_item(item_id)
    return item, plan
