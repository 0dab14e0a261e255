"""Administration of what the public big screen shows: publish or withdraw a year of a region.

Page ``/admin/publication`` (list, publish form, withdraw buttons; CSRF token in
every form) and its JSON twin under ``/api/v1/admin/publication`` (``GET`` the
list, ``POST`` publish, ``DELETE /{region}/{year}`` withdraw). Administrators
only; the rule and the audit trail are in :mod:`jieneng.services.publishing.publication`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.publishing import publication
from jieneng.web.deps import AdminUser, EngineDep, requires
from jieneng.web.errors import ErrorOut, lang_of
from jieneng.web.i18n import domain_lang
from jieneng.web.pages.common import form_year
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api_router = APIRouter(
    prefix="/api/v1/admin", tags=["api"],
    responses={status: {"model": ErrorOut} for status in (401, 403, 404, 422)},
)
PAGE = "/admin/publication"



def _page(
    request: Request, engine: Engine, *, form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:
    context = {"items": publication.list_publications(engine), "form": form or {},
               "errors": errors or {}}
    return render(request, "admin/publication.html", context, status_code=status_code)


def _errors(request: Request, err: ValidationFailed | NotFound) -> dict[str, str]:
    field = str(err.details.get("field") or "_form")
    return {field: err.message(domain_lang(lang_of(request)))}


@router.get("/publication",
            dependencies=[requires(Capability.PUBLISH)])
def publication_page(request: Request, admin: AdminUser, engine: EngineDep) -> Response:
    return _page(request, engine)


@router.post("/publication", dependencies=[requires(Capability.PUBLISH)])
def publishform_year(
    request: Request, admin: AdminUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
) -> Response:
    """Publish a year of a region (and its subtree); audited."""
    form = {"region_code": region_code, "year": year}
    try:
        publication.publish(engine, actor=admin.actor, region_code=region_code.strip(),
                            year=form_year(year))
    except (ValidationFailed, NotFound) as err:
        return _page(request, engine, form=form, errors=_errors(request, err), status_code=422)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/publication/withdraw", dependencies=[requires(Capability.PUBLISH)])
def withdrawform_year(
    request: Request, admin: AdminUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
) -> Response:
    """Withdraw a published year of a region; audited."""
    try:
        publication.withdraw(engine, actor=admin.actor, region_code=region_code.strip(),
                             year=form_year(year))
    except (ValidationFailed, NotFound) as err:
        errors = {"_form": err.message(domain_lang(lang_of(request)))}
        return _page(request, engine, errors=errors, status_code=422)
    return RedirectResponse(PAGE, status_code=303)


# ---------------------------------------------------------------- JSON twin
RegionPath = Annotated[str, Path(pattern=r"^\d{6}$", description="行政区划代码")]
YearPath = Annotated[int, Path(ge=publication.MIN_YEAR, le=publication.MAX_YEAR,
                               description="年度 year")]


class PublicationOut(BaseModel):
    region_code: str
    region_name: str
    level: int | None
    year: int
    published_by: str | None
    published_at: str | None = Field(description="ISO-8601, UTC")


class PublicationsOut(BaseModel):
    items: list[PublicationOut]


class PublicationIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$", description="行政区划代码; covers its subtree")
    year: int = Field(ge=publication.MIN_YEAR, le=publication.MAX_YEAR,
                      description="年度; must hold figures for the region")


@api_router.get("/publication", response_model=PublicationsOut,
                dependencies=[requires(Capability.PUBLISH)])
def list_publications(admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Every published (region, year), who published it and when (administrators)."""
    return {"items": publication.list_publications(engine)}


@api_router.post("/publication",
                 dependencies=[requires(Capability.PUBLISH)], response_model=PublicationOut)
def post_publication(body: PublicationIn, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Publish a year of a region and its subtree on the public big screen (administrators;
    audited; publishing it again changes nothing)."""
    return publication.publish(engine, actor=admin.actor, region_code=body.region_code,
                               year=body.year)


@api_router.delete("/publication/{region}/{year}",
                   dependencies=[requires(Capability.PUBLISH)], status_code=204)
def delete_publication(
    region: RegionPath, year: YearPath, admin: AdminUser, engine: EngineDep
) -> Response:
    """Withdraw a published year of a region (administrators; audited)."""
    publication.withdraw(engine, actor=admin.actor, region_code=region, year=year)
    return Response(status_code=204)
