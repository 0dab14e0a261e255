"""Targets (双控目标), their progress and assessment, early warnings, quota positions
and the annual 通报 — pages and JSON twins.

Pages: ``/targets`` (targets of a region and its children with their progress;
forms to set a target, preview or save a decomposition, lock and reopen),
``/targets/assessment`` (年终考核), ``/alerts`` (open alerts with their history;
acknowledge), ``/quotas`` (each institution's position against its quotas),
``/reports/annual.docx`` and ``/reports/annual.xlsx`` (the 通报). JSON twins
under ``/api/v1/targets``, ``/api/v1/alerts``, ``/api/v1/quotas``: the same service
calls, so the same numbers. Who may write is decided by the services
(:mod:`jieneng.services.targets.targets`, :mod:`jieneng.services.targets.alerts`); scope by
:mod:`jieneng.services.scope`.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.reports.annual_report import annual_docx, annual_xlsx, assessment_xlsx
from jieneng.services.publishing.annual_report import annual_data
from jieneng.services.statistics.selection import FORMULAS
from jieneng.services.targets import alerts, progress, quotas, targets
from jieneng.settings import Settings
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.common import (
    RegionQ,
    YearQ,
    blank,
    error_message,
    form_number,
    page,
    region_for,
    year_of,
)
from jieneng.web.routes.targets_schemas import (
    AssessmentOut,
    DecompositionOut,
    InstitutionTargetsOut,
    QuotaPlanOut,
    QuotaPositionsOut,
    TargetOut,
    TargetsOut,
)
from jieneng.web.uploads import SizeChecked, read_upload, upload_requires

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["targets"], responses=API_ERRORS)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AlertId = Annotated[int, Path(ge=1, le=2_147_483_647)]
METRICS = (*targets.CAP_METRICS, *targets.REDUCTION_METRICS)


def _year(year: str | None) -> int:
    """The year asked for, or this year (targets are set for the year under way)."""
    return year_of(year) or date.today().year


def targets_data(engine: Engine, user: User, settings: Settings, *, region: str | None,
                 year: str | None) -> dict[str, Any]:
    code, y = region_for(engine, user, region), _year(year)
    data = targets.list_for(engine, user, region_code=code, year=y)
    data["progress"] = progress.region_progress(
        engine, user, region_code=code, year=y, factor_set=settings.factor_set)["items"]
    return data


SortQ = Annotated[str, Query(pattern="^(region|met|unmet)$",
                            description="region (code), met first, or unmet first")]


def assessment_data(engine: Engine, user: User, settings: Settings, *, region: str | None,
                    year: str | None, sort: str = "region") -> dict[str, Any]:
    data = progress.assessment(engine, user, region_code=region_for(engine, user, region),
                               year=year_of(year) or date.today().year - 1,
                               factor_set=settings.factor_set)
    if sort != "region":  # the rows come by region code; met / unmet first, then by code
        data["rows"].sort(key=lambda r: (r["all_met"] != (sort == "met"), r["region_code"]))
    data["sort"] = sort
    return data


def alerts_data(engine: Engine, user: User, *, region: str | None, year: str | None,
                closed: bool = False, institution: str | None = None) -> dict[str, Any]:
    code = region_for(engine, user, region)
    items = alerts.list_for(engine, user, region_code=code, year=year_of(year),
                            include_closed=closed, institution_code=blank(institution))
    for item in items:
        item["events"] = alerts.history(engine, user, int(item["id"]))["events"]
    return {"region_code": code, "items": items}


def quotas_data(engine: Engine, user: User, settings: Settings, *, region: str | None,
                year: str | None) -> dict[str, Any]:
    return quotas.positions(engine, user, region_code=region_for(engine, user, region),
                            year=year_of(year) or date.today().year - 1,
                            default_factor_set=settings.factor_set)



def _targets_page(request: Request, engine: Engine, user: User, settings: Settings, *,
                  region: str | None, year: str | None, preview: dict[str, Any] | None = None,
                  error: str | None = None, status_code: int = 200) -> Response:
    data = targets_data(engine, user, settings, region=region, year=year)
    return page(request, "pages/targets.html", {
        "data": data, "metrics": METRICS, "preview": preview, "error": error,
        "names": {k: FORMULAS[k] for k in METRICS},
    }, status_code=status_code)


# ---------------------------------------------------------------- pages


@pages.get("/targets")
def targets_page(request: Request, user: CurrentUser, engine: EngineDep,
                 settings: SettingsDep, region: RegionQ = None, year: YearQ = None
                 ) -> Response:
    return _targets_page(request, engine, user, settings, region=region, year=year)



def _back(region: str, year: int) -> RedirectResponse:
    return RedirectResponse(f"/targets?region={quote(region)}&year={year}", status_code=303)


@pages.post("/targets", dependencies=[requires(Capability.SET_TARGETS)])
def set_target_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    metric: Annotated[str, Form(max_length=40)], value: Annotated[str, Form(max_length=30)],
    back: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Set a target (a reduction is entered in %, e.g. 1.1 for −1.1 %)."""
    try:
        number = form_number(value, "value", "值", "value")
        if metric in targets.REDUCTION_METRICS:
            number /= 100.0
        targets.set_target(engine, user, region_code=region_code, year=year, metric=metric,
                           value=number)
    except (ValidationFailed, NotFound, NotPermitted, Conflict) as err:
        return _targets_page(request, engine, user, settings, region=back or region_code,
                             year=str(year), error=error_message(request, err), status_code=422)
    return _back(back or region_code, year)


def form_pairs(text: str, what_zh: str, what_en: str) -> dict[str, float]:
    """``450321=0.9`` pairs, one per line or separated by ``,`` / ``；`` (a form's
    factors or overrides); ValidationFailed naming the bad pair."""
    out: dict[str, float] = {}
    for part in text.replace("，", ",").replace("；", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValidationFailed(f"{what_zh}“{part.strip()}”应写作 代码=数值",
                                   f"{what_en} {part.strip()!r}: write code=number",
                                   field=what_en)
        out[key.strip()] = form_number(value, what_en, what_zh, what_en)
    return out


@pages.post("/targets/decompose", dependencies=[requires(Capability.SET_TARGETS)])
def decompose_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    metric: Annotated[str, Form(max_length=40)],
    save: Annotated[str, Form(max_length=5)] = "",
    factors: Annotated[str, Form(max_length=4000)] = "",
    category_factors: Annotated[str, Form(max_length=1000)] = "",
    overrides: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Preview (default) or save the decomposition of the region's cap, with optional
    per-child and per-category factors and per-child overrides (``code=number``)."""
    try:
        fn = targets.decompose if save else targets.preview
        plan = fn(engine, user, region_code=region_code, year=year, metric=metric,
                  factors=form_pairs(factors, "下级系数", "child factors"),
                  category_factors=form_pairs(category_factors, "类别系数", "category factors"),
                  overrides=form_pairs(overrides, "指定值", "overrides"))
    except (ValidationFailed, NotFound, NotPermitted, Conflict) as err:
        return _targets_page(request, engine, user, settings, region=region_code,
                             year=str(year), error=error_message(request, err), status_code=422)
    if save:
        return _back(region_code, year)
    return _targets_page(request, engine, user, settings, region=region_code, year=str(year),
                         preview=plan)


@pages.post("/targets/lock", dependencies=[requires(Capability.LOCK_TARGETS)])
def lock_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    reopen: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Lock (or reopen) the targets of the region's subtree for the year."""
    try:
        (targets.reopen if reopen else targets.lock)(engine, user, region_code=region_code,
                                                      year=year)
    except (ValidationFailed, NotFound, NotPermitted, Conflict) as err:
        return _targets_page(request, engine, user, settings, region=region_code,
                             year=str(year), error=error_message(request, err), status_code=422)
    return _back(region_code, year)


@pages.post("/targets/quota-method", dependencies=[requires(Capability.SET_TARGETS)])
def quota_method_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    save: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Preview (default) or save institution targets by the quota rule."""
    try:
        plan = targets.quota_method(engine, user, region_code=region_code, year=year,
                                    save=bool(save))
    except (ValidationFailed, NotFound, NotPermitted, Conflict) as err:
        return _targets_page(request, engine, user, settings, region=region_code,
                             year=str(year), error=error_message(request, err), status_code=422)
    if save:
        return _back(region_code, year)
    data = targets_data(engine, user, settings, region=region_code, year=str(year))
    return page(request, "pages/targets.html", {
        "data": data, "metrics": METRICS, "preview": None, "error": None,
        "names": {k: FORMULAS[k] for k in METRICS}, "quota_plan": plan})


@pages.get("/targets/assessment")
def assessment_page(request: Request, user: CurrentUser, engine: EngineDep,
                    settings: SettingsDep, region: RegionQ = None, year: YearQ = None,
                    sort: SortQ = "region") -> Response:
    data = assessment_data(engine, user, settings, region=region, year=year, sort=sort)
    return page(request, "pages/targets_assessment.html", {"data": data})


InstitutionQ = Annotated[str | None, Query(max_length=18,
                                           description="统一社会信用代码 one institution")]


@pages.get("/targets/assessment.xlsx")
def assessment_xlsx_download(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                             region: RegionQ = None, year: YearQ = None) -> Response:
    data = assessment_data(engine, user, settings, region=region, year=year)
    name = f"{data['region']['code']}-{data['year']}"
    return Response(assessment_xlsx(data), media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"assessment-{name}.xlsx\""})


@pages.get("/alerts")
def alerts_page(request: Request, user: CurrentUser, engine: EngineDep,
                region: RegionQ = None, year: YearQ = None,
                institution: InstitutionQ = None) -> Response:
    data = alerts_data(engine, user, region=region, year=year, closed=True,
                       institution=institution)
    return page(request, "pages/alerts.html", {"data": data})


@pages.post("/alerts/{alert_id}/acknowledge",
            dependencies=[requires(Capability.ACKNOWLEDGE_ALERTS)])
def acknowledge_form(alert_id: AlertId, user: CurrentUser, engine: EngineDep) -> Response:
    alerts.acknowledge(engine, user, alert_id)
    return RedirectResponse("/alerts", status_code=303)


def _quotas_page(request: Request, engine: Engine, user: User, settings: Settings, *,
                 region: str | None, year: str | None, error: str | None = None,
                 status_code: int = 200) -> Response:
    data = quotas_data(engine, user, settings, region=region, year=year)
    return page(request, "pages/quotas.html", {
        "data": data, "quota_rows": quotas.list_quotas(engine), "error": error,
        "can_import": user.can(Capability.IMPORT_QUOTAS),
        "can_assign": user.can(Capability.ASSIGN_QUOTAS)}, status_code=status_code)


@pages.get("/quotas")
def quotas_page(request: Request, user: CurrentUser, engine: EngineDep,
                settings: SettingsDep, region: RegionQ = None, year: YearQ = None
                ) -> Response:
    return _quotas_page(request, engine, user, settings, region=region, year=year)


@pages.post("/quotas/import", dependencies=upload_requires(Capability.IMPORT_QUOTAS))
async def quota_import_form(request: Request, _size: SizeChecked, user: CurrentUser,
                            engine: EngineDep, settings: SettingsDep) -> Response:
    """Import a quota table from the page (administrators; all or nothing)."""
    try:
        content, name, fields = await read_upload(request, settings)
        for key in ("code", "title", "source"):
            if not fields.get(key, "").strip():
                raise ValidationFailed(f"缺少“{key}”", f"{key} is required", field=key)
        await run_in_threadpool(_saved, name, content, lambda path: quotas.import_table(
            engine, user, path, code=fields["code"][:40], title=fields["title"][:200],
            source=fields["source"][:500], max_bytes=settings.max_upload_bytes))
    except (ValidationFailed, NotFound, NotPermitted) as err:
        message = error_message(request, err)
        return await run_in_threadpool(
            lambda: _quotas_page(request, engine, user, settings, region=None, year=None,
                                 error=message, status_code=422))
    return RedirectResponse("/quotas", status_code=303)


@pages.post("/quotas/assign", dependencies=[requires(Capability.ASSIGN_QUOTAS)])
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
    except (ValidationFailed, NotFound, NotPermitted) as err:
        return _quotas_page(request, engine, user, settings, region=None, year=None,
                            error=error_message(request, err), status_code=422)
    return RedirectResponse(f"/quotas?region={quote(region_code.strip())}", status_code=303)


def _report(engine: Engine, user: User, settings: Settings, region: str | None,
            year: str | None) -> tuple[dict[str, Any], str]:
    code = region_for(engine, user, region)
    y = year_of(year) or date.today().year - 1
    data = annual_data(engine, user, region_code=code, year=y,
                       factor_set=settings.factor_set)
    return data, f"{code}-{y}"


@pages.get("/reports/annual.docx")
def annual_docx_download(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                         region: RegionQ = None, year: YearQ = None) -> Response:
    data, name = _report(engine, user, settings, region, year)
    return Response(annual_docx(data), media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"tongbao-{name}.docx\""})


@pages.get("/reports/annual.xlsx")
def annual_xlsx_download(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                         region: RegionQ = None, year: YearQ = None) -> Response:
    data, name = _report(engine, user, settings, region, year)
    return Response(annual_xlsx(data), media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"tongbao-{name}.xlsx\""})


# ---------------------------------------------------------------- JSON twins


class TargetIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=1990, le=2100)
    metric: str = Field(max_length=40)
    value: float = Field(description="a cap in the metric's unit, or a reduction fraction "
                                     "(0.011 = −1.1 %)")
    base_year: int | None = Field(default=None, ge=1990, le=2100)


class DecomposeIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=1990, le=2100)
    metric: str = Field(max_length=40)
    base_year: int | None = Field(default=None, ge=1990, le=2100)
    factors: dict[str, float] = Field(default_factory=dict, max_length=500)
    category_factors: dict[str, float] = Field(default_factory=dict, max_length=20)
    overrides: dict[str, float] = Field(default_factory=dict, max_length=500)
    save: bool = False


class LockIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=1990, le=2100)
    locked: bool = True


@api.get("/targets", response_model=TargetsOut)
def targets_api(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                region: RegionQ = None, year: YearQ = None) -> dict[str, Any]:
    """Targets of a region and its direct children for a year, the lock, and the
    progress of each (caps: actual to date, seasonal allowance, projection and range;
    reductions: change achieved vs required)."""
    return targets_data(engine, user, settings, region=region, year=year)


@api.post("/targets", dependencies=[requires(Capability.SET_TARGETS)], response_model=TargetOut)
def set_target_api(body: TargetIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Set or replace a target (管理机构 for the regions below its own; audited)."""
    return targets.set_target(engine, user, region_code=body.region_code, year=body.year,
                              metric=body.metric, value=body.value, base_year=body.base_year)


@api.post("/targets/decompose", dependencies=[requires(Capability.SET_TARGETS)],
          response_model=DecompositionOut)
def decompose_api(body: DecomposeIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Decompose the region's cap among its child regions (preview unless ``save``)."""
    fn = targets.decompose if body.save else targets.preview
    return fn(engine, user, region_code=body.region_code, year=body.year, metric=body.metric,
              base_year=body.base_year, factors=body.factors,
              category_factors=body.category_factors, overrides=body.overrides)


class LockOut(BaseModel):
    region_code: str
    year: int
    locked: bool


class AcknowledgedOut(BaseModel):
    id: int
    state: str


class TargetsImportedOut(BaseModel):
    file: str
    rows: int


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


@api.post("/targets/lock", dependencies=[requires(Capability.LOCK_TARGETS)],
          response_model=LockOut)
def lock_api(body: LockIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Lock (``locked``) or reopen the targets of a region's subtree for a year."""
    fn = targets.lock if body.locked else targets.reopen
    fn(engine, user, region_code=body.region_code, year=body.year)
    return {"region_code": body.region_code, "year": body.year, "locked": body.locked}


class QuotaMethodIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=1990, le=2100)
    save: bool = False


@api.post("/targets/quota-method", dependencies=[requires(Capability.SET_TARGETS)],
          response_model=QuotaPlanOut)
def quota_method_api(body: QuotaMethodIn, user: CurrentUser, engine: EngineDep
                     ) -> dict[str, Any]:
    """Institution targets by the quota rule of 《中央和国家机关能源资源消耗定额》 (above the
    约束值 −4 %, 基准值–约束值 −2 %, 引导值–基准值 hold, below the 引导值 ≤ +2 %): a preview
    unless ``save``."""
    return targets.quota_method(engine, user, region_code=body.region_code, year=body.year,
                                save=body.save)


@api.get("/targets/institutions", response_model=InstitutionTargetsOut)
def institution_targets_api(user: CurrentUser, engine: EngineDep, region: RegionQ = None,
                            year: YearQ = None) -> dict[str, Any]:
    """The institution-level targets of the region's subtree for a year, and their
    progress (change achieved so far against the same months of the base year)."""
    code, y = region_for(engine, user, region), _year(year)
    return {"region_code": code, "items": targets.institution_targets(
        engine, user, region_code=code, year=y),
            "progress": progress.institution_target_progress(engine, user, region_code=code,
                                                             year=y)}


@api.get("/targets/assessment", response_model=AssessmentOut)
def assessment_api(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                   region: RegionQ = None, year: YearQ = None, sort: SortQ = "region"
                   ) -> dict[str, Any]:
    """The year-end assessment (目标绩效考核) of the region's children, sorted by region
    code, or with the children that met all targets (``met``) or not (``unmet``) first."""
    return assessment_data(engine, user, settings, region=region, year=year, sort=sort)


class AlertEventOut(BaseModel):
    id: int
    alert_id: int
    at: datetime
    event: str
    channel: str | None
    detail: str | None


class AlertOut(BaseModel):
    id: int
    subject: str
    region_code: str
    institution_id: int | None
    year: int
    level: str
    state: str
    actual: float | None
    projected: float | None
    limit_value: float | None
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    escalated_at: datetime | None
    closed_at: datetime | None
    region_name: str
    level_zh: str
    level_en: str
    events: list[AlertEventOut]


class AlertsOut(BaseModel):
    region_code: str
    items: list[AlertOut]


@api.get("/alerts", response_model=AlertsOut)
def alerts_api(user: CurrentUser, engine: EngineDep, region: RegionQ = None,
               year: YearQ = None, closed: bool = False, institution: InstitutionQ = None
               ) -> dict[str, Any]:
    """Alerts of the region's subtree (open ones; ``closed`` for all; ``institution``:
    one institution's), each with its history of deliveries, escalation and
    acknowledgement."""
    return alerts_data(engine, user, region=region, year=year, closed=closed,
                       institution=institution)


@api.post("/alerts/{alert_id}/acknowledge", dependencies=[requires(Capability.ACKNOWLEDGE_ALERTS)],
          response_model=AcknowledgedOut)
def acknowledge_api(alert_id: AlertId, user: CurrentUser, engine: EngineDep
                    ) -> dict[str, Any]:
    """Acknowledge an open alert (stops its escalation; audited)."""
    alerts.acknowledge(engine, user, alert_id)
    return {"id": alert_id, "state": "acknowledged"}


@api.get("/quotas/positions", response_model=QuotaPositionsOut)
def quotas_api(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
               region: RegionQ = None, year: YearQ = None) -> dict[str, Any]:
    """Each institution's position against its assigned quotas (below 引导值 …
    above 约束值), and the counts per position."""
    return quotas_data(engine, user, settings, region=region, year=year)


# ---------------------------------------------------------------- sheets and quota assignment

_UPLOAD: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": ".xlsx or .csv"},
                       "code": {"type": "string"}, "title": {"type": "string"},
                       "source": {"type": "string"}}}}}}}


def _saved(name: str, content: bytes, run: Any) -> Any:
    """Run ``run(path)`` on the upload written to a private temporary file."""
    with tempfile.TemporaryDirectory(prefix="jieneng-upload-") as folder:
        path = FilePath(folder) / (FilePath(name).name or "upload.csv")
        path.write_bytes(content)
        return run(path)


@api.post("/targets/import", dependencies=upload_requires(Capability.SET_TARGETS),
          openapi_extra=_UPLOAD, response_model=TargetsImportedOut)
async def import_targets_api(request: Request, _size: SizeChecked, user: CurrentUser,
                             engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Import a targets sheet (行政区划代码, 年份, 指标, 目标值, 基准年), all or nothing."""
    content, name, _fields = await read_upload(request, settings)
    return dict(await run_in_threadpool(_saved, name, content, lambda path: (
        targets.import_targets(engine, user, path, max_bytes=settings.max_upload_bytes))))


@api.post("/quotas/import",
          dependencies=upload_requires(Capability.IMPORT_QUOTAS), openapi_extra=_UPLOAD,
          response_model=QuotasImportedOut)
async def import_quotas_api(request: Request, _size: SizeChecked, user: CurrentUser,
                            engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Import a quota standard's table (administrators), with form fields ``code``,
    ``title`` and ``source`` naming the standard."""
    content, name, fields = await read_upload(request, settings)
    for key in ("code", "title", "source"):
        if not fields.get(key, "").strip():
            raise ValidationFailed(f"缺少“{key}”", f"{key} is required", field=key)
    return dict(await run_in_threadpool(_saved, name, content, lambda path: (
        quotas.import_table(engine, user, path, code=fields["code"][:40],
                            title=fields["title"][:200], source=fields["source"][:500],
                            max_bytes=settings.max_upload_bytes))))


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
