"""JSON twins of the overview pages: ``/api/v1/overview``, ``/api/v1/ranking``,
``/api/v1/explain`` (same functions, same numbers as ``/overview`` and ``/explain``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.common import CategoryQ, MonthsQ, RegionQ, YearQ
from jieneng.web.pages.overview import (
    IndicatorQ,
    OrderQ,
    PageQ,
    PerPageQ,
    explain_data,
    overview_data,
    ranking_data,
)

router = APIRouter(prefix="/api/v1", tags=["overview"], responses=API_ERRORS)
Year = Annotated[int, Query(ge=1990, le=2100, description="年份 year")]


@router.get("/overview")
def overview(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, months: MonthsQ = None,
) -> dict[str, Any]:
    """总览: headline indicators and totals with year-on-year change, the monthly
    trend (this year and last), and the breakdowns by carrier, child region and
    category. Defaults: my own region, the latest year with data."""
    return overview_data(engine, user, settings, region=region, year=year, months=months)


class ExplainKeyOut(BaseModel):
    """The query of ``/api/v1/explain`` that shows how a figure is made."""

    region_code: str | None
    year: int
    months: list[int] | None
    category: str | None
    institution_code: str | None
    own_level: bool


class CategoryNameOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class RegionNameOut(BaseModel):
    code: str | None
    name: str | None


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
    region: RegionNameOut
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


@router.get("/ranking", response_model=RankingOut)
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


@router.get("/explain")
def explain(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep, year: Year,
    region: RegionQ = None, months: MonthsQ = None, category: CategoryQ = None,
    institution: Annotated[str | None, Query(max_length=18, description="统一社会信用代码")] = None,
    own_level: bool = False, page: PageQ = 1, per_page: PerPageQ = 50,
) -> dict[str, Any]:
    """What the figures of a selection are made of: inputs per institution, the
    factor set and the rule of each figure."""
    return explain_data(
        engine, user, settings, region=region, year=year, months=months, category=category,
        institution=institution, own_level=own_level, page_no=page, per_page=per_page,
    )
