"""Assign an item down the region tree (逐级分解): one child item per region below the
item's responsible region, each then reported on by its region.

The child items keep the text, section, indicator, comparison and unit; their number is
the parent's + ``-`` + the region code; the deadline is the parent's unless given. The
target: one per region when given (``targets``); else the parent's for indicators whose
parent value is computed over the whole region (a rate, a PUE: each county the same
bar), none for indicators summed from the children (a count, participants: the parent
sets each share). Capability ``manage_work_plans`` on the plan; audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.workplans import indicator
from jieneng.services.accounts import audit
from jieneng.storage import workplans as store

from . import access
from .shapes import item_dicts

_COPIED = ("plan_id", "section", "text", "responsible_department", "indicator_code",
           "indicator_param", "comparison", "target_unit", "source_quote")


def _target(item: dict[str, Any], region: str, targets: dict[str, float] | None
            ) -> float | None:
    if targets is not None and region in targets:
        return float(targets[region])
    if item["indicator_code"] is None or item["target_value"] is None:
        return None
    rule = indicator(item["indicator_code"]).parent_rule
    return float(item["target_value"]) if rule == "region" else None


def assign_item(engine: Engine, user: User, item_id: int, *,
                regions: list[str] | None = None, targets: dict[str, float] | None = None,
                deadline: date | None = None) -> list[dict[str, Any]]:
    """Child items of ``item_id`` for ``regions`` (default: every region directly below
    the item's responsible region); returns them."""
    require(user, Capability.MANAGE_WORK_PLANS)
    with engine.begin() as conn:
        item = store.get_item(conn, item_id)
        if item is None:
            raise access.hidden_item(item_id)
        plan = access.managed_plan(conn, user, int(item["plan_id"]))
        rt = access.tree(conn)
        below = set(rt.subtree(item["responsible_region"])) - {item["responsible_region"]}
        chosen = sorted(regions) if regions else list(rt.children.get(
            item["responsible_region"], ()))
        bad = [r for r in chosen if r not in below]
        if bad or not chosen:
            raise ValidationFailed.of("workplan_assign_region", field="regions",
                                      regions=", ".join(bad) or "-",
                                      region=item["responsible_region"])
        when = deadline or item["deadline"]
        if when.year != int(plan["year"]):
            raise ValidationFailed.of("workplan_deadline_year", field="deadline",
                                      deadline=when.isoformat(), year=plan["year"])
        taken = store.item_numbers(conn, int(plan["id"]))
        rows = []
        for region in chosen:
            number = f"{item['item_no']}-{region}"
            if number in taken:
                raise Conflict.of("workplan_already_assigned", item=item["item_no"],
                                  region=region)
            rows.append({**{k: item[k] for k in _COPIED}, "item_no": number,
                         "parent_id": item_id, "responsible_region": region,
                         "deadline": when, "target_value": _target(item, region, targets)})
        ids = store.insert_items(conn, rows)
        audit.record(conn, user.actor, "workplans.assign", "work_plan_item", item_id,
                     after={"regions": chosen, "deadline": when.isoformat(),
                            "targets": {r["responsible_region"]: r["target_value"]
                                        for r in rows}})
        created = [i for i in store.plan_items(conn, [int(plan["id"])])
                   if int(i["id"]) in set(ids.values())]
    return item_dicts(created, {c: r.name for c, r in rt.by_code.items()})
