"""The unit search of the top bar (单位搜索): ``/search?q=`` and its JSON twin
``/api/v1/search`` — institutions by a fragment of the name or the beginning of the
统一社会信用代码, and the regions whose name holds the text, inside the caller's scope
(:mod:`jieneng.services.directory.search`). Each result links to what the role may
open: the institution page, its entry form (who enters figures), its alerts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.permissions import Capability
from jieneng.services.directory import search as service
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["search"], responses=API_ERRORS)
PER_PAGE = 20

SearchQ = Annotated[str | None, Query(max_length=60,
                                      description="名称片段或信用代码开头 name or code")]
PageQ = Annotated[int, Query(ge=1, le=100_000, description="页码 page")]


def search_data(engine: Engine, user: User, q: str | None, page_no: int) -> dict[str, Any]:
    """The results of the page and of its JSON twin, each with its links."""
    data = service.search(engine, user, q, page=page_no, per_page=PER_PAGE)
    writer = user.can(Capability.ENTER_DATA)
    for item in data["institutions"]["items"]:
        code = item["credit_code"]
        item["href"] = f"/institutions/{code}"
        item["entry_href"] = f"/entry?q={code}" if writer else None
        item["alerts_href"] = f"/alerts?institution={code}"
    for region in data["regions"]:
        region["href"] = f"/overview?region={region['code']}"
    return data


@router.get("/search")
def search_page(request: Request, user: CurrentUser, engine: EngineDep, q: SearchQ = None,
                page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1
                ) -> Response:
    data = search_data(engine, user, q, page_no)
    return page(request, "pages/search.html", {"data": data, "search_q": data["q"]})


class UnitOut(BaseModel):
    credit_code: str
    name: str
    region_code: str
    region_name: str | None = None
    category: str
    category_name: str | None = None
    category_name_en: str | None = None
    department_code: str | None = None
    department_name: str | None = None
    status: str
    href: str = Field(description="the institution page")
    entry_href: str | None = Field(description="its entry form (accounts that enter figures)")
    alerts_href: str


class Units(BaseModel):
    items: list[UnitOut]
    page: int
    per_page: int
    total: int


class RegionHit(BaseModel):
    code: str
    name: str
    level: int = Field(description="1 province, 2 city, 3 county")
    href: str = Field(description="the region's overview")


class SearchOut(BaseModel):
    q: str
    institutions: Units
    regions: list[RegionHit]


@api.get("/search", response_model=SearchOut)
def search(user: CurrentUser, engine: EngineDep, q: SearchQ = None,
           page: PageQ = 1) -> dict[str, Any]:
    """Units in my scope by name fragment or credit-code prefix, and regions by name."""
    return search_data(engine, user, q, page)
