"""The assessments list and the open form (绩效考核, issue 14 §4): ``/assessments`` —
the sheets (shipped and stored versions) and the runs of the caller's scope, with the form
to open a run (sheet, region, year); twin ``/api/v1/assessments``; ``POST
/assessments/open`` (twin ``POST /api/v1/assessments/open``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.assessments import runs, sheets
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["assessments"], responses=API_ERRORS)
NEEDS = [requires(Capability.MANAGE_ASSESSMENTS)]
LIST = "assessments/list.html"
Short = Annotated[str, Form(max_length=64)]


def list_data(engine: Any, user: User) -> dict[str, Any]:
    """The sheets and the runs the caller reads (the assessing offices' runs, the
    confirmed runs where the caller is assessed)."""
    return {"sheets": sheets.list_sheets(engine), "runs": runs.list_runs(engine, user)}


def _default_form(engine: Any, user: User) -> dict[str, str]:
    """The open form's defaults: the caller's region, last year, the region sheet where
    the region has child regions (else the units' sheet)."""
    code = "county_energy" if user.region_code and sheets.has_children(
        engine, user.region_code) else "unit_energy"
    return {"code": code, "region_code": user.region_code or "",
            "year": str(date.today().year - 1)}


@router.get("/assessments")
def assessments_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return page(request, LIST, {"data": list_data(engine, user),
                                "form": _default_form(engine, user)})


class SheetRefOut(BaseModel):
    code: str
    id: int | None
    version: int | None
    origin: str
    subject: str
    region_code: str | None
    name_zh: str
    name_en: str
    total: float
    stored: bool


class RunRefOut(BaseModel):
    id: int
    code: str
    version: int
    subject: str
    name_zh: str
    name_en: str
    region_code: str
    year: int
    state: str
    opened_by: str
    opened_at: str | None
    computed_at: str | None
    confirmed_by: str | None
    confirmed_at: str | None
    view: str


class ListOut(BaseModel):
    sheets: list[SheetRefOut]
    runs: list[RunRefOut]


@api.get("/assessments", response_model=ListOut)
def assessments_json(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The assessment sheets (shipped and stored versions) and the runs of the caller's
    scope (for holders of ``manage_assessments``)."""
    return list_data(engine, user)


def _year(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


@router.post("/assessments/open", dependencies=NEEDS)
def assessments_open(request: Request, user: CurrentUser, engine: EngineDep, code: Short = "",
                     region_code: Short = "", year: Short = "") -> Response:
    form = {"code": code, "region_code": region_code, "year": year}
    try:
        got = runs.open_run(engine, user, code=code.strip(), region_code=region_code.strip(),
                            year=_year(year))
    except DomainError as err:
        return form_error(request, LIST, {"data": list_data(engine, user), "form": form}, err)
    return RedirectResponse(f"/assessments/{got['id']}", status_code=303)


class OpenIn(BaseModel):
    code: str = Field(max_length=64)
    region_code: str = Field(max_length=6, pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    version: int | None = Field(default=None, ge=1)


class OpenOut(BaseModel):
    id: int
    created: bool


@api.post("/assessments/open", response_model=OpenOut, dependencies=NEEDS)
def assessments_open_json(body: OpenIn, user: CurrentUser, engine: EngineDep
                          ) -> dict[str, Any]:
    """Open (or find) the run of a sheet for a region and year, and compute it."""
    return runs.open_run(engine, user, code=body.code, region_code=body.region_code,
                         year=body.year, version=body.version)


__all__ = ["list_data"]
