"""Items of a plan: the checks that need the database (responsible region inside the
plan's region, responsible institution known and inside it, parent item present), add
one item, show one item with its report history.

The checks of a row without the database are the sheet's
(:func:`jieneng.ingest.workplans.parse_item`): a form and a sheet are refused for the
same reasons with the same messages.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.ingest.issues import ImportIssue, rejection
from jieneng.ingest.workplans import PlanRows, parse_item
from jieneng.services.accounts import audit
from jieneng.storage import institutions, workplan_reports
from jieneng.storage import workplans as store

from . import access
from .shapes import evidence_dict, item_dicts, report_dict

#: the item columns a row gives (the rest are the database's)
_STORED = ("item_no", "section", "text", "responsible_region", "responsible_department",
           "deadline", "indicator_code", "indicator_param", "comparison", "target_value",
           "target_unit", "source_quote")


def storage_rows(conn: Connection, plan: dict[str, Any], rt: RegionTree, parsed: PlanRows
                 ) -> list[dict[str, Any]]:
    """The parsed rows in storage shape, or ImportRejected naming each row whose
    region, institution or parent is wrong (nothing stored)."""
    inside = set(rt.subtree(plan["region_code"]))
    stored = store.item_numbers(conn, int(plan["id"]))
    codes = {r["institution_code"].upper() for r in parsed.rows if r["institution_code"]}
    found = institutions.institutions_by_codes(conn, sorted(codes)) if codes else {}
    issues: list[ImportIssue] = []
    out: list[dict[str, Any]] = []
    in_file = {r["item_no"] for r in parsed.rows}
    for r in parsed.rows:
        region = r["responsible_region"] or plan["region_code"]
        values = {k: r.get(k) for k in _STORED}
        values.update(plan_id=int(plan["id"]), responsible_region=region,
                      parent_no=r["parent_no"], parent_id=None, institution_id=None)
        if region not in inside:
            issues.append(parsed.issue(r["row"], "responsible_region", region,
                                       "workplans.import.region_outside",
                                       region=plan["region_code"]))
        if r["item_no"] in stored:
            issues.append(parsed.issue(r["row"], "item_no", r["item_no"],
                                       "workplans.import.duplicate_item", first="-"))
        if r["parent_no"] and r["parent_no"] not in in_file:
            if r["parent_no"] in stored:
                values["parent_id"] = stored[r["parent_no"]]
            else:
                issues.append(parsed.issue(r["row"], "parent_no", r["parent_no"],
                                           "workplans.import.parent_missing"))
        code = (r["institution_code"] or "").upper()
        if code:
            unit = found.get(code)
            if unit is None or str(unit.region_code).strip() not in set(rt.subtree(region)):
                issues.append(parsed.issue(r["row"], "institution", code,
                                           "workplans.import.institution_outside",
                                           region=region))
            else:
                values["institution_id"] = unit.id
        out.append(values)
    if issues:
        raise rejection(parsed.file, issues)
    return out


def add_item(engine: Engine, user: User, plan_id: int, fields: dict[str, Any]
             ) -> dict[str, Any]:
    """Add one item to a plan (fields as in a sheet: ``item_no``, ``text``,
    ``deadline``, ``responsible_region``, ``indicator``, ``target`` …); refused with
    the sheet's messages."""
    require(user, Capability.MANAGE_WORK_PLANS)
    cells = {k: (None if v is None else str(v)) for k, v in fields.items()}
    with engine.begin() as conn:
        plan = access.managed_plan(conn, user, plan_id)
        parsed = parse_item(cells, year=int(plan["year"]))
        if parsed.errors:
            raise rejection(parsed.file, parsed.errors)
        rt = access.tree(conn)
        rows = storage_rows(conn, plan, rt, parsed)
        ids = store.insert_items(conn, rows)
        item_id = ids[rows[0]["item_no"]]
        audit.record(conn, user.actor, "workplans.item_add", "work_plan_item", item_id,
                     after={k: access_value(v) for k, v in rows[0].items()})
        item = store.get_item(conn, item_id)
    assert item is not None
    return item_dicts([item], {c: r.name for c, r in rt.by_code.items()})[0]


def access_value(value: Any) -> Any:
    """A value as the audit log keeps it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def get_item(engine: Engine, user: User, item_id: int) -> dict[str, Any]:
    """The item with every report (newest first) and each report's evidence list."""
    with engine.connect() as conn:
        item, _plan = access.visible_item(conn, user, item_id)
        siblings = [i for i in store.plan_items(conn, [int(item["plan_id"])])
                    if i["id"] == item_id or i["parent_id"] == item_id
                    or i["id"] == item["parent_id"]]
        reports = workplan_reports.item_reports(conn, [item_id])
        evidence = workplan_reports.report_evidence(conn, [int(r["id"]) for r in reports])
        rt = access.tree(conn)
    names = {c: r.name for c, r in rt.by_code.items()}
    shaped = {d["id"]: d for d in item_dicts(siblings, names)}
    out = shaped[item_id]
    by_report: dict[int, list[dict[str, Any]]] = {}
    for e in evidence:
        by_report.setdefault(int(e["report_id"]), []).append(evidence_dict(e))
    out["reports"] = [{**report_dict(r), "files": by_report.get(int(r["id"]), [])}
                      for r in reports]
    return out


def check_item_no(item_no: str) -> str:
    text = item_no.strip()
    if not text or len(text) > 40:
        raise ValidationFailed.of("workplan_bad_item_no", field="item_no", item_no=text[:40])
    return text
