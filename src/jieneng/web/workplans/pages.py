"""The work plans of the caller's scope (issue 14 §1): ``/workplans`` by year and
region (each plan with its items and how far they are done), its JSON twin
``/api/v1/workplans``; the import of a plan from a spreadsheet ``/workplans/import``
(capability ``manage_work_plans``: all or nothing, a dry run, the problems by row
and column; the template ``/workplans/import/template.csv``) and its twin
``POST /api/v1/workplans/import``. Services: :mod:`jieneng.services.workplans.plans`,
``.progress`` and ``.imports``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.accounts.users import home_region
from jieneng.services.workplans.imports import import_plan
from jieneng.services.workplans.plans import list_plans
from jieneng.services.workplans.progress import region_plan_completion
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import UPLOAD_BODY, SizeChecked, read_upload, saved_upload, upload_requires
from jieneng.web.workplans.common import RegionQ, YearQ

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["workplans"], responses=API_ERRORS)
LIST, IMPORT = "workplans/list.html", "workplans/import.html"
NEEDS = [requires(Capability.MANAGE_WORK_PLANS)]
#: the import sheet's columns (W1's ingest reads these headers) and an example row
TEMPLATE_HEADER = ("序号", "上级序号", "栏目", "事项", "责任地区", "责任部门", "责任单位",
                   "完成时限", "指标", "指标范围", "比较", "目标值", "单位", "依据原文")
TEMPLATE_EXAMPLE = ("1", "", "持续开展绿色低碳节能增效行动", "完成既有建筑节能绿色化改造面积",
                    "450300", "", "", "2024-12-31", "retrofit_area_m2", "", ">=", "180000",
                    "m²", "全市完成既有建筑节能绿色化改造面积 18 万平方米以上")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def plans_data(engine: Engine, user: User, *, region: str = "", year: str = ""
               ) -> dict[str, Any]:
    """The plans of the caller's scope (inside ``region``, of ``year`` when given) and,
    for the year shown, how each child region stands on the items assigned to it."""
    plans = list_plans(engine, user, region_code=region or None,
                       year=int(year) if year else None)
    code = region or home_region(engine, user) or ""
    shown_year = int(year) if year else max((int(p["year"]) for p in plans), default=None)
    completion: list[dict[str, Any]] = []
    if code and shown_year is not None:
        try:  # a department or institution does not see its region's whole
            completion = region_plan_completion(engine, code, shown_year, user=user)
        except NotFound:
            completion = []
    items = [{**p, "href": f"/workplans/{p['id']}"} for p in plans]
    return {"region": code or None, "year": shown_year, "items": items, "total": len(items),
            "completion": completion}


@router.get("/workplans")
def plans_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
               year: YearQ = "") -> Response:
    params = {"region": region, "year": year}
    return render_page(request, LIST, {"data": plans_data(engine, user, region=region,
                                                          year=year), "params": params})


class PlansOut(BaseModel):
    model_config = {"extra": "allow"}
    region: str | None
    year: int | None
    items: list[dict[str, Any]]
    total: int
    completion: list[dict[str, Any]]


@api.get("/workplans", response_model=PlansOut)
def plans_json(user: CurrentUser, engine: EngineDep, region: RegionQ = "",
               year: YearQ = "") -> dict[str, Any]:
    """The work plans of the caller's scope (inside ``region``, of ``year``) with the
    completion of the items per child region for the year shown."""
    return plans_data(engine, user, region=region, year=year)


# ---------------------------------------------------------------- import


def _import_context(engine: Engine, user: User, form: dict[str, str], *,
                    posted: bool = False) -> dict[str, Any]:
    """The form's values: as typed after a post (an unticked dry run stays unticked),
    else the caller's region, this year and a dry run."""
    return {"form": {"region_code": form.get("region_code") or home_region(engine, user) or "",
                     "year": form.get("year") or str(date.today().year),
                     "title": form.get("title", ""), "document_no": form.get("document_no", ""),
                     "dry_run": form.get("dry_run", "" if posted else "1")}}


@router.get("/workplans/import", dependencies=NEEDS)
def plan_import_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return render_page(request, IMPORT, _import_context(engine, user, {}))


@router.get("/workplans/import/template.csv", dependencies=NEEDS)
def plan_import_template(user: CurrentUser) -> Response:
    lines = [",".join(TEMPLATE_HEADER), ",".join(TEMPLATE_EXAMPLE)]
    return Response("\ufeff" + "\r\n".join(lines) + "\r\n", media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             "attachment; filename*=UTF-8''workplan-template.csv"})


def _year(value: str) -> int:
    cleaned = value.strip()
    if not (cleaned.isdigit() and len(cleaned) == 4):
        raise ValidationFailed.of("workplans_web.bad_year", field="year", value=cleaned[:8])
    return int(cleaned)


def _import(engine: Engine, user: User, name: str, content: bytes,
            fields: dict[str, str]) -> dict[str, Any]:
    region = fields.get("region_code", "").strip()
    if not region:
        raise ValidationFailed.of("workplans_web.region_required", field="region_code")
    return saved_upload(name, content, lambda path: import_plan(
        engine, user, path, region_code=region, year=_year(fields.get("year", "")),
        title=fields.get("title", "").strip() or None,
        document_no=fields.get("document_no", "").strip() or None,
        dry_run=fields.get("dry_run") == "1").to_dict())


@router.post("/workplans/import", dependencies=upload_requires(Capability.MANAGE_WORK_PLANS))
async def plan_import(request: Request, _size: SizeChecked, user: CurrentUser,
                      engine: EngineDep, settings: SettingsDep) -> Response:
    fields: dict[str, str] = {}
    context: dict[str, Any] = _import_context(engine, user, {})
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        context = _import_context(engine, user, fields, posted=True)
        context["report"] = await run_in_threadpool(_import, engine, user, name, content,
                                                    fields)
    except ImportRejected as err:
        status = 422
        context["error"] = err.message(_lang(request))
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, IMPORT, context, err)
    return await run_in_threadpool(render_page, request, IMPORT, context, status_code=status)


class ImportOut(BaseModel):
    model_config = {"extra": "allow"}
    file: str
    plan_id: int | None = None
    title: str | None = None
    items: int
    dry_run: bool


@api.post("/workplans/import", response_model=ImportOut,
          dependencies=upload_requires(Capability.MANAGE_WORK_PLANS),
          openapi_extra=UPLOAD_BODY)
async def plan_import_json(request: Request, _size: SizeChecked, user: CurrentUser,
                           engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Import a plan (.xlsx/.csv with the fields ``region_code``, ``year``, ``title``,
    ``document_no``, ``dry_run``=1; all or nothing; 422 with every issue by row and
    column)."""
    content, name, fields = await read_upload(request, settings)
    return await run_in_threadpool(_import, engine, user, name, content, fields)


__all__ = ["plans_data"]
