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

from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.publishing import publication
from jieneng.web.common import form_year
from jieneng.web.deps import AdminUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1/admin", tags=["publication"], responses=API_ERRORS)
PAGE = "/admin/publication"
TEMPLATE = "admin/publication.html"


def _context(engine: Engine, form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"items": publication.list_publications(engine), "form": form or {}, "errors": {}}


@router.get("/publication", dependencies=[requires(Capability.PUBLISH)])
def publication_page(request: Request, admin: AdminUser, engine: EngineDep) -> Response:
    return render(request, TEMPLATE, _context(engine))


@router.post("/publication", dependencies=[requires(Capability.PUBLISH)])
def publish_form(
    request: Request, admin: AdminUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
) -> Response:
    """Publish a year of a region (and its subtree); audited."""
    form = {"region_code": region_code, "year": year}
    try:
        publication.publish(engine, actor=admin.actor, region_code=region_code.strip(),
                            year=form_year(year))
    except DomainError as err:
        return form_error(request, TEMPLATE, _context(engine, form), err)
    return RedirectResponse(PAGE, status_code=303)


@router.post("/publication/withdraw", dependencies=[requires(Capability.PUBLISH)])
def withdraw_form(
    request: Request, admin: AdminUser, engine: EngineDep,
    region_code: Annotated[str, Form(max_length=6)],
    year: Annotated[str, Form(max_length=8)],
) -> Response:
    """Withdraw a published year of a region; audited."""
    try:
        publication.withdraw(engine, actor=admin.actor, region_code=region_code.strip(),
                             year=form_year(year))
    except DomainError as err:  # a button: the message above the list
        return form_error(request, TEMPLATE, _context(engine), err, at=WHOLE_FORM)
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


@api.get("/publication", response_model=PublicationsOut,
                dependencies=[requires(Capability.PUBLISH)])
def list_publications(admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Every published (region, year), who published it and when (administrators)."""
    return {"items": publication.list_publications(engine)}


@api.post("/publication",
                 dependencies=[requires(Capability.PUBLISH)], response_model=PublicationOut)
def post_publication(body: PublicationIn, admin: AdminUser, engine: EngineDep) -> dict[str, Any]:
    """Publish a year of a region and its subtree on the public big screen (administrators;
    audited; publishing it again changes nothing)."""
    return publication.publish(engine, actor=admin.actor, region_code=body.region_code,
                               year=body.year)


@api.delete("/publication/{region}/{year}",
                   dependencies=[requires(Capability.PUBLISH)], status_code=204)
def delete_publication(
    region: RegionPath, year: YearPath, admin: AdminUser, engine: EngineDep
) -> Response:
    """Withdraw a published year of a region (administrators; audited)."""
    publication.withdraw(engine, actor=admin.actor, region_code=region, year=year)
    return Response(status_code=204)
