"""The review queue as a workbook: ``GET /review.xlsx`` with the queue's filters
(period, region, 主管部门, category, state, findings) — every page of
:func:`jieneng.web.reporting.review.review_context`, the call of the page and of
its JSON twin, so the workbook shows the page's tasks and figures.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from jieneng.core.listing import Column, indicator_column
from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.exporting import every_page, notes, workbook_lang, xlsx_response
from jieneng.web.reporting.review import review_context
from jieneng.web.reporting.schemas import (
    CategoryQ,
    DepartmentQ,
    FindingsQ,
    PeriodQ,
    RegionQ,
    StateQ,
)

router = APIRouter(include_in_schema=False)

#: The queue's columns (the page's table, the export)
COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "pages.credit_code", "code"),
    Column("name", "reporting.unit"),
    Column("region_code", "export.col.region_code", "code"),
    Column("period_label", "reporting.period"),
    Column("state_label", "pages.rate.state"),
    Column("submitted_at", "export.col.submitted_at", "code"),
    Column("errors", "reporting.errors", "int"),
    Column("unexplained_warnings", "reporting.warnings", "int"),
    Column("energy_tce", "queue.energy_tce", "number",
           decimals=indicator_column("energy_tce").decimals),
    Column("previous_energy_tce", "queue.previous", "number",
           decimals=indicator_column("energy_tce").decimals),
    Column("yoy_energy_tce", "queue.yoy", "change"),
    Column("electricity_kwh", "queue.electricity", "number", decimals=0),
    Column("yoy_electricity_kwh", "queue.yoy", "change"),
    Column("water_m3", "pages.water_m3", "number", decimals=0),
    Column("yoy_water_m3", "queue.yoy", "change"),
)


def _line(item: dict[str, Any], lang: str) -> dict[str, Any]:
    institution = item.get("institution") or {}
    return {**item, **(item.get("totals") or {}),
            "credit_code": institution.get("credit_code"), "name": institution.get("name"),
            "region_code": institution.get("region_code"),
            "state_label": item.get("state_en") if lang == "en" else item.get("state_zh"),
            "submitted_at": (item.get("submitted_at") or "")[:16].replace("T", " ")}


@router.get("/review.xlsx")
def review_xlsx(request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                period: PeriodQ = None, region: RegionQ = None, department: DepartmentQ = None,
                category: CategoryQ = None, state: StateQ = None,
                findings: FindingsQ = None) -> Response:
    """Every task of my queue matching the filters, with its figures and 同比."""
    lang = workbook_lang(request)
    filters = {"region": region, "department": department, "category": category,
               "state": state, "findings": findings}

    def fetch(n: int, size: int) -> dict[str, Any]:
        data: dict[str, Any] = review_context(
            engine, user, period=period, page_no=n, per_page=size, filters=filters,
            factor_set=settings.factor_set)["data"]
        return data

    items = every_page(fetch, 200)
    title = text(lang, "reporting.review")
    shown = [("pages.rate.period", period), ("queue.filter.region", region),
             ("queue.filter.department", department), ("queue.filter.category", category),
             ("pages.status", state), ("queue.filter.findings", findings)]
    sheet = Sheet(title, title, COLUMNS, [_line(i, lang) for i in items], notes=notes(
        engine, user, lang, count=len(items), basis=text(lang, "queue.basis"),
        filters=shown))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}.xlsx", "review-queue.xlsx")
