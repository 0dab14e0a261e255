"""Reporting rate (上报率/审核率) and summaries (汇总) of approved figures.

``/reporting/rate`` shows :func:`jieneng.services.publishing.summaries.reporting_rate`,
``/summaries`` :func:`jieneng.services.publishing.summaries.summary` and ``/summaries.xlsx``
the same table as a workbook. JSON twins: ``/api/v1/reporting/rate`` and
``/api/v1/summaries`` (:mod:`jieneng.web.api.summaries`), built by the same
``*_data`` functions, so page, API and Excel carry the same numbers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.reports.summaries import summary_xlsx
from jieneng.services.accounts import users
from jieneng.services.accounts.users import User
from jieneng.services.publishing import summaries
from jieneng.settings import Settings
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.pages.common import (
    MonthsQ,
    RegionQ,
    YearQ,
    blank,
    page,
    parse_months,
    region_for,
    year_of,
)

router = APIRouter(include_in_schema=False)

Kind = Literal["region", "department", "category"]
KindQ = Annotated[Kind, Query(description="region 行政区域汇总 | department 部门汇总 | "
                                          "category 分类汇总")]
PeriodQ = Annotated[int | None, Query(ge=1, le=2_147_483_647,
                                      description="报告期 id (default: the latest visible)")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page of the not-reported list")]
PerPageQ = Annotated[int, Query(ge=1, le=1000, description="每页条数 items per page")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rate_data(
    engine: Engine, user: User, *, period: int | None, region: str | None, page_no: int = 1,
    per_page: int = 100,
) -> dict[str, Any]:
    """The reporting rate of the page and of ``/api/v1/reporting/rate``."""
    return summaries.reporting_rate(
        engine, user.scope, period_id=period, region_code=blank(region),
        home_region=users.home_region(engine, user), page=page_no, per_page=per_page,
    )


def summary_data(
    engine: Engine, user: User, settings: Settings, *, region: str | None, year: str | None,
    kind: str, months: str | None,
) -> dict[str, Any]:
    """The summary of the page, of ``/api/v1/summaries`` and of the workbook
    (default year: last year, the year an annual summary is made for)."""
    return summaries.summary(
        engine, user.scope, region_code=region_for(engine, user, region),
        year=year_of(year) or date.today().year - 1, kind=kind,
        months=parse_months(blank(months)), default_factor_set=settings.factor_set,
    )


@router.get("/reporting/rate")
def rate_page(
    request: Request, user: CurrentUser, engine: EngineDep, period: PeriodQ = None,
    region: RegionQ = None, page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    data = rate_data(engine, user, period=period, region=region, page_no=page_no)
    return page(request, "pages/summaries_rate.html", {"data": data})


@router.get("/summaries")
def summaries_page(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> Response:
    data = summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
    return page(request, "pages/summaries.html", {"data": data, "months_param": blank(months)})


@router.get("/summaries.xlsx")
def summaries_xlsx(
    user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region: RegionQ = None, year: YearQ = None, kind: KindQ = "region", months: MonthsQ = None,
) -> Response:
    data = summary_data(engine, user, settings, region=region, year=year, kind=kind,
                        months=months)
    name = f"{data['kind_name_zh']}-{data['region_code']}-{data['year']}.xlsx"
    ascii_name = f"summary-{data['kind']}-{data['region_code']}-{data['year']}.xlsx"
    return Response(
        summary_xlsx(data), media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                        f"filename*=UTF-8''{quote(name)}"},
    )
