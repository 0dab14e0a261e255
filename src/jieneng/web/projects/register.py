"""Registering projects (issue 13 §1, §5): the form ``/projects/new`` (nothing typed
is thrown away on error: the form comes back with the message at the field it names
and the status the JSON twin answers, ``POST /api/v1/projects``) and the bulk
import ``/projects/import`` (C's import service: all or nothing, a dry run, the
problems by row and column). Capability ``manage_projects``; the owners must be in
the caller's scope (the service checks)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.projects.spec import ProjectSpec, project_spec
from jieneng.ingest.projects import template_csv
from jieneng.services.projects.imports import import_projects
from jieneng.services.projects.registry import create_project
from jieneng.storage.institutions import get_institution_by_id
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import choices
from jieneng.web.projects.schemas import CreatedOut
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
NEW, IMPORT = "projects/new.html", "projects/import.html"
NEEDS = [requires(Capability.MANAGE_PROJECTS)]
Short = Annotated[str, Form(max_length=200)]
#: the form's number fields (empty: not given)
NUMBERS = ("investment_yuan", "expected_tce", "area_m2", "pv_kwp", "heat_pumps")


def _choices(lang: str) -> dict[str, Any]:
    return {"kinds": choices("type", lang), "subtypes": choices("subtype", lang),
            "options": choices("ipmvp", lang)}


def _number(text: str, field: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("，", "")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("project_figure_invalid", field=field,
                                  value=text[:40]) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed.of("project_figure_invalid", field=field, value=text[:40])
    return value


def spec_of(form: dict[str, str]) -> ProjectSpec:
    """The checked spec of the form's texts (numbers parsed here, the rest by
    :func:`jieneng.core.projects.spec.project_spec`)."""
    figures: dict[str, Any] = {f: _number(form.get(f, ""), f) for f in NUMBERS}
    year = form.get("year", "").strip()
    if not (year.isdigit() and len(year) == 4):
        raise ValidationFailed.of("project_year_invalid", field="year", value=year[:8])
    owners = [o for o in re.split(r"[\s,，;；、]+", form.get("owners", "")) if o]
    return project_spec(
        code=form.get("code", ""), name=form.get("name", ""), type_text=form.get("type", ""),
        owners=owners, year=int(year), subtype_text=form.get("subtype") or None,
        ipmvp_text=form.get("ipmvp_option") or None,
        region_code=form.get("region_code", "").strip() or None,
        esco_name=form.get("esco_name"), esco_credit_code=form.get("esco_credit_code"),
        funding_source=form.get("funding_source"), description=form.get("description"),
        **figures)


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _own_code(engine: Engine, user: User) -> str:
    """An institution account's own credit code, the owner its form starts with."""
    if user.institution_id is None:
        return ""
    with engine.connect() as conn:
        row = get_institution_by_id(conn, user.institution_id)
    return "" if row is None else str(row.credit_code)


@router.get("/projects/new", dependencies=NEEDS)
def project_new(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    form = {"owners": _own_code(engine, user), "year": str(date.today().year)}
    return render_page(request, NEW, {**_choices(_lang(request)), "form": form, "errors": {}})


@router.post("/projects/new", dependencies=NEEDS)
def project_create(
    request: Request, user: CurrentUser, engine: EngineDep, name: Short, type: Short,
    year: Annotated[str, Form(max_length=8)], owners: Annotated[str, Form(max_length=4000)],
    code: Short = "", subtype: Short = "", region_code: Short = "", esco_name: Short = "",
    esco_credit_code: Short = "", funding_source: Short = "", ipmvp_option: Short = "",
    investment_yuan: Short = "", expected_tce: Short = "", area_m2: Short = "",
    pv_kwp: Short = "", heat_pumps: Short = "",
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = {"name": name, "type": type, "year": year, "owners": owners, "code": code,
            "subtype": subtype, "region_code": region_code, "esco_name": esco_name,
            "esco_credit_code": esco_credit_code, "funding_source": funding_source,
            "ipmvp_option": ipmvp_option, "investment_yuan": investment_yuan,
            "expected_tce": expected_tce, "area_m2": area_m2, "pv_kwp": pv_kwp,
            "heat_pumps": heat_pumps, "description": description}
    try:
        made = create_project(engine, user, spec_of(form))
    except DomainError as err:
        return form_error(request, NEW, {**_choices(_lang(request)), "form": form}, err)
    return RedirectResponse(f"/projects/{made['code']}?done=registered", status_code=303)


class ProjectIn(BaseModel):
    code: str = Field(max_length=64, description="项目编号")
    name: str = Field(max_length=200)
    type: str = Field(max_length=32, description="项目类型 (code or name)")
    owners: list[str] = Field(max_length=200, description="业主单位统一社会信用代码")
    year: int = Field(ge=2000, le=2100)
    subtype: str | None = Field(default=None, max_length=32)
    region_code: str | None = Field(default=None, max_length=6)
    esco_name: str | None = Field(default=None, max_length=200)
    esco_credit_code: str | None = Field(default=None, max_length=18)
    funding_source: str | None = Field(default=None, max_length=100)
    ipmvp_option: str | None = Field(default=None, max_length=16)
    investment_yuan: float | None = None
    expected_tce: float | None = None
    area_m2: float | None = None
    pv_kwp: float | None = None
    heat_pumps: int | None = None
    description: str | None = Field(default=None, max_length=2000)


@api.post("/projects", status_code=201, response_model=CreatedOut, dependencies=NEEDS)
def project_create_json(body: ProjectIn, user: CurrentUser, engine: EngineDep
                        ) -> dict[str, Any]:
    """Register a project (in 征集/申报): 409 when its code is taken, 404 when an owner
    is outside the caller's scope, 422 for a field refused."""
    spec = project_spec(
        code=body.code, name=body.name, type_text=body.type, owners=body.owners,
        year=body.year, subtype_text=body.subtype, ipmvp_text=body.ipmvp_option,
        region_code=body.region_code, esco_name=body.esco_name,
        esco_credit_code=body.esco_credit_code, funding_source=body.funding_source,
        description=body.description, investment_yuan=body.investment_yuan,
        expected_tce=body.expected_tce, area_m2=body.area_m2, pv_kwp=body.pv_kwp,
        heat_pumps=body.heat_pumps)
    made = create_project(engine, user, spec)
    return {"code": made["code"], "state": made["state"],
            "url": f"/projects/{made['code']}"}


# ---------------------------------------------------------------- import


@router.get("/projects/import", dependencies=NEEDS)
def project_import_page(request: Request, user: CurrentUser) -> Response:
    return render_page(request, IMPORT, {})


@router.get("/projects/import/template.csv", dependencies=NEEDS)
def project_import_template(user: CurrentUser) -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''projects-template.csv"})


def _import(engine: Any, user: User, name: str, content: bytes, dry_run: bool) -> Any:
    return saved_upload(name, content, lambda path: import_projects(
        engine, user, path, dry_run=dry_run, max_bytes=len(content) + 1))


@router.post("/projects/import", dependencies=upload_requires(Capability.MANAGE_PROJECTS))
async def project_import(request: Request, _size: SizeChecked, user: CurrentUser,
                         engine: EngineDep, settings: SettingsDep) -> Response:
    context: dict[str, Any] = {}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        dry_run = fields.get("dry_run") == "1"
        report = await run_in_threadpool(_import, engine, user, name, content, dry_run)
        context["report"] = _report(report, dry_run)
    except ImportRejected as err:
        status = 422
        context["error"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, IMPORT, context, err)
    return await run_in_threadpool(render_page, request, IMPORT, context, status_code=status)


def _report(report: Any, dry_run: bool) -> dict[str, Any]:
    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    count = data.get("count", data.get("projects", data.get("rows", 0)))
    return {**data, "count": count, "dry_run": dry_run}


class ImportOut(BaseModel):
    file: str
    rows: int
    projects: int
    codes: list[str]
    dry_run: bool


@api.post("/projects/import", response_model=ImportOut,
          dependencies=upload_requires(Capability.MANAGE_PROJECTS),
          openapi_extra=UPLOAD_BODY)
async def project_import_json(request: Request, _size: SizeChecked, user: CurrentUser,
                              engine: EngineDep, settings: SettingsDep,
                              dry_run: bool = False) -> dict[str, Any]:
    """Import a project list (.xlsx/.csv; all or nothing; 422 with every issue)."""
    content, name, _fields = await read_upload(request, settings)
    report = await run_in_threadpool(_import, engine, user, name, content, dry_run)
    return dict(report.to_dict())
