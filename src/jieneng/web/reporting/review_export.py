"""The review queue as a workbook: ``GET /review.xlsx`` with the queue's filters
(period, region, 主管部门, category, state, findings) — every page of
:func:`jieneng.web.reporting.review.review_context`, the call of the page and of
its JSON twin, so the workbook shows the page's tasks and figures.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.exporting import every_page, notes, workbook_lang, xlsx_response
from jieneng.web.reporting.review import COLUMNS, queue_line, review_context
from jieneng.web.reporting.schemas import (
    CategoryQ,
    DepartmentQ,
    FindingsQ,
    PeriodQ,
    RegionQ,
    StateQ,
)

router = APIRouter(include_in_schema=False)

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
    sheet = Sheet(title, title, COLUMNS, [queue_line(i, lang) for i in items], notes=notes(
        engine, user, lang, count=len(items), basis=text(lang, "queue.basis"),
        filters=shown))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}.xlsx", "review-queue.xlsx")
