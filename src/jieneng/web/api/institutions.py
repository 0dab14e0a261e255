"""JSON twins of the directory pages: ``/api/v1/institutions`` (paginated search)
and ``/api/v1/institutions/{credit_code}`` (profile history and monthly series)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.common import CategoryQ, RegionQ
from jieneng.web.pages.directory import (
    QQ,
    CreditCode,
    DepartmentQ,
    StatusQ,
    detail_data,
    search_data,
)

router = APIRouter(prefix="/api/v1", tags=["institutions"], responses=API_ERRORS)


@router.get("/institutions")
def institutions(
    user: CurrentUser, engine: EngineDep,
    q: QQ = None, region: RegionQ = None, category: CategoryQ = None,
    department: DepartmentQ = None, status: StatusQ = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="页码 page")] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000, description="每页条数")] = 50,
) -> dict[str, Any]:
    """Directory entries in my scope matching every filter:
    ``{"items", "page", "per_page", "total", "filters"}``."""
    return search_data(engine, user, q=q, region=region, category=category,
                       department=department, status=status, page_no=page, per_page=per_page)


@router.get("/institutions/{credit_code}")
def institution(
    credit_code: CreditCode, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
) -> dict[str, Any]:
    """One institution: entry, profile history (NY101 by year) and the monthly
    series of the last three years with data, per carrier."""
    return detail_data(engine, user, settings, credit_code)
