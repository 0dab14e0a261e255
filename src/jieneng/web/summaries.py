"""Reporting rate (上报率/审核率) and summaries (汇总) of approved figures.

``/reporting/rate`` shows :func:`jieneng.services.publishing.summaries.reporting_rate`,
``/summaries`` :func:`jieneng.services.publishing.summaries.summary` and ``/summaries.xlsx``
the same table as a workbook. JSON twins: ``/api/v1/reporting/rate`` and
``/api/v1/summaries``, built by the same ``*_data`` functions, so page, API and
Excel carry the same numbers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.categories import CATEGORIES
from jieneng.core.listing import Column, pick
from jieneng.core.messages import text
from jieneng.reports.summaries import measure_format, summary_xlsx
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.accounts import users
from jieneng.services.publishing import summaries as service
from jieneng.settings import Settings
from jieneng.web.common import (
    MonthsQ,
    RegionQ,
    YearQ,
    blank,
    default_year,
    page,
    parse_months,
    region_for,
    year_of,
)
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import every_page, export_url, notes, workbook_lang, xlsx_response

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["summaries"], responses=API_ERRORS)

Kind = Literal["region", "department", "category"]
KindQ = Annotated[Kind, Query(description="region 行政区域汇总 | department 部门汇总 | "
                                          "category 分类汇总")]
PeriodQ = Annotated[int | None, Query(ge=1, le=2_147_483_647,
                                      description="报告期 id (default: the latest visible)")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page of the not-reported list")]
PerPageQ = Annotated[int, Query(ge=1, le=1000, description="每页条数 items per page")]


def rate_data(
    engine: Engine, user: User, *, period: int | None, region: str | None, page_no: int = 1,
    per_page: int = 100,
) -> dict[str, Any]:
    """The reporting rate of the page and of ``/api/v1/reporting/rate``."""
    return service.reporting_rate(
        engine, user.scope, period_id=period, region_code=blank(region),
        home_region=users.home_region(engine, user), page=page_no, per_page=per_page,
    )


def summary_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None, year: str | None,
    kind: str, months: str | None,
) -> dict[str, Any]:
    """The summary of the page, of ``/api/v1/summaries`` and of the workbook
    (default year: the last complete reviewed period's, :func:`.common.default_year`)."""
    code = region_for(engine, user, region)
    return service.summary(
        engine, user.scope, region_code=code,
        year=year_of(year) or default_year(
            engine, user.scope, code, min_approved=settings.default_period_min_approved),
        kind=kind,
        months=parse_months(blank(months)), default_factor_set=settings.factor_set,
    )


@router.get("/reporting/rate")
def rate_page(
    request: Request, user: CurrentUser, engine: EngineDep, period: PeriodQ = None,
    region: RegionQ = None, page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    data = rate_data(engine, user, period=period, region=region, page_no=page_no)
    href = export_url(user, "/reporting/rate.xlsx", {
        "period": data["period"]["id"] if data["period"] else None,
        "region": data["region_code"]})
    lang = workbook_lang(request)
    return page(request, "pages/summaries_rate.html", {
        "data": data, "export_href": href, "rate_columns": RATE_PAGE_COLUMNS,
        "missing_columns": NOT_REPORTED_COLUMNS,
        "missing_rows": [_missing_row(i, lang) for i in data["not_reported"]["items"]]})


#: The columns of the reporting rate's breakdowns (the page's tables, the export)
RATE_COLUMNS: tuple[Column, ...] = (
    Column("expected", "pages.rate.expected", "int"),
    Column("reported", "pages.rate.reported", "int"),
    Column("approved", "pages.rate.approved", "int"),
    Column("not_reported", "export.col.not_reported", "int"),
    Column("reporting_rate", "pages.rate.reporting_rate", "percent"),
    Column("review_rate", "pages.rate.review_rate", "percent"),
)
#: The columns of the list of institutions not yet reported
NOT_REPORTED_COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "pages.credit_code", "code"),
    Column("name", "pages.rate.name"),
    Column("region_name", "pages.region"),
    Column("category_name", "pages.category"),
    Column("department_name", "pages.department"),
    Column("state_label", "pages.rate.state"),
    Column("overdue", "pages.rate.overdue", "bool"),
)


#: the page's rate tables: the export's counts and rates but the 未报 count
RATE_PAGE_COLUMNS = pick(RATE_COLUMNS, "expected", "reported", "approved", "reporting_rate",
                         "review_rate")


#: the leaf categories by code, for the not-reported list's 单位类别 by name
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}


def _missing_row(item: dict[str, Any], lang: str) -> dict[str, Any]:
    """An institution not yet reported as a row of the page and of the workbook."""
    code = item.get("category")
    named = CATEGORY_BY_CODE.get(code) if code else None
    name = (named.name_en if lang == "en" else named.name_zh) if named else code
    return {**item, "state_label": text(lang, f"reporting.state.{item['state']}"),
            "category_name": name}


@router.get("/reporting/rate.xlsx")
def rate_xlsx(request: Request, user: CurrentUser, engine: EngineDep, period: PeriodQ = None,
              region: RegionQ = None) -> Response:
    """上报率 by region, department and category, and every institution not yet
    reported, one sheet each."""
    lang = workbook_lang(request)
    first: dict[str, Any] = {}

    def fetch(n: int, size: int) -> dict[str, Any]:
        data = rate_data(engine, user, period=period, region=region, page_no=n, per_page=size)
        first.setdefault("data", data)
        return dict(data["not_reported"])

    missing = every_page(fetch, 1000)
    data = first["data"]
    label = data["period"]["label"] if data["period"] else None
    head = notes(engine, user, lang, count=len(missing), period=label,
                 basis=text(lang, "export.rate.basis"))
    name = Column("name", "pages.summaries.row")
    total = {**data["total"], "name": text(lang, "review.total")}
    en = lang == "en"
    sheets = [
        Sheet(text(lang, "pages.rate.by_region"), text(lang, "pages.rate.title"),
              (name, Column("region_code", "export.col.region_code", "code"), *RATE_COLUMNS),
              [*data["by_region"], total], notes=head),
        Sheet(text(lang, "pages.rate.by_department"), text(lang, "pages.rate.by_department"),
              (name, Column("credit_code", "pages.credit_code", "code"), *RATE_COLUMNS),
              data["by_department"], notes=head),
        Sheet(text(lang, "pages.rate.by_category"), text(lang, "pages.rate.by_category"),
              (Column("category", "export.col.category_code", "code"), name, *RATE_COLUMNS),
              [{**c, "name": c["name_en"] if en else c["name_zh"]} for c in data["by_category"]],
              notes=head),
        Sheet(text(lang, "export.rate.not_reported"), text(lang, "export.rate.not_reported"),
              NOT_REPORTED_COLUMNS,
              [_missing_row(i, lang) for i in missing], notes=head),
    ]
    title = text(lang, "pages.rate.title")
    return xlsx_response(table_xlsx(sheets, lang), f"{title}.xlsx", "reporting-rate.xlsx")


@router.get("/summaries")
def summaries_page(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> Response:
    data = summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
    lang = workbook_lang(request)
    formats = {m["key"]: measure_format(m["key"], lang) for m in data["measures"]}
    return page(request, "pages/summaries.html", {"data": data, "months_param": blank(months),
                                                  "measure_formats": formats})


@router.get("/summaries.xlsx")
def summaries_xlsx(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> Response:
    data = summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
    lang = workbook_lang(request)
    kind_name = data["kind_name_en"] if lang == "en" else data["kind_name_zh"]
    name = f"{kind_name}-{data['region_code']}-{data['year']}.xlsx"
    ascii_name = f"summary-{data['kind']}-{data['region_code']}-{data['year']}.xlsx"
    scope = notes(engine, user, lang, count=len(data["rows"]))
    return xlsx_response(summary_xlsx(data, lang, notes=scope[:1]), name, ascii_name)


# ---------------------------------------------------------------- JSON twins
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
    task_id: int = Field(description="填报任务 id (催报: POST /api/v1/reporting/remind)")
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


@api.get("/reporting/rate", response_model=RateOut)
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


@api.get("/summaries", response_model=SummaryOut)
def summaries(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> dict[str, Any]:
    """汇总 of approved figures only: rows (child regions, competent departments, or
    the region for ``category``), columns 合计 / 国家机关 / 事业单位小计 / 教育 … 其他 /
    团体组织, each cell with institutions, energy, water, CO₂ and the intensities."""
    return summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
