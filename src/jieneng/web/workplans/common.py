"""What the work-plan pages share: the path and query types, the labels of states,
reviews and value sources in the page's language, the text of a target and of a
value with its unit, and an item of :func:`jieneng.services.workplans.progress.
plan_progress` as a row of the progress list, its workbook and the summary
(:class:`jieneng.reports.workplan_document.ItemLine`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Path, Query

from jieneng.core.messages import text
from jieneng.core.rounding import format_number
from jieneng.reports.workplan_document import ItemLine

PlanP = Annotated[int, Path(ge=1, description="工作安排编号 plan id")]
ItemP = Annotated[int, Path(ge=1, description="事项编号 item id")]
EvidenceP = Annotated[int, Path(ge=1, description="佐证材料编号 evidence id")]
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$",
                               description="行政区划代码")]
YearQ = Annotated[str, Query(max_length=4, pattern=r"^(\d{4})?$", description="年度")]
StatusQ = Annotated[str, Query(max_length=16, pattern=r"^[a-z_]*$",
                               description="not_started | in_progress | done | overdue")]
StageQ = Annotated[str, Query(max_length=3, pattern=r"^(mid|end)?$",
                              description="mid (年中督促) | end (年底检查)")]
ResponsibleQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$",
                                    description="责任地区 (code)")]
#: the item states of the progress page, in the order of the filter
STATUSES: tuple[str, ...] = ("not_started", "in_progress", "done", "overdue")
#: the page's stage → the service's
STAGE_OF = {"mid": "midyear", "end": "yearend"}
UNIT_SHOWN = {"m2": "m²", "m3": "m³", "kWh/kWh": ""}
COMPARISON_SIGN = {">=": "≥", "<=": "≤", ">": "＞", "<": "＜"}


def en(lang: str) -> bool:
    return lang.startswith("en")


def status_label(code: str | None, lang: str) -> str:
    return text(lang, f"workplans.web.status.{code}") if code in STATUSES else (code or "")


def review_label(code: str | None, lang: str) -> str:
    if code in ("pending", "accepted", "returned"):
        return text(lang, f"workplans.web.review.{code}")
    return code or ""


def source_label(code: str | None, lang: str) -> str:
    if code in ("computed", "reported", "children"):
        return text(lang, f"workplans.web.source.{code}")
    return ""


def figure(value: float | None, unit: str | None) -> str:
    """A value with its unit as the catalogue states it (a rate in percent points:
    ``87.5%``; ``180,000 m²``; ``1.55``); ``—`` for none."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{format_number(float(value), 1, thousands=False)}%"
    digits = 0 if float(value).is_integer() else 2
    shown = format_number(float(value), digits)
    unit = UNIT_SHOWN.get(unit or "", unit)
    return f"{shown} {unit}" if unit else shown


def target_text(target: Mapping[str, Any] | None) -> str:
    """``≥ 85%``, ``≤ 1.6``, ``≥ 180,000 m²``; empty without a target."""
    if not target or target.get("value") is None:
        return ""
    sign = COMPARISON_SIGN.get(str(target.get("comparison") or ">="), "")
    return f"{sign} {figure(float(target['value']), target.get('unit'))}".strip()


def indicator_name(item: Mapping[str, Any], lang: str) -> str:
    found = item.get("indicator") or {}
    return str(found.get("name_en" if en(lang) else "name_zh") or "")


def responsible(item: Mapping[str, Any], lang: str) -> str:
    """Who answers for the item: the region, then the department or institution."""
    parts = [item.get("responsible_region_name") or item.get("responsible_region"),
             item.get("responsible_department") or item.get("institution_name")]
    return (" · " if en(lang) else "·").join(str(p) for p in parts if p)


def item_row(item: Mapping[str, Any], plan_id: int, lang: str) -> dict[str, Any]:
    """An item of the plan's progress as a row of the list, its twin and its workbook."""
    target = target_text(item.get("target"))
    unit = (item.get("target") or {}).get("unit") or (item.get("indicator") or {}).get("unit")
    last = item.get("last_report") or {}
    return {
        "id": item["id"], "number": item.get("item_no") or "",
        "parent_no": item.get("parent_no"), "section": item.get("section") or "",
        "text": item.get("text") or "", "responsible": responsible(item, lang),
        "responsible_region": item.get("responsible_region"),
        "region_name": item.get("responsible_region_name") or item.get("responsible_region"),
        "deadline": item.get("deadline"), "indicator": indicator_name(item, lang),
        "target": target,
        "value": figure(item.get("value"), unit) if item.get("value") is not None else "",
        "value_raw": item.get("value"), "value_source": item.get("value_source"),
        "source_label": source_label(item.get("value_source"), lang)
        if item.get("value") is not None else "",
        "available": bool(item.get("available", True)),
        "status": item.get("status"), "progress": _progress(item),
        "state_label": status_label(_progress(item), lang),
        "share": item.get("share"), "overdue": bool(item.get("overdue")),
        "days_overdue": int(item.get("days_overdue") or 0), "met": item.get("met"),
        "last_review": last.get("review"),
        "last_review_label": review_label(last.get("review"), lang),
        "pending_reports": int(item.get("pending_reports") or 0),
        "href": f"/workplans/{plan_id}/items/{item['id']}"}


def line_of(row: Mapping[str, Any]) -> ItemLine:
    """A row of the list as a line of the summary document (the same texts)."""
    return ItemLine(number=str(row["number"]), section=str(row["section"]),
                    text=str(row["text"]), responsible=str(row["responsible"]),
                    deadline=row.get("deadline"), target=str(row["target"]),
                    value=str(row["value"]), state=str(row["progress"]),
                    state_label=str(row["state_label"]), share=row.get("share"),
                    overdue=bool(row["overdue"]), done=row["progress"] == "done")


def _progress(item: Mapping[str, Any]) -> str | None:
    """The worked-out state (done / in progress / not started; the overdue mark is
    apart — :func:`jieneng.core.workplans.tally`)."""
    found = item.get("progress") or item.get("status")
    return None if found is None else str(found)


def keeps(row: Mapping[str, Any], status: str) -> bool:
    """Whether the status filter keeps ``row``: ``overdue`` the overdue mark, else the
    worked-out state (an overdue item in progress is kept by both)."""
    return not status or (bool(row["overdue"]) if status == "overdue"
                          else row["progress"] == status)
