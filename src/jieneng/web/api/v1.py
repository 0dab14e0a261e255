"""The JSON API, version 1 (``/api/v1``).

Authentication: the session cookie (with ``X-CSRF-Token`` on writes) or
``Authorization: Bearer <token>`` (no CSRF). Lists are paginated
(``?page=&per_page=`` → ``{"items", "page", "per_page", "total"}``). Errors have
the one shape of :mod:`jieneng.web.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from jieneng.core.exceptions import NotFound
from jieneng.services.accounts import users
from jieneng.services.statistics.indicators import IndicatorQuery, compute, parse_months
from jieneng.web.deps import CurrentUser, EngineDep, ScopeDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.figures import IndicatorsOut
from jieneng.web.templating import render

router = APIRouter(prefix="/api/v1", tags=["api"], responses=API_ERRORS)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    """A reference of the API drawn from the OpenAPI document (no CDN, no script)."""
    return await run_in_threadpool(
        render, request, "api_docs.html", {"spec": request.app.openapi()}
    )


# ---------------------------------------------------------------- indicators
@router.get("/indicators", response_model=IndicatorsOut, response_model_exclude_unset=True)
def indicators(
    user: CurrentUser,
    scope: ScopeDep,
    engine: EngineDep,
    settings: SettingsDep,
    year: Annotated[int, Query(ge=1990, le=2100, description="年份 year")],
    region: Annotated[str | None, Query(
        pattern=r"^\d{6}$", description="行政区划代码 (default: the caller's own region)")] = None,
    months: Annotated[str | None, Query(max_length=10, description="月份范围 e.g. 1-6")] = None,
    group_by: Literal["region", "category", "institution"] | None = None,
    category: Annotated[str | None, Query(max_length=20, description="单位类别")] = None,
    department: Annotated[str | None, Query(
        max_length=18, description="主管部门统一社会信用代码")] = None,
    institution: Annotated[str | None, Query(
        max_length=18, description="单位统一社会信用代码")] = None,
) -> dict[str, Any]:
    """Headline indicators with year-on-year change, optionally grouped, within my scope."""
    code = region or users.home_region(engine, user)
    if code is None:
        raise NotFound("没有行政区划数据", "no regions loaded")
    query = IndicatorQuery(
        region_code=code, year=year, months=parse_months(months), group_by=group_by,
        category=category, department_code=department, institution_code=institution,
        default_factor_set=settings.factor_set,
    )
    return compute(engine, query, scope)
