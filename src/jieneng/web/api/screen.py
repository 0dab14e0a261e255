"""JSON twin of the public big screen: ``/api/v1/screen/{region}`` (no login; only
what :data:`jieneng.web.pages.screen.PUBLICATION` allows)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from jieneng.web.deps import EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.figures import HeadlineChangeOut, HeadlineOut, RegionRefOut
from jieneng.web.pages.screen import RegionP, screen_data

router = APIRouter(prefix="/api/v1", tags=["screen"], responses=API_ERRORS)


class PublicationRuleOut(BaseModel):
    """What is published, and why (:data:`jieneng.web.pages.screen.PUBLICATION`)."""

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


@router.get("/screen/{region}", response_model=ScreenOut)
def screen(region: RegionP, engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """The region's published figures: the latest year an administrator published for
    the region or a region above it — region totals, monthly trend, child regions and
    each unit's annual energy use (公布各单位用能情况). With nothing published:
    ``published: false``, ``year: null`` and no figures (still 200)."""
    return screen_data(engine, settings, region)
