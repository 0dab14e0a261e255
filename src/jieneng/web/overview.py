"""The overview (总览) and the 同类可比 ranking.

``/overview`` shows :func:`jieneng.services.statistics.overview.overview`;
``/overview/ranking`` the ranking table (an htmx partial, or a whole page
without htmx) and ``/overview/ranking.xlsx`` its workbook. JSON twins:
``/api/v1/overview``, ``/api/v1/ranking`` (below), built by the same ``*_data``
functions. What a figure is made of is :mod:`jieneng.web.explain`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.categories import CATEGORIES
from jieneng.core.listing import Column, indicator_column, pick
from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.statistics.ranking import ranking as rank_institutions
from jieneng.services.statistics.selection import FORMULAS, RANKABLE
from jieneng.settings import Settings
from jieneng.web.common import (
    MonthsQ,
    RegionQ,
    YearQ,
    blank,
    latest_overview,
    months_text,
    page,
    parse_months,
    region_for,
    year_of,
)
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import every_page, export_url, notes, workbook_lang, xlsx_response
from jieneng.web.figures import (
    CarrierFigureOut,
    CategoryNameOut,
    ExplainKeyOut,
    HeadlineYoyOut,
    IndicatorResultOut,
    RegionRefOut,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["overview"], responses=API_ERRORS)

Indicator = Literal[
    "energy_per_capita_kgce", "energy_per_area_kgce_m2", "water_per_capita_m3",
    "co2_per_area_kg_m2",
]
Order = Literal["asc", "desc"]
IndicatorQ = Annotated[Indicator, Query(description="排名指标 intensity to rank by")]
OrderQ = Annotated[Order, Query(description="asc: lowest first")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page")]
PerPageQ = Annotated[int, Query(ge=1, le=1000, description="每页条数 items per page")]
RANKING_PER_PAGE = 20
#: Categories offered for 同类可比 (``02`` = every 事业单位 category).
RANK_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("01", "国家机关", "state organs"),
    ("02", "事业单位（全部）", "public service units (all)"),
    *((c.code, c.name_zh, c.name_en) for c in CATEGORIES if c.code not in ("01",)),
)


def overview_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None,
    year: str | None, months: str | None,
) -> dict[str, Any]:
    """The overview of the page and of ``/api/v1/overview``."""
    return latest_overview(
        engine, user.scope, region_code=region_for(engine, user, region), year=year_of(year),
        months=parse_months(blank(months)), factor_set=settings.factor_set,
        min_approved=settings.default_period_min_approved,
    )


def ranking_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None, year: int,
    months: str | None, category: str, indicator: str, order: Order, page_no: int,
    per_page: int,
) -> dict[str, Any]:
    return rank_institutions(
        engine, user.scope, region_code=region_for(engine, user, region), year=year,
        category=category, indicator=indicator, order=order, page=page_no, per_page=per_page,
        months=parse_months(blank(months)), default_factor_set=settings.factor_set,
    )


def _default_category(data: dict[str, Any]) -> str:
    groups = data.get("by_category") or []
    return str(groups[0]["code"]) if groups else "01"


@router.get("/overview")
def overview_page(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, months: MonthsQ = None,
) -> Response:
    data = overview_data(engine, user, settings, region=region, year=year, months=months)
    # The ranking table is fetched by the page itself (htmx, /overview/ranking).
    return page(request, "pages/overview.html", {
        "data": data, "rank_category": _default_category(data),
        "formulas": FORMULAS,
        "months_param": blank(months),
    })


@router.get("/overview/ranking")
def ranking_page(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    year: Annotated[int, Query(ge=1990, le=2100)],
    category: Annotated[str, Query(min_length=1, max_length=20)],
    region: RegionQ = None, months: MonthsQ = None,
    indicator: IndicatorQ = "energy_per_capita_kgce", order: OrderQ = "asc",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    ranking = ranking_data(
        engine, user, settings, region=region, year=year, months=months, category=category,
        indicator=indicator, order=order, page_no=page_no, per_page=RANKING_PER_PAGE,
    )
    lang = workbook_lang(request)
    context = {"ranking": ranking, "rank_categories": RANK_CATEGORIES,
               "indicators": RANKABLE, "formulas": FORMULAS,
               "columns": pick(ranking_columns(indicator), *RANKING_PAGE_COLUMNS),
               "rows": [_ranking_row(i, lang) for i in ranking["items"]],
               "months_param": blank(months),
               "export_href": export_url(user, "/overview/ranking.xlsx", _ranking_query(ranking))}
    if request.headers.get("hx-request") == "true":
        return page(request, "pages/_ranking.html", context)
    return page(request, "pages/ranking.html", context)


def _ranking_query(r: dict[str, Any]) -> dict[str, Any]:
    return {"region": r["region"]["code"], "year": r["year"], "months": months_text(r["months"]),
            "category": r["category"]["code"], "indicator": r["indicator"], "order": r["order"]}


#: the page's table: some of the export's columns (the same header and formats)
RANKING_PAGE_COLUMNS = ("rank", "name", "region_name", "value", "yoy", "energy_tce")


def _ranking_row(item: dict[str, Any], lang: str) -> dict[str, Any]:
    """A ranked institution as a row of the page and of the workbook."""
    return {**item, "reason_label": item.get("reason_en") if lang == "en"
            else item.get("reason_zh")}


def ranking_columns(indicator: str) -> tuple[Column, ...]:
    """The ranking's columns (the page's table, the export): the ranked intensity, last
    year's and 同比 in the registry's decimals, then the totals behind it."""
    return (
        Column("rank", "pages.ranking.rank", "int"),
        Column("credit_code", "pages.credit_code", "code"),
        Column("name", "pages.institution"),
        Column("region_name", "pages.region"),
        indicator_column(indicator, "value"),
        Column("previous_value", "pages.previous_year", "number",
               decimals=indicator_column(indicator).decimals),
        Column("yoy", "pages.yoy", "change"),
        indicator_column("energy_tce"), indicator_column("water_m3"), indicator_column("co2_t"),
        Column("occupants", "pages.occupants", "int"),
        Column("floor_area_m2", "pages.floor_area", "number", decimals=0),
        Column("reason_label", "export.col.not_ranked"),
    )


@router.get("/overview/ranking.xlsx")
def ranking_xlsx(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    year: Annotated[int, Query(ge=1990, le=2100)],
    category: Annotated[str, Query(min_length=1, max_length=20)] = "02",
    region: RegionQ = None, months: MonthsQ = None,
    indicator: IndicatorQ = "energy_per_capita_kgce", order: OrderQ = "asc",
) -> Response:
    """The whole ranking (every page) as a workbook (default: every 事业单位 category)."""
    lang = workbook_lang(request)
    first: dict[str, Any] = {}

    def fetch(n: int, size: int) -> dict[str, Any]:
        data = ranking_data(engine, user, settings, region=region, year=year, months=months,
                            category=category, indicator=indicator, order=order, page_no=n,
                            per_page=size)
        first.setdefault("data", data)
        return data

    items = every_page(fetch, 1000)
    r = first["data"]
    en = lang == "en"
    rows = [_ranking_row(i, lang) for i in items]
    title = text(lang, "pages.ranking.title")
    period = f"{r['year']}" + (f" ({months_text(r['months'])})" if months_text(r["months"])
                               else "")
    basis = " · ".join((r["category"]["name_en" if en else "name_zh"],
                        r["name_en" if en else "name_zh"],
                        text(lang, f"pages.ranking.{r['order']}"), r["factor_set"]))
    sheet = Sheet(title, f"{title} · {r['region']['name'] or ''}", ranking_columns(indicator), rows,
                  notes=notes(engine, user, lang, count=len(rows), period=period, basis=basis))
    return xlsx_response(table_xlsx([sheet], lang), f"{title}-{r['year']}.xlsx",
                         f"ranking-{r['year']}.xlsx")


# ---------------------------------------------------------------- JSON twin
Year = Annotated[int, Query(ge=1990, le=2100, description="年份 year")]


class OverviewCarrierOut(CarrierFigureOut):
    """A carrier's figures with the same months a year before."""

    previous_quantity: float
    previous_energy_tce: float | None
    previous_co2_t: float | None
    yoy_quantity: float | None = Field(description="同比 change of the quantity, a fraction")


class RegionGroupOut(HeadlineYoyOut):
    """A child region's figures (or the region's own 本级 institutions)."""

    code: str = Field(description="行政区划代码 of the child region (or of the region, 本级)")
    name: str
    own_level: bool = Field(description="本级: the region's own institutions")
    explain: ExplainKeyOut


class CategoryGroupOut(HeadlineYoyOut):
    """A category's figures."""

    code: str = Field(description="单位类别 category code")
    name: str = Field(description="类别名称 (zh)")
    name_en: str
    explain: ExplainKeyOut


class TrendSeriesOut(BaseModel):
    """Twelve monthly values (None: a month without any figure)."""

    energy_tce: list[float | None]
    water_m3: list[float | None]
    co2_t: list[float | None]
    cost_yuan: list[float | None] = Field(description="费用 [元]")
    institutions_reported: list[int | None]


class TrendOut(BaseModel):
    """The monthly trend of the year and the year before."""

    months: list[int]
    year: int
    previous_year: int
    units: dict[str, str] = Field(description="figure → unit")
    current: TrendSeriesOut
    previous: TrendSeriesOut


class OverviewOut(IndicatorResultOut):
    """总览 of a selection (:func:`jieneng.services.statistics.overview.overview`)."""

    by_carrier: list[OverviewCarrierOut]  # type: ignore[assignment]
    region: RegionRefOut
    year: int
    months: list[int] = Field(description="[first, last] month")
    dataset_label: str | None = Field(description="数据集标签, e.g. 演示数据")
    scope: str = Field(description="the caller's scope kind")
    explain: ExplainKeyOut
    monthly_trend: TrendOut
    by_child_region: list[RegionGroupOut]
    by_category: list[CategoryGroupOut]


@api.get("/overview", response_model=OverviewOut)
def overview(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, months: MonthsQ = None,
) -> dict[str, Any]:
    """总览: headline indicators and totals with year-on-year change, the monthly
    trend (this year and last), and the breakdowns by carrier, child region and
    category. Defaults: my own region, the latest year with data."""
    return overview_data(engine, user, settings, region=region, year=year, months=months)


class RankItemOut(BaseModel):
    credit_code: str
    name: str
    region_code: str
    region_name: str
    category: str
    energy_tce: float | None
    water_m3: float | None
    co2_t: float | None
    occupants: int | None
    floor_area_m2: float | None
    explain: ExplainKeyOut
    rank: int | None
    rankable: bool
    reason: str | None
    reason_zh: str | None
    reason_en: str | None
    value: float | None
    previous_value: float | None
    yoy: float | None


class RankingOut(BaseModel):
    indicator: str
    name_zh: str
    name_en: str
    unit: str
    order: str
    category: CategoryNameOut
    region: RegionRefOut
    year: int
    months: list[int]
    factor_set: str
    group_value: float | None
    rankable_count: int
    items: list[RankItemOut]
    page: int
    per_page: int
    total: int
    explain: ExplainKeyOut


@api.get("/ranking", response_model=RankingOut)
def ranking(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep, year: Year,
    category: Annotated[str, Query(min_length=1, max_length=20, description="单位类别")],
    region: RegionQ = None, months: MonthsQ = None,
    indicator: IndicatorQ = "energy_per_capita_kgce", order: OrderQ = "asc",
    page: PageQ = 1, per_page: PerPageQ = 50,
) -> dict[str, Any]:
    """同类可比: the institutions of a category ranked by an intensity."""
    return ranking_data(
        engine, user, settings, region=region, year=year, months=months, category=category,
        indicator=indicator, order=order, page_no=page, per_page=per_page,
    )
