"""The public big screen (大屏) of a region: no login, read-only, large type,
refreshed every 60 s — and the publication of each unit's energy use
(公布各单位用能情况).

Publication rule. Nothing in storage marks figures as publishable yet (there is
no ``publishable`` flag on a period or a figure), so the screen publishes by a
fixed rule, :data:`PUBLICATION`: only the **last complete year** (the latest
year before the current calendar year that holds data), only region-level
totals and intensities, its monthly trend, the child regions' totals and each
institution's annual energy [tce] with its per-area and per-capita figures.
Never costs, contacts, profiles or any month of the current (open) year. When a
publication flag exists, :func:`screen_data` is the one place to honour it.

JSON twin: ``/api/v1/screen/{region}`` (:mod:`jieneng.web.api.screen`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.scope import Scope, ScopeKind
from jieneng.services import dashboard
from jieneng.settings import Settings
from jieneng.web.deps import EngineDep, SettingsDep
from jieneng.web.pages.common import latest_overview, page

router = APIRouter(include_in_schema=False)

PUBLIC = Scope(ScopeKind.PUBLIC)
REFRESH_SECONDS = 60
RegionP = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码 region code")]

#: What is published, and why (shown in the page footer and in the JSON).
PUBLICATION: dict[str, Any] = {
    "publishable": "last_complete_year",
    "rule_zh": "尚无发布标记：仅公布最近一个完整年度的区域汇总和各单位年度用能"
               "（能源消费总量、单位建筑面积能耗、人均综合能耗），不公布费用、联系方式"
               "及当年未结束月份的数据。",
    "rule_en": "No publication flag is stored yet: only the last complete year is "
               "published — region totals and each unit's annual energy, energy per "
               "floor area and per capita; never costs, contacts or months of the "
               "current open year.",
}
_FIGURES = ("energy_tce", "water_m3", "co2_t", "energy_per_capita_kgce",
            "energy_per_area_kgce_m2", "water_per_capita_m3", "co2_per_area_kg_m2",
            "institutions_expected", "institutions_reported")
_HEADLINE = _FIGURES[:7]
_TREND = ("energy_tce", "water_m3", "co2_t")


def _pick(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: data.get(k) for k in keys}


def screen_data(engine: Engine, settings: Settings, region: str) -> dict[str, Any]:
    """What the big screen of ``region`` publishes (see :data:`PUBLICATION`)."""
    data = latest_overview(engine, PUBLIC, region_code=region, year=None, months=None,
                           factor_set=settings.factor_set, before=date.today().year)
    year = int(data["year"])
    trend = data["monthly_trend"]
    return {
        "region": data["region"],
        "year": year,
        "dataset_label": data["dataset_label"],
        "publication": PUBLICATION,
        "refresh_seconds": REFRESH_SECONDS,
        "figures": _pick(data, _FIGURES),
        "previous_year": _pick(data["previous_year"], _HEADLINE),
        "yoy": _pick(data["yoy"], _HEADLINE),
        "monthly_trend": {
            "months": trend["months"], "year": trend["year"],
            "previous_year": trend["previous_year"],
            "units": _pick(trend["units"], _TREND),
            "current": _pick(trend["current"], _TREND),
            "previous": _pick(trend["previous"], _TREND),
        },
        "by_child_region": [
            {"code": g["code"], "name": g["name"], **_pick(g, _FIGURES),
             "yoy": _pick(g["yoy"], _HEADLINE)}
            for g in data["by_child_region"]
        ],
        "institutions": dashboard.publication(engine, region, year, scope=PUBLIC,
                                              default_factor_set=settings.factor_set),
    }


@router.get("/screen/{region}")
def screen_page(request: Request, region: RegionP, engine: EngineDep, settings: SettingsDep
                ) -> Response:
    return page(request, "pages/screen.html", {"data": screen_data(engine, settings, region)})
