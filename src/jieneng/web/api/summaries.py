"""JSON twins of ``/reporting/rate`` and ``/summaries``: ``/api/v1/reporting/rate`` and
``/api/v1/summaries`` (same functions, same numbers as the pages and the workbook)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

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


class PeriodOut(BaseModel):
    id: int
    region_code: str
    region_name: str
    kind: str
    year: int
    month: int = Field(description="0 = the annual report")
    deadline: str
    department_step: bool
    label: str


class RateCounts(BaseModel):
    expected: int
    reported: int
    approved: int
    not_reported: int
    reporting_rate: float | None
    review_rate: float | None


class RegionRateOut(RateCounts):
    region_code: str
    name: str


class DepartmentRateOut(RateCounts):
    department_id: int | None
    credit_code: str | None
    name: str


class CategoryRateOut(RateCounts):
    category: str
    name_zh: str
    name_en: str


class NotReportedItemOut(BaseModel):
    credit_code: str
    name: str
    region_code: str
    region_name: str
    category: str
    department_name: str | None
    state: str
    overdue: bool


class NotReportedOut(BaseModel):
    items: list[NotReportedItemOut]
    total: int
    page: int
    per_page: int


class RateOut(BaseModel):
    period: PeriodOut | None
    periods: list[PeriodOut]
    region_code: str | None
    region_name: str | None
    total: RateCounts
    by_region: list[RegionRateOut]
    by_department: list[DepartmentRateOut]
    by_category: list[CategoryRateOut]
    not_reported: NotReportedOut
    overdue: bool


class SummaryColumnOut(BaseModel):
    key: str
    name_zh: str
    name_en: str
    categories: list[str]


class SummaryMeasureOut(BaseModel):
    key: str
    name_zh: str
    name_en: str
    unit: str


class SummaryRowOut(BaseModel):
    key: str | int | None = Field(description="region code, department id, or 'total'")
    code: str | None
    name: str
    total: bool
    # a figure map by nature: column key → {"institutions", then one value per
    # headline indicator code}
    cells: dict[str, dict[str, int | float | None]]


class SummaryOut(BaseModel):
    kind: str
    kind_name_zh: str
    kind_name_en: str
    region_code: str
    region_name: str
    year: int
    months: list[int] | None
    basis: str
    factor_set: str
    columns: list[SummaryColumnOut]
    measures: list[SummaryMeasureOut]
    rows: list[SummaryRowOut]


@router.get("/reporting/rate", response_model=RateOut)
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


@router.get("/summaries", response_model=SummaryOut)
def summaries(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> dict[str, Any]:
    """汇总 of approved figures only: rows (child regions, competent departments, or
    the region for ``category``), columns 合计 / 国家机关 / 事业单位小计 / 教育 … 其他 /
    团体组织, each cell with institutions, energy, water, CO₂ and the intensities."""
    return summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
