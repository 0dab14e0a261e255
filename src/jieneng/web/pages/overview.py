"""The overview (总览), the 同类可比 ranking and the explanation of every figure.

``/`` and ``/overview`` show :func:`jieneng.services.statistics.overview.overview`;
``/overview/ranking`` the ranking table (an htmx partial, or a whole page
without htmx); ``/explain`` what a figure is made of. JSON twins:
``/api/v1/overview``, ``/api/v1/ranking``, ``/api/v1/explain``
(:mod:`jieneng.web.api.overview`), built by the same ``*_data`` functions.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.categories import CATEGORIES
from jieneng.services.statistics.explain import explain
from jieneng.services.statistics.ranking import ranking
from jieneng.services.statistics.selection import FORMULAS, RANKABLE
from jieneng.settings import Settings
from jieneng.web.common import (
    CategoryQ,
    MonthsQ,
    RegionQ,
    YearQ,
    blank,
    latest_overview,
    page,
    parse_months,
    region_for,
    year_of,
)
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep

router = APIRouter(include_in_schema=False)

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
    )


def ranking_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None, year: int,
    months: str | None, category: str, indicator: str, order: Order, page_no: int,
    per_page: int,
) -> dict[str, Any]:
    return ranking(
        engine, user.scope, region_code=region_for(engine, user, region), year=year,
        category=category, indicator=indicator, order=order, page=page_no, per_page=per_page,
        months=parse_months(blank(months)), default_factor_set=settings.factor_set,
    )


def explain_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None, year: int,
    months: str | None, category: str | None, institution: str | None, own_level: bool,
    page_no: int, per_page: int,
) -> dict[str, Any]:
    return explain(
        engine, user.scope, region_code=blank(region) or region_for(engine, user, None),
        year=year, months=parse_months(blank(months)), category=blank(category),
        institution_code=blank(institution), own_level=own_level, page=page_no,
        per_page=per_page, default_factor_set=settings.factor_set,
    )


def _default_category(data: dict[str, Any]) -> str:
    groups = data.get("by_category") or []
    return str(groups[0]["code"]) if groups else "01"


@router.get("/")
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
    context = {"ranking": ranking, "rank_categories": RANK_CATEGORIES,
               "indicators": RANKABLE, "formulas": FORMULAS,
               "months_param": blank(months)}
    if request.headers.get("hx-request") == "true":
        return page(request, "pages/_ranking.html", context)
    return page(request, "pages/ranking.html", context)


@router.get("/explain")
def explain_page(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    year: Annotated[int, Query(ge=1990, le=2100)],
    region: RegionQ = None, months: MonthsQ = None, category: CategoryQ = None,
    institution: Annotated[str | None, Query(max_length=18)] = None,
    own_level: bool = False,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    data = explain_data(
        engine, user, settings, region=region, year=year, months=months, category=category,
        institution=institution, own_level=own_level, page_no=page_no, per_page=50,
    )
    return page(request, "pages/explain.html", {"data": data, "formulas": FORMULAS})
