"""Live monitoring pages (issue 12 §6): ``/monitoring`` (a region's institutions in
the caller's scope; ``?region=CODE``) and ``/monitoring/{credit_code}`` (one
institution): today's load curve against yesterday and the same weekday last week,
the last 30 days, the 分项 breakdown with the 未分项 remainder, data completeness and
the silent meters. JSON twins ``/api/v1/monitoring`` and
``/api/v1/monitoring/{credit_code}``. Charts: the project's ECharts (served from
``/static/vendor``), drawn by ``/static/monitoring.js`` from the data in the page.
Services: :mod:`jieneng.services.metering.monitoring`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.permissions import Capability
from jieneng.services.metering.monitoring import LiveOptions, institution_live, region_live
from jieneng.web.common import RegionQ, page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["monitoring"], responses=API_ERRORS)
CodeP = Annotated[str, Path(max_length=18, pattern=r"^[0-9A-Za-z]{18}$",
                            description="统一社会信用代码")]
SilentQ = Annotated[int, Query(ge=1, le=2880, description="停报: intervals without data")]


def _options(silent_after: int) -> LiveOptions:
    return LiveOptions(silent_after=silent_after)


@router.get("/monitoring", dependencies=[requires(Capability.VIEW_METERING)])
async def monitoring_region_page(request: Request, user: CurrentUser, engine: EngineDep,
                                 region: RegionQ = None, silent_after: SilentQ = 8
                                 ) -> Response:
    data = await run_in_threadpool(region_live, engine, user, region,
                                   options=_options(silent_after))
    return await run_in_threadpool(page, request, "pages/monitoring_region.html",
                                   {"data": data, "region": region or ""})


@router.get("/monitoring/{credit_code}", dependencies=[requires(Capability.VIEW_METERING)])
async def monitoring_institution_page(request: Request, user: CurrentUser, engine: EngineDep,
                                      credit_code: CodeP, silent_after: SilentQ = 8
                                      ) -> Response:
    data = await run_in_threadpool(institution_live, engine, user, credit_code,
                                   options=_options(silent_after))
    return await run_in_threadpool(page, request, "pages/monitoring_institution.html",
                                   {"data": data})


class Curve(BaseModel):
    hours: list[str]
    today: list[float | None] = Field(description="kWh per hour (= mean kW); null: none yet")
    yesterday: list[float | None]
    last_week: list[float | None] = Field(description="the same weekday a week ago")
    today_complete: list[bool]
    yesterday_complete: list[bool]
    last_week_complete: list[bool]
    today_kwh: float
    yesterday_kwh: float


class Daily(BaseModel):
    days: list[str] = Field(description="MM-DD, China time")
    energy: list[float | None] = Field(description="kWh")
    complete: list[bool]


class Item(BaseModel):
    code: str | None = Field(description="分项编码")
    name_zh: str
    name_en: str
    energy: float
    share: float | None


class Breakdown(BaseModel):
    total: float = Field(description="kWh of the top-level meters this month")
    items: list[Item]
    sub_total: float
    remainder: float = Field(description="未分项 = total − Σ sub-meters (may be negative)")
    remainder_share: float | None
    remainder_negative: bool


class Completeness(BaseModel):
    today: float | None = Field(description="% of expected intervals received")
    week: float | None
    month: float | None


class MeterOut(BaseModel):
    meter_id: int
    institution_id: int
    credit_code: str
    institution_name: str
    number: str
    name: str | None
    carrier: str
    carrier_zh: str
    carrier_en: str
    item_code: str | None
    completeness_today: float | None
    completeness_week: float | None
    completeness_month: float | None
    last_seen: str | None = Field(description="end of the last interval received, China time")
    silent_intervals: int | None = Field(description="intervals since; null: never")
    silent: bool


class InstitutionRef(BaseModel):
    credit_code: str
    name: str
    region_code: str


class InstitutionLive(BaseModel):
    institution: InstitutionRef
    as_of: str
    month: str
    silent_after: int
    curve: Curve
    daily: Daily
    breakdown: Breakdown
    completeness: Completeness
    meters: list[MeterOut]
    silent: list[MeterOut]


class RegionRef(BaseModel):
    code: str | None
    name: str | None


class InstitutionRow(BaseModel):
    institution_id: int
    credit_code: str
    institution_name: str
    today_kwh: float
    month_kwh: float
    meters: int
    silent: int
    completeness_today: float | None
    completeness_week: float | None
    completeness_month: float | None


class Institutions(BaseModel):
    top: list[InstitutionRow]
    all: list[InstitutionRow]


class RegionLive(BaseModel):
    region: RegionRef
    as_of: str
    month: str
    silent_after: int
    curve: Curve
    daily: Daily
    breakdown: Breakdown
    completeness: Completeness
    institutions: Institutions
    silent: list[MeterOut]


@api.get("/monitoring", response_model=RegionLive,
         dependencies=[requires(Capability.VIEW_METERING)])
def monitoring_region_json(user: CurrentUser, engine: EngineDep, region: RegionQ = None,
                           silent_after: SilentQ = 8) -> dict[str, Any]:
    """Live monitoring of a region's institutions in the caller's scope."""
    return region_live(engine, user, region, options=_options(silent_after))


@api.get("/monitoring/{credit_code}", response_model=InstitutionLive,
         dependencies=[requires(Capability.VIEW_METERING)])
def monitoring_institution_json(user: CurrentUser, engine: EngineDep, credit_code: CodeP,
                                silent_after: SilentQ = 8) -> dict[str, Any]:
    """Live monitoring of one institution (inside the caller's scope, else 404)."""
    return institution_live(engine, user, credit_code, options=_options(silent_after))
