"""The institution directory (名录库): search with filters, and one institution's
profile history with its 36-month series per carrier.

JSON twins: ``/api/v1/institutions`` and ``/api/v1/institutions/{credit_code}``
(:mod:`jieneng.web.api.institutions`). An institution outside the caller's scope
is 404 (the services raise NotFound).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.categories import CATEGORIES
from jieneng.services.directory import directory
from jieneng.settings import Settings
from jieneng.web.common import CategoryQ, RegionQ, blank, page, previous_month
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
QQ = Annotated[str | None, Query(max_length=100, description="名称片段或信用代码开头 name or code")]
DepartmentQ = Annotated[str | None, Query(
    max_length=18, description="主管部门统一社会信用代码 competent department")]
StatusQ = Annotated[Literal["active", "closed", ""] | None, Query(description="状态 status")]
PageNoQ = Annotated[int, Query(alias="page", ge=1, le=100_000, description="页码 page")]
CreditCode = Annotated[str, Path(min_length=1, max_length=18, pattern=r"^[0-9A-Za-z]+$",
                                 description="统一社会信用代码")]


def search_data(
    engine: Engine, user: User, *, q: str | None, region: str | None, category: str | None,
    department: str | None, status: str | None, page_no: int, per_page: int,
) -> dict[str, Any]:
    """The directory search of the page and of ``/api/v1/institutions``."""
    return directory.search_institutions(
        engine, user.scope, q=blank(q), region_code=blank(region), category=blank(category),
        department_code=blank(department), status=blank(status), page=page_no,
        per_page=per_page,
    )


def detail_data(engine: Engine, user: User, settings: Settings, credit_code: str
                ) -> dict[str, Any]:
    return directory.institution_detail(engine, user.scope, credit_code,
                                        default_factor_set=settings.factor_set)


@router.get("/directory")
def directory_alias(request: Request, user: CurrentUser) -> Response:
    """The navigation's name for the directory."""
    query = request.url.query
    return RedirectResponse("/institutions" + (f"?{query}" if query else ""), status_code=307)


@router.get("/institutions")
def institutions_page(
    request: Request, user: CurrentUser, engine: EngineDep,
    q: QQ = None, region: RegionQ = None, category: CategoryQ = None,
    department: DepartmentQ = None, status: StatusQ = None, page_no: PageNoQ = 1,
) -> Response:
    data = search_data(engine, user, q=q, region=region, category=category,
                       department=department, status=status, page_no=page_no,
                       per_page=PER_PAGE)
    context = {"data": data, "categories": CATEGORIES,
               "form": {"q": q or "", "region": region or "", "category": category or "",
                        "department": department or "", "status": status or ""}}
    if request.headers.get("hx-request") == "true" and request.headers.get(
            "hx-target") == "results":
        response = page(request, "pages/_institution_rows.html", context)
        query = request.url.query
        response.headers["HX-Push-Url"] = "/institutions" + (f"?{query}" if query else "")
        return response
    return page(request, "pages/institutions.html", context)


@router.get("/institutions/{credit_code}")
def institution_page(
    request: Request, credit_code: CreditCode, user: CurrentUser, engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    data = detail_data(engine, user, settings, credit_code)
    year, month = previous_month()
    return page(request, "pages/institution.html",
                {"data": data, "entry_year": year, "entry_month": month})
