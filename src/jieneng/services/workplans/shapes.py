"""The dicts the work-plan services return (JSON-ready; see /docs/workplans.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

_PLAN_KEYS = ("id", "region_code", "year", "title", "document_no", "source", "status",
              "created_by", "items")
_ITEM_KEYS = ("id", "plan_id", "item_no", "parent_id", "section", "text",
              "responsible_region", "responsible_department", "institution_id",
              "institution_name", "institution_code", "deadline", "indicator_code",
              "indicator_param", "comparison", "target_value", "target_unit",
              "source_quote", "state", "state_at")
_REPORT_KEYS = ("id", "item_id", "claimed_state", "value", "percent", "comment",
                "reported_by", "reported_at", "review", "reviewed_by", "reviewed_at",
                "review_reason", "evidence")


def iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def plan_dict(plan: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    out = {k: iso(plan.get(k)) for k in _PLAN_KEYS}
    out["region_name"] = names.get(plan["region_code"], plan["region_code"])
    out["issued_on"] = iso(plan.get("issued_on"))
    out["created_at"] = iso(plan.get("created_at"))
    return out


def item_dicts(items: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Items with their parent's number, their children's ids and region names."""
    numbers = {int(i["id"]): i["item_no"] for i in items}
    children: dict[int, list[int]] = {}
    for i in items:
        if i["parent_id"] is not None:
            children.setdefault(int(i["parent_id"]), []).append(int(i["id"]))
    out = []
    for i in items:
        d = {k: iso(i.get(k)) for k in _ITEM_KEYS}
        d["parent_no"] = numbers.get(i["parent_id"]) if i["parent_id"] is not None else None
        d["responsible_region_name"] = names.get(i["responsible_region"],
                                                 i["responsible_region"])
        d["children"] = children.get(int(i["id"]), [])
        out.append(d)
    return out


def report_dict(report: dict[str, Any]) -> dict[str, Any]:
    out = {k: iso(report.get(k)) for k in _REPORT_KEYS}
    out["evidence"] = int(report.get("evidence") or 0)
    return out


def evidence_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(row.get(k)) for k in ("id", "report_id", "file_name", "content_type",
                                          "size_bytes", "sha256", "uploaded_by",
                                          "uploaded_at")}
