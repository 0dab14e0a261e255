"""Adding to a project's boundary in the web (issue 13 §1, §5): an account (户号), a
meter, a building or a system, from the form on the project page
(``POST /projects/{code}/boundary``) and its JSON twin
``POST /api/v1/projects/{code}/boundary``. The service
(:func:`jieneng.services.projects.boundary.add_boundary`) refuses an account or meter
of another institution naming both (409); a refusal shows the project page again with
the message at the form and what was typed kept. Capability ``manage_projects``.

Removing a line (``POST /projects/{code}/boundary/remove``, twin
``POST /api/v1/projects/{code}/boundary/{id}/removal``): the line, the first day it no
longer counts and the reason; the service
(:func:`jieneng.services.projects.boundary.remove_boundary`) keeps the line marked and
refuses (409) a day that would change a stored M&V run, statement or settlement."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.projects.boundary import add_boundary, remove_boundary
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_date, form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import CodeP
from jieneng.web.projects.detail import TEMPLATE, page_context

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
NEEDS = [requires(Capability.MANAGE_PROJECTS)]
Short = Annotated[str, Form(max_length=200)]


def _area(text: str) -> float | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("project_figure_invalid", field="area_m2",
                                  value=text[:40]) from None
    if not value >= 0 or value == float("inf"):
        raise ValidationFailed.of("project_figure_invalid", field="area_m2", value=text[:40])
    return value


@router.post("/projects/{code}/boundary", dependencies=NEEDS)
def boundary_add(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                 b_kind: Annotated[str, Form(max_length=16)], b_institution: Short = "",
                 b_carrier: Short = "", b_account: Short = "", b_meter: Short = "",
                 b_area: Short = "",
                 b_description: Annotated[str, Form(max_length=2000)] = "") -> Response:
    form = {"b_kind": b_kind, "b_institution": b_institution, "b_carrier": b_carrier,
            "b_account": b_account, "b_meter": b_meter, "b_area": b_area,
            "b_description": b_description}
    try:
        add_boundary(engine, user, code, kind=b_kind, institution=b_institution.strip() or None,
                     carrier=b_carrier.strip() or None, account=b_account.strip() or None,
                     meter=b_meter.strip() or None, description=b_description.strip() or None,
                     area_m2=_area(b_area))
    except DomainError as err:
        context = page_context(engine, user, code, domain_lang(lang_of(request)))
        context["form"] = form
        return form_error(request, TEMPLATE, context, err, at="boundary")
    return RedirectResponse(f"/projects/{code}?done=boundary_added#boundary", status_code=303)


def _line_id(text: str) -> int:
    cleaned = text.strip()
    if not cleaned.isdigit() or len(cleaned) > 9:
        raise ValidationFailed.of("project_field_required", field="boundary")
    return int(cleaned)


@router.post("/projects/{code}/boundary/remove", dependencies=NEEDS)
def boundary_remove(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                    r_id: Annotated[str, Form(max_length=12)] = "", r_on: Short = "",
                    r_reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    form = {"r_id": r_id, "r_on": r_on, "r_reason": r_reason}
    try:
        remove_boundary(engine, user, code, _line_id(r_id),
                        removed_on=form_date(r_on, "removed_on", required=True), reason=r_reason)
    except DomainError as err:
        context = page_context(engine, user, code, domain_lang(lang_of(request)))
        context["form"] = form
        return form_error(request, TEMPLATE, context, err, at="boundary_remove")
    return RedirectResponse(f"/projects/{code}?done=boundary_removed#boundary", status_code=303)


class BoundaryIn(BaseModel):
    kind: str = Field(max_length=16, description="account | meter | building | system")
    institution: str | None = Field(default=None, max_length=18,
                                    description="业主单位统一社会信用代码")
    carrier: str | None = Field(default=None, max_length=32, description="account: 能源品种")
    account: str | None = Field(default=None, max_length=64, description="户号")
    meter: str | None = Field(default=None, max_length=64, description="计量表编号")
    description: str | None = Field(default=None, max_length=2000)
    area_m2: float | None = Field(default=None, ge=0)


class BoundaryOut(BaseModel):
    id: int
    kind: str
    institution: str | None = None
    institution_name: str | None = None
    account: str | None = None
    account_carrier: str | None = None
    meter: str | None = None
    meter_carrier: str | None = None
    description: str | None = None
    area_m2: float | None = None
    removed_on: str | None = Field(default=None, description="移出日期（该日起不计入）")
    removed_reason: str | None = None
    removed_by: str | None = None


@api.post("/projects/{code}/boundary", status_code=201, response_model=BoundaryOut,
          dependencies=NEEDS)
def boundary_add_json(body: BoundaryIn, user: CurrentUser, engine: EngineDep,
                      code: CodeP) -> dict[str, Any]:
    """Add a line to the boundary: 409 when the account or meter belongs to another
    institution (both named) or is already there, 404 when not found or outside the
    scope, 422 for a missing field."""
    return add_boundary(engine, user, code, **body.model_dump())


class RemovalIn(BaseModel):
    removed_on: date = Field(description="移出日期：该日及以后不再计入 (the first day excluded)")
    reason: str = Field(min_length=1, max_length=2000, description="移出原因")


@api.post("/projects/{code}/boundary/{boundary_id}/removal", response_model=BoundaryOut,
          dependencies=NEEDS)
def boundary_remove_json(body: RemovalIn, user: CurrentUser, engine: EngineDep, code: CodeP,
                         boundary_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
                         ) -> dict[str, Any]:
    """Remove a boundary line from ``removed_on``: 409 when an M&V run, statement or
    settlement used its meters on or after that day (named), or it is removed already;
    404 for a line not of the project."""
    return remove_boundary(engine, user, code, boundary_id, removed_on=body.removed_on,
                           reason=body.reason)
