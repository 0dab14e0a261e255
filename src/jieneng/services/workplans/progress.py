"""Progress of a plan, completion per child region, mid-year and year-end review data.

Per item (see ``docs/workplans.md``):

- **value** — the indicator computed for the responsible region
  (:mod:`.indicators`, once per indicator for all the plan's regions); else, for an
  indicator summed from the children (``parent_rule`` ``sum``), the sum of the
  children's values; else the value of the last accepted report (reported by hand);
- **met** — value against the target (:func:`jieneng.core.workplans.meets`);
- **status** — :func:`jieneng.core.workplans.item_status` (done / overdue /
  in progress / not started) on ``as_of`` (default today, China time);
- **share** — share complete: from the value and target, else the accepted report's
  percent, 1 when done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.regions import RegionTree
from jieneng.core.workplans import (
    PlanIndicator,
    indicator,
    meets,
    share_complete,
    tally,
    work_state,
)
from jieneng.storage import workplan_reports
from jieneng.storage import workplans as store

from . import access
from .coverage_values import CoverageFn
from .indicators import compute
from .region_fold import Key
from .shapes import iso, item_dicts, plan_dict, report_dict

STAGES = ("midyear", "yearend")
_BRIEF = ("id", "claimed_state", "value", "percent", "comment", "reported_by",
          "reported_at", "review", "review_reason", "reviewed_by", "reviewed_at", "evidence")


def _reports(conn: Connection, plan_ids: list[int]
             ) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]], dict[int, int]]:
    """Per item: its last report, its last accepted report, its pending count."""
    latest = workplan_reports.latest_reports(conn, plan_ids)
    ids = {int(x) for r in latest for x in (r["last_id"], r["accepted_id"]) if x is not None}
    rows = workplan_reports.reports_by_id(conn, sorted(ids))
    last = {int(r["item_id"]): rows[int(r["last_id"])] for r in latest}
    accepted = {int(r["item_id"]): rows[int(r["accepted_id"])] for r in latest
                if r["accepted_id"] is not None}
    pending = {int(r["item_id"]): int(r["pending"] or 0) for r in latest}
    return last, accepted, pending


def _needs(items: list[dict[str, Any]]) -> dict[Key, set[str]]:
    out: dict[Key, set[str]] = {}
    for i in items:
        code = i["indicator_code"]
        if code and indicator(code).computed:
            out.setdefault((code, i["indicator_param"]), set()).add(i["responsible_region"])
    return out


class _Evaluator:
    """The value of every item (computed, the children's sum, or reported)."""

    def __init__(self, items: list[dict[str, Any]], computed: dict[Key, dict[str, float | None]],
                 accepted: dict[int, dict[str, Any]]) -> None:
        self.by_id = {int(i["id"]): i for i in items}
        self.children: dict[int, list[int]] = {}
        for i in items:
            if i["parent_id"] is not None and int(i["parent_id"]) in self.by_id:
                self.children.setdefault(int(i["parent_id"]), []).append(int(i["id"]))
        self.computed, self.accepted = computed, accepted
        self.memo: dict[int, tuple[float | None, str | None, bool]] = {}

    def value(self, item_id: int, depth: int = 0) -> tuple[float | None, str | None, bool]:
        """(value, value_source, available) of an item."""
        if item_id in self.memo:
            return self.memo[item_id]
        item = self.by_id[item_id]
        code = item["indicator_code"]
        ind: PlanIndicator | None = indicator(code) if code else None
        key = (code, item["indicator_param"])
        out: tuple[float | None, str | None, bool]
        if ind is not None and ind.computed and key in self.computed:
            out = (self.computed[key].get(item["responsible_region"]), "computed", True)
        else:
            out = self._by_hand(item_id, ind, depth)
        self.memo[item_id] = out
        return out

    def _by_hand(self, item_id: int, ind: PlanIndicator | None, depth: int
                 ) -> tuple[float | None, str | None, bool]:
        available = ind is None or not ind.computed
        kids = self.children.get(item_id, [])
        if ind is not None and ind.parent_rule == "sum" and kids and depth < 20:
            values = [self.value(k, depth + 1)[0] for k in kids]
            known = [v for v in values if v is not None]
            if known:
                return sum(known), "children", available
        report = self.accepted.get(item_id)
        if report is not None and report["value"] is not None:
            return float(report["value"]), "reported", available
        return None, None, available


def _evaluate(items: list[dict[str, Any]], evaluator: _Evaluator,
              last: dict[int, dict[str, Any]], accepted: dict[int, dict[str, Any]],
              pending: dict[int, int], as_of: date) -> list[dict[str, Any]]:
    out = []
    for i in items:
        iid = int(i["id"])
        value, source, available = evaluator.value(iid)
        cmp_, target = i["comparison"], i["target_value"]
        met = meets(value, cmp_, target)
        worked = work_state(i["state"], i["deadline"], as_of, met,
                            value is not None and value > 0, at_most=cmp_ in ("<=", "<"))
        overdue = worked != "done" and as_of > i["deadline"]
        status = "overdue" if overdue else worked   # = core item_status
        share = share_complete(value, cmp_, target)
        if status == "done":
            share = 1.0 if target is None or share is None else share
        elif share is None and iid in accepted and accepted[iid]["percent"] is not None:
            share = float(accepted[iid]["percent"]) / 100.0
        report = last.get(iid)
        out.append({"id": iid, "value": value, "value_source": source,
                    "available": available, "met": met, "share": share, "status": status,
                    "progress": worked, "overdue": overdue,
                    "days_overdue": (as_of - i["deadline"]).days if overdue else 0,
                    "last_report": None if report is None else
                    {k: iso(v) for k, v in report_dict(report).items() if k in _BRIEF},
                    "pending_reports": pending.get(iid, 0)})
    return out


def _indicator_brief(code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    return dict(_brief(code))


@cache
def _brief(code: str) -> dict[str, Any]:
    ind = indicator(code)
    return {"code": ind.code, "name_zh": ind.name_zh, "name_en": ind.name_en,
            "unit": ind.unit, "direction": ind.direction, "source_kind": ind.source_kind,
            "registry_key": ind.registry_key, "parent_rule": ind.parent_rule}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by worked-out state (done + in progress + not started = items) with the
    overdue mark on top (:func:`jieneng.core.workplans.tally`), the quantitative
    items, those met and not available."""
    counts = tally((r["progress"], r["overdue"]) for r in rows)
    n = counts.pop("items")
    quantitative = [r for r in rows if r.get("target") is not None
                    or r.get("target_value") is not None]
    return {"items": n, **counts, "completion_rate": counts["done"] / n if n else None,
            "quantitative": len(quantitative),
            "met": sum(1 for r in quantitative if r["met"] is True),
            "not_available": sum(1 for r in rows if r.get("indicator") is not None
                                 and r["value"] is None)}


def _run(engine: Engine, conn: Connection, rt: RegionTree, items: list[dict[str, Any]],
         plan_ids: list[int], year: int, as_of: date, adapter: CoverageFn | None
         ) -> list[dict[str, Any]]:
    last, accepted, pending = _reports(conn, plan_ids)
    computed = compute(engine, conn, rt, year, _needs(items), as_of, adapter)
    return _evaluate(items, _Evaluator(items, computed, accepted), last, accepted, pending,
                     as_of)


def plan_progress(engine: Engine, user: User, plan_id: int, *, as_of: date | None = None,
                  adapter: CoverageFn | None = None) -> dict[str, Any]:
    """Every item the caller sees with its target, value, status, share complete,
    overdue flag and last report (``docs/workplans.md``; /work/notes/W1-api.md)."""
    as_of = as_of or chinatime.today()
    with engine.connect() as conn:
        plan, rt, only = access.visible_plan(conn, user, plan_id)
        items = store.plan_items(conn, [plan_id])
        evaluated = _run(engine, conn, rt, items, [plan_id], int(plan["year"]), as_of, adapter)
    names = {c: r.name for c, r in rt.by_code.items()}
    shaped = item_dicts(items, names)
    rows = []
    for item, figures in zip(shaped, evaluated, strict=True):
        if only is not None and item["responsible_region"] not in only:
            continue
        target = (None if item["target_value"] is None else
                  {"value": item["target_value"], "comparison": item["comparison"],
                   "unit": item["target_unit"]})
        rows.append({**item, "indicator": _indicator_brief(item["indicator_code"]),
                     "target": target, **figures})
    return {"plan": plan_dict({**plan, "items": len(rows)}, names), "as_of": as_of.isoformat(),
            "summary": summary(rows), "items": rows}


def region_plan_completion(engine: Engine, region_code: str, year: int, *,
                           as_of: date | None = None, user: User | None = None,
                           adapter: CoverageFn | None = None) -> list[dict[str, Any]]:
    """Per direct child of ``region_code`` (the region itself — 本级 — first): the items
    of the active ``year`` plans of ``region_code`` and the regions above it whose
    responsible region lies in the child's subtree, by status, with the completion rate
    (done ÷ items). ``user``: checked to see ``region_code`` (None: internal callers)."""
    as_of = as_of or chinatime.today()
    with engine.connect() as conn:
        rt = access.tree(conn)
        if region_code not in rt:
            raise NotFound.of("scope.region_not_found", region_code=region_code)
        if user is not None and not access.covers(conn, user, region_code):
            raise NotFound.of("scope.region_not_found", region_code=region_code)
        inside = set(rt.subtree(region_code))
        all_items = store.year_items(conn, rt.lineage(region_code), year)
        plan_ids = sorted({int(i["plan_id"]) for i in all_items})
        evaluated = _run(engine, conn, rt, all_items, plan_ids, year, as_of, adapter)
    under = rt.child_under(region_code)
    groups = [region_code, *rt.children.get(region_code, ())]
    rows: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {g: [] for g in groups}
    for item, figures in zip(all_items, evaluated, strict=True):
        if item["responsible_region"] in inside:
            rows[under[item["responsible_region"]]].append((item, figures))
    return [_completion_row(rt, region_code, g, rows[g]) for g in groups]


def _completion_row(rt: RegionTree, parent: str, code: str,
                    pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    counts = tally((f["progress"], f["overdue"]) for _, f in pairs)
    n, done = counts["items"], counts["done"]
    quantitative = [(i, f) for i, f in pairs if i["target_value"] is not None]
    return {"region_code": code, "region_name": rt.group_name(parent, code), "items": n,
            "done": done, "in_progress": counts["in_progress"],
            "not_started": counts["not_started"],
            "on_track": n - done - counts["overdue"], "overdue": counts["overdue"],
            "quantitative": len(quantitative),
            "met": sum(1 for _, f in quantitative if f["met"] is True),
            "completion_rate": done / n if n else None}


def _target_text(item: dict[str, Any]) -> str | None:
    if item["target_value"] is None:
        return None
    signs = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
    value = item["target_value"]
    shown = f"{value:g}"
    return f"{signs.get(item['comparison'] or '', '')} {shown}{item['target_unit'] or ''}"


def plan_review(engine: Engine, user: User, plan_id: int, *, stage: str,
                adapter: CoverageFn | None = None,
                progress: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """The mid-year (as of 30 June) or year-end (31 December) review of a plan: per
    item target vs actual, status, share and the responsible party's comment."""
    if stage not in STAGES:
        raise ValidationFailed.of("workplan_bad_stage", field="stage", stage=stage[:20],
                                  stages=", ".join(STAGES))
    with engine.connect() as conn:
        plan, _rt, _only = access.visible_plan(conn, user, plan_id)
    year = int(plan["year"])
    as_of = date(year, 6, 30) if stage == "midyear" else date(year, 12, 31)
    done = (progress or plan_progress)(engine, user, plan_id, as_of=as_of, adapter=adapter)
    with engine.connect() as conn:
        last, accepted, _pending = _reports(conn, [plan_id])
    items = []
    for i in done["items"]:
        report = accepted.get(i["id"]) or last.get(i["id"])
        ind = i["indicator"] or {}
        items.append({
            "id": i["id"], "item_no": i["item_no"], "section": i["section"], "text": i["text"],
            "responsible_region": i["responsible_region"],
            "responsible_region_name": i["responsible_region_name"],
            "responsible_department": i["responsible_department"], "deadline": i["deadline"],
            "indicator_code": i["indicator_code"], "indicator_name_zh": ind.get("name_zh"),
            "indicator_name_en": ind.get("name_en"), "unit": i["target_unit"],
            "target": _target_text(i), "target_value": i["target_value"],
            "comparison": i["comparison"], "value": i["value"],
            "value_source": i["value_source"], "share": i["share"], "status": i["status"],
            "progress": i["progress"], "overdue": i["overdue"], "met": i["met"],
            "comment": None if report is None else report["comment"],
            "reported_at": None if report is None else iso(report["reported_at"])})
    return {"plan": done["plan"], "stage": stage, "as_of": as_of.isoformat(),
            "summary": done["summary"], "items": items}
