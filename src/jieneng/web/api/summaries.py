"""JSON twins of ``/reporting/rate`` and ``/summaries``: ``/api/v1/reporting/rate`` and
``/api/v1/summaries`` (same functions, same numbers as the pages and the workbook)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.common import MonthsQ, RegionQ, YearQ
from jieneng.web.pages.summaries import (
    KindQ,
    PageQ,
    PeriodQ,
    PerPageQ,
    rate_data,
    summary_data,
)

router = APIRouter(prefix="/api/v1", tags=["summaries"], responses=API_ERRORS)


@router.get("/reporting/rate")
def reporting_rate(
    user: CurrentUser, engine: EngineDep, period: PeriodQ = None, region: RegionQ = None,
    page: PageQ = 1, per_page: PerPageQ = 100,
) -> dict[str, Any]:
    """上报率 and 审核率 of a reporting period (default: the latest visible) per child
    region, competent department and category; the institutions not yet reported
    (paginated), each with ``overdue`` once the deadline has passed. Rates are
    fractions: reported ÷ expected and approved ÷ expected."""
    return rate_data(engine, user, period=period, region=region, page_no=page,
                     per_page=per_page)


@router.get("/summaries")
def summaries(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> dict[str, Any]:
    """汇总 of approved figures only: rows (child regions, competent departments, or
    the region for ``category``), columns 合计 / 国家机关 / 事业单位小计 / 教育 … 其他 /
    团体组织, each cell with institutions, energy, water, CO₂ and the intensities."""
    return summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
