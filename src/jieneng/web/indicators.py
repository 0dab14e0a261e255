"""Headline indicators of a selection: ``/api/v1/indicators`` (JSON only — the
dashboards show the same figures through ``/overview`` and its twin). Within the
caller's scope; grouped by child region, category or institution on request
(:func:`jieneng.services.statistics.indicators.compute`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from jieneng.core.exceptions import NotFound
from jieneng.services.accounts import users
from jieneng.services.statistics.indicators import IndicatorQuery, compute, parse_months
from jieneng.web.deps import CurrentUser, EngineDep, ScopeDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.figures import IndicatorsOut

router = APIRouter(prefix="/api/v1", tags=["indicators"], responses=API_ERRORS)


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
        raise NotFound.of("web.no_regions")
    query = IndicatorQuery(
        region_code=code, year=year, months=parse_months(months), group_by=group_by,
        category=category, department_code=department, institution_code=institution,
        default_factor_set=settings.factor_set,
    )
    return compute(engine, query, scope)
