"""The public big screen (大屏) of a region: no login, read-only, large type,
refreshed every 60 s — and the publication of each unit's energy use
(公布各单位用能情况).

Publication rule (:data:`PUBLICATION`): the screen shows only what an
administrator has marked publishable (:mod:`jieneng.services.publishing.publication`,
``/admin/publication``). A year published for a region covers its whole
subtree; the screen of a region shows the **latest published year** covering
it: region-level totals and intensities, its monthly trend, the child regions'
totals and each institution's annual energy [tce] with its per-area and
per-capita figures. The year before is compared with (year on year, the
previous-year line of the trend) only when it is published too; otherwise those
figures are null. Never costs, contacts, profiles or any month of a year that is
not published. With nothing published, the page and its JSON twin answer 200
with ``published: false`` and no figures ("尚未发布").
:func:`screen_data` is the one place this rule is applied.

Layout: one 1920×1080 screen without scrolling — the headline cards, then the
trend, the child regions and the unit list side by side, each panel scrolling
inside itself when long (``app-pages.css``, ``.pg-screen``); narrower or lower
windows fall back to one scrolling column. A signed-in visitor sees links back
into the platform (home, the region's overview, 公开发布 for administrators); an
anonymous one never does.

JSON twin: ``/api/v1/screen/{region}`` (below; the same :func:`screen_data`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine
from starlette.responses import Response

from jieneng.core.indicator_registry import BY_CODE, HEADLINE, TOTALS
from jieneng.core.messages import DEFAULT_LANGUAGE
from jieneng.core.scope import Scope, ScopeKind
from jieneng.services.publishing import publication
from jieneng.services.statistics import publication_figures
from jieneng.services.statistics.overview import overview
from jieneng.settings import Settings
from jieneng.storage.engine import read_snapshot
from jieneng.web.common import page
from jieneng.web.deps import EngineDep, OptionalUser, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.figures import HeadlineChangeOut, HeadlineOut, RegionRefOut
from jieneng.web.i18n import COOKIE, normalise

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["screen"], responses=API_ERRORS)

PUBLIC = Scope(ScopeKind.PUBLIC)
REFRESH_SECONDS = 60
RegionP = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码 region code")]

#: What is published, and why (shown in the page footer and in the JSON).
PUBLICATION: dict[str, Any] = {
    "publishable": "published_years",
    "rule_zh": "仅公布系统管理员标记为“已发布”的年度（上级区域发布的年度适用于其下全部区域）："
               "最近一个已发布年度的区域汇总和各单位年度用能（能源消费总量、单位建筑面积能耗、"
               "人均综合能耗）；上一年度也已发布时才显示同比。不公布费用、联系方式及未发布年度"
               "的任何数据。",
    "rule_en": "Only years an administrator has marked published are shown (a year "
               "published for a region covers every region below it): the latest published "
               "year's region totals and each unit's annual energy, energy per floor area "
               "and per capita; year-on-year only when the year before is published too. "
               "Never costs, contacts or any figure of an unpublished year.",
}
_HEADLINE: tuple[str, ...] = HEADLINE
_FIGURES: tuple[str, ...] = (*_HEADLINE, "institutions_expected", "institutions_reported")
_TREND: tuple[str, ...] = TOTALS
#: The figure cards of the screen → their unit (from the indicator registry).
CARDS: dict[str, str] = {code: BY_CODE[code].unit for code in _HEADLINE[:6]}


def _pick(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: data.get(k) for k in keys}


def _nulls(keys: tuple[str, ...]) -> dict[str, Any]:
    return dict.fromkeys(keys)


def screen_data(engine: Engine, settings: Settings, region: str) -> dict[str, Any]:
    """What the big screen of ``region`` publishes (see :data:`PUBLICATION`).

    ``published`` is False (and ``year`` and every figure None or empty) when no
    year covering the region is published. Raises NotFound for an unknown region.
    Every part is read in one snapshot (a withdrawal or a change committed meanwhile
    cannot mix with the figures).
    """
    with read_snapshot(engine) as conn:
        return _screen_data(conn, settings, region)


def _screen_data(conn: Connection, settings: Settings, region: str) -> dict[str, Any]:
    state = publication.screen_state(conn, region)
    years: list[int] = state["years"]
    base: dict[str, Any] = {
        "region": state["region"],
        "dataset_label": state["dataset_label"],
        "publication": PUBLICATION,
        "refresh_seconds": REFRESH_SECONDS,
    }
    if not years:
        return {**base, "published": False, "year": None, "previous_year_published": False,
                "figures": None, "previous_year": None, "yoy": None, "monthly_trend": None,
                "by_child_region": [], "institutions": []}
    year = years[-1]
    compare = (year - 1) in years  # the year before is shown only when published too
    data = overview(conn, PUBLIC, region_code=region, year=year,
                    default_factor_set=settings.factor_set)
    trend = data["monthly_trend"]
    empty_months = {k: [None] * len(trend["months"]) for k in _TREND}
    return {
        **base,
        "region": data["region"],
        "published": True,
        "year": year,
        "previous_year_published": compare,
        "figures": _pick(data, _FIGURES),
        "previous_year": _pick(data["previous_year"], _HEADLINE) if compare else _nulls(_HEADLINE),
        "yoy": _pick(data["yoy"], _HEADLINE) if compare else _nulls(_HEADLINE),
        "monthly_trend": {
            "months": trend["months"], "year": trend["year"],
            "previous_year": trend["previous_year"],
            "units": _pick(trend["units"], _TREND),
            "current": _pick(trend["current"], _TREND),
            "previous": _pick(trend["previous"], _TREND) if compare else empty_months,
        },
        "by_child_region": [
            {"code": g["code"], "name": g["name"], **_pick(g, _FIGURES),
             "yoy": _pick(g["yoy"], _HEADLINE) if compare else _nulls(_HEADLINE)}
            for g in data["by_child_region"]
        ],
        "institutions": publication_figures.publication(conn, region, year, scope=PUBLIC,
                                                        default_factor_set=settings.factor_set),
    }


@router.get("/screen/{region}")
def screen_page(request: Request, region: RegionP, engine: EngineDep, settings: SettingsDep,
                user: OptionalUser) -> Response:
    """The screen, laid out for one 1920×1080 display without scrolling (the unit list
    scrolls inside its panel); a signed-in visitor also sees links back into the
    platform (never shown to an anonymous one). A public display speaks Chinese
    whatever the browser's language: English only when asked for (``?lang=en`` or
    the language cookie), never from ``Accept-Language``."""
    if not (normalise(request.query_params.get("lang")) or normalise(request.cookies.get(COOKIE))):
        request.state.lang = DEFAULT_LANGUAGE
    return page(request, "pages/screen.html",
                {"data": screen_data(engine, settings, region), "units": CARDS})


# ---------------------------------------------------------------- JSON twin
class PublicationRuleOut(BaseModel):
    """What is published, and why (:data:`PUBLICATION`)."""

    publishable: str = Field(examples=["published_years"])
    rule_zh: str
    rule_en: str


class ScreenSeriesOut(BaseModel):
    """Twelve monthly totals (None: no figure, or the year is not published)."""

    energy_tce: list[float | None]
    water_m3: list[float | None]
    co2_t: list[float | None]


class ScreenUnitsOut(BaseModel):
    energy_tce: str
    water_m3: str
    co2_t: str


class ScreenTrendOut(BaseModel):
    months: list[int]
    year: int
    previous_year: int
    units: ScreenUnitsOut
    current: ScreenSeriesOut
    previous: ScreenSeriesOut = Field(description="all None unless the year before is published")


class ScreenRegionOut(HeadlineOut):
    """A child region's published figures."""

    code: str
    name: str
    yoy: HeadlineChangeOut = Field(description="同比; all None unless the year before is "
                                               "published")


class PublishedUnitOut(BaseModel):
    """One unit's published annual energy use (公布各单位用能情况)."""

    credit_code: str = Field(description="统一社会信用代码")
    name: str
    region_code: str
    region_name: str
    category: str
    energy_tce: float | None = Field(description="None: did not report")
    energy_per_area_kgce_m2: float | None = Field(description="None: no floor area")
    energy_per_capita_kgce: float | None = Field(description="None: no occupants")


class ScreenOut(BaseModel):
    """The big screen of a region: only published years (None / empty otherwise)."""

    region: RegionRefOut
    dataset_label: str | None = Field(description="数据集标签, e.g. 演示数据")
    publication: PublicationRuleOut
    refresh_seconds: int
    published: bool = Field(description="a year covering the region is published")
    year: int | None = Field(description="the latest published year")
    previous_year_published: bool
    figures: HeadlineOut | None
    previous_year: HeadlineChangeOut | None = Field(
        description="the year before's figures; all None unless it is published too")
    yoy: HeadlineChangeOut | None = Field(description="同比; all None unless the year before "
                                                      "is published")
    monthly_trend: ScreenTrendOut | None
    by_child_region: list[ScreenRegionOut]
    institutions: list[PublishedUnitOut]


@api.get("/screen/{region}", response_model=ScreenOut)
def screen(region: RegionP, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """The region's published figures: the latest year an administrator published for
    the region or a region above it — region totals, monthly trend, child regions and
    each unit's annual energy use (公布各单位用能情况). With nothing published:
    ``published: false``, ``year: null`` and no figures (still 200)."""
    return screen_data(engine, settings, region)
