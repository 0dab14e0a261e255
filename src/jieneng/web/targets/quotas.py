"""Energy quotas (能耗定额): the standards' tables, their assignment to categories of a
region, and each institution's position against its quotas.

Page ``/quotas`` (positions; for administrators the import form, for 管理机构 the
assignment form) and its JSON twin ``/api/v1/quotas/positions``; ``/api/v1/quotas``
(every quota row), ``/api/v1/quotas/import`` and ``/api/v1/quotas/assign``. Rules:
:mod:`jieneng.services.targets.quotas`. A refused form shows the page again with the
status its JSON twin answers (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.targets import quotas
from jieneng.settings import Settings
from jieneng.web.common import RegionQ, YearQ, page, region_for, year_of
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.targets.schemas import QuotaPositionsOut
from jieneng.web.uploads import SizeChecked, read_upload, saved_upload, upload_requires

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["quotas"], responses=API_ERRORS)
TEMPLATE = "pages/quotas.html"

#: ``openapi_extra`` of the quota import: the file and the standard it holds
QUOTA_UPLOAD: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": ".xlsx or .csv"},
                       "code": {"type": "string"}, "title": {"type": "string"},
                       "source": {"type": "string"}}}}}}}




def quotas_data(engine: Engine, user: User, settings: Settings, *, region: str | None,
                year: str | None) -> dict[str, Any]:
    return quotas.positions(engine, user, region_code=region_for(engine, user, region),
                            year=year_of(year) or chinatime.today().year - 1,
                            default_factor_set=settings.factor_set)



def _import_table(engine: Engine, user: User, settings: Settings, name: str, content: bytes,
                  fields: dict[str, str]) -> dict[str, Any]:
    """Import a quota standard's table named by the form fields ``code``, ``title`` and
    ``source`` (each required), all or nothing — for the page and its JSON twin."""
    for key in ("code", "title", "source"):
        if not fields.get(key, "").strip():
            raise ValidationFailed.of("web.required", field=key)
    return dict(saved_upload(name, content, lambda path: quotas.import_table(
        engine, user, path, code=fields["code"][:40], title=fields["title"][:200],
        source=fields["source"][:500], max_bytes=settings.max_upload_bytes)))


def _context(engine: Engine, user: User, settings: Settings, *, region: str | None,
             year: str | None, form: dict[str, str] | None = None, position: str = "",
             number: int = 1) -> dict[str, Any]:
    return _page_of({"data": quotas_data(engine, user, settings, region=region, year=year),
                     "quota_rows": quotas.list_quotas(engine), "error": None,
                     "form": form or {}, "can_import": user.can(Capability.IMPORT_QUOTAS),
                     "can_assign": user.can(Capability.ASSIGN_QUOTAS)}, position, number)


#: rows of the positions table per page (the JSON twin lists them all)
PER_PAGE = 100


def _page_of(context: dict[str, Any], position: str, number: int) -> dict[str, Any]:
    """The positions of one 所处区间 (``position``; all when empty), one page of them."""
    items = [i for i in context["data"]["items"] if not position or i.get("position") == position]
    pages = max(1, -(-len(items) // PER_PAGE))
    number = min(number, pages)
    shown = items[(number - 1) * PER_PAGE: number * PER_PAGE]
    return {**context, "data": {**context["data"], "items": shown},
            "listing": {"position": position, "page": number, "pages": pages,
                        "total": len(items)}}


@router.get("/quotas")
def quotas_page(request: Request, user: CurrentUser, engine: EngineDep,
                settings: SettingsDep, region: RegionQ = None, year: YearQ = None,
                position: Annotated[str, Query(max_length=20, pattern=r"^[a-z_]*$")] = "",
                page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
                ) -> Response:
    """The positions against the quotas, 100 a page, filtered by 所处区间."""
    return page(request, TEMPLATE, _context(engine, user, settings, region=region, year=year,
                                            position=position, number=page_number))


@router.post("/quotas/import", dependencies=upload_requires(Capability.IMPORT_QUOTAS))
async def quota_import_form(request: Request, _size: SizeChecked, user: CurrentUser,
                            engine: EngineDep, settings: SettingsDep) -> Response:
    """Import a quota table from the page (administrators; all or nothing)."""
    fields: dict[str, str] = {}
    try:
        content, name, fields = await read_upload(request, settings)
        await run_in_threadpool(_import_table, engine, user, settings, name, content, fields)
    except DomainError as err:
        form = {k: fields.get(k, "") for k in ("code", "title", "source")}
        context = await run_in_threadpool(partial(_context, engine, user, settings,
                                                  region=None, year=None, form=form))
        return await run_in_threadpool(form_error, request, TEMPLATE, context, err)
    return RedirectResponse("/quotas", status_code=303)


@router.post("/quotas/assign", dependencies=[requires(Capability.ASSIGN_QUOTAS)])
def quota_assign_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    quota_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    region_code: Annotated[str, Form(max_length=6)],
    category: Annotated[str, Form(max_length=3)],
) -> Response:
    """Assign a quota for a category in a region's subtree (管理机构)."""
    try:
        quotas.assign(engine, user, quota_id=quota_id, region_code=region_code.strip(),
                      category=category.strip())
    except DomainError as err:
        return form_error(request, TEMPLATE, _context(engine, user, settings, region=None,
                                                      year=None), err)
    return RedirectResponse(f"/quotas?region={quote(region_code.strip())}", status_code=303)


# ---------------------------------------------------------------- JSON twins
class QuotasImportedOut(BaseModel):
    standard_id: int
    standard: str
    file: str
    rows: int
    inserted: int
    updated: int


class AssignedOut(BaseModel):
    quota_id: int
    region_code: str
    category: str
    assigned: bool


class QuotaOut(BaseModel):
    id: int
    standard_id: int
    indicator: str
    institution_type: str
    climate_zone: str
    constraint_value: float
    benchmark_value: float
    guide_value: float
    unit: str
    standard_code: str
    standard_title: str


class QuotasOut(BaseModel):
    items: list[QuotaOut]


@api.get("/quotas/positions", response_model=QuotaPositionsOut)
def quotas_api(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
               region: RegionQ = None, year: YearQ = None) -> dict[str, Any]:
    """Each institution's position against its assigned quotas (below 引导值 …
    above 约束值), and the counts per position."""
    return quotas_data(engine, user, settings, region=region, year=year)


@api.post("/quotas/import",
          dependencies=upload_requires(Capability.IMPORT_QUOTAS), openapi_extra=QUOTA_UPLOAD,
          response_model=QuotasImportedOut)
async def import_quotas_api(request: Request, _size: SizeChecked, user: CurrentUser,
                            engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Import a quota standard's table (administrators), with form fields ``code``,
    ``title`` and ``source`` naming the standard."""
    content, name, fields = await read_upload(request, settings)
    return await run_in_threadpool(_import_table, engine, user, settings, name, content, fields)


class AssignIn(BaseModel):
    quota_id: int = Field(ge=1, le=2_147_483_647)
    region_code: str = Field(pattern=r"^\d{6}$")
    category: str = Field(min_length=2, max_length=3)
    remove: bool = False


@api.post("/quotas/assign", dependencies=[requires(Capability.ASSIGN_QUOTAS)],
          response_model=AssignedOut)
def assign_quota_api(body: AssignIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Assign (or ``remove``) a quota for a category in a region's subtree (管理机构)."""
    quotas.assign(engine, user, quota_id=body.quota_id, region_code=body.region_code,
                  category=body.category, remove=body.remove)
    return {"quota_id": body.quota_id, "region_code": body.region_code,
            "category": body.category, "assigned": not body.remove}


@api.get("/quotas", response_model=QuotasOut)
def quota_list_api(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The quota rows of every imported standard."""
    return {"items": quotas.list_quotas(engine)}
