"""Targets (双控目标): set, decompose, lock, and their progress.

The page ``/targets`` (targets of a region and its children with their progress — 本级,
the region's own units, as a row of its own once a decomposition saved its share;
forms to set a target, preview or save a decomposition, lock and reopen, institution
targets by the quota rule); JSON twins ``/api/v1/targets`` (+ ``/decompose``,
``/lock``, ``/quota-method``, ``/institutions``, ``/import``): the same service calls,
so the same numbers. The year-end assessment is :mod:`.assessment`. Who may write is
decided by :mod:`jieneng.services.targets.targets`; a refused form shows the page
again with the status its JSON twin answers (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.statistics.selection import FORMULAS
from jieneng.services.targets import progress, targets
from jieneng.settings import Settings
from jieneng.web.common import (
    RegionQ,
    YearQ,
    field_labels,
    form_number,
    page,
    region_for,
    year_of,
)
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.targets.schemas import (
    DecompositionOut,
    InstitutionTargetsOut,
    QuotaPlanOut,
    TargetOut,
    TargetsOut,
)
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["targets"], responses=API_ERRORS)
TEMPLATE = "pages/targets.html"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METRICS = (*targets.CAP_METRICS, *targets.REDUCTION_METRICS)


def _year(year: str | None) -> int:
    """The year asked for, or this year (targets are set for the year under way)."""
    return year_of(year) or chinatime.today().year


def targets_data(engine: Engine, user: User, settings: Settings, *, region: str | None,
                 year: str | None) -> dict[str, Any]:
    code, y = region_for(engine, user, region), _year(year)
    data = targets.list_for(engine, user, region_code=code, year=y)
    data["progress"] = progress.region_progress(
        engine, user, region_code=code, year=y, factor_set=settings.factor_set)["items"]
    return data


def _context(engine: Engine, user: User, settings: Settings, *, region: str | None,
             year: str | None, form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"data": targets_data(engine, user, settings, region=region, year=year),
            "metrics": METRICS, "preview": None, "error": None, "form": form or {},
            "names": {k: FORMULAS[k] for k in METRICS}}


def _refused_context(engine: Engine, user: User, settings: Settings, *, region: str,
                     year: str, form: dict[str, str]) -> dict[str, Any]:
    """The page beside a refused form: the region typed, or — when that region is not
    one the caller may see — the caller's own (the refusal itself says why)."""
    try:
        return _context(engine, user, settings, region=region, year=year, form=form)
    except NotFound:
        return _context(engine, user, settings, region=None, year=year, form=form)


# ---------------------------------------------------------------- pages
@router.get("/targets")
def targets_page(request: Request, user: CurrentUser, engine: EngineDep,
                 settings: SettingsDep, region: RegionQ = None, year: YearQ = None
                 ) -> Response:
    return page(request, TEMPLATE, _context(engine, user, settings, region=region, year=year))


def _back(region: str, year: int) -> RedirectResponse:
    return RedirectResponse(f"/targets?region={quote(region)}&year={year}", status_code=303)


@router.post("/targets", dependencies=[requires(Capability.SET_TARGETS)])
def set_target_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    metric: Annotated[str, Form(max_length=40)], value: Annotated[str, Form(max_length=30)],
    back: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Set a target (a reduction is entered in %, e.g. 1.1 for −1.1 %)."""
    form = {"metric": metric, "value": value}
    try:
        number = form_number(value, "value")
        if metric in targets.REDUCTION_METRICS:
            number /= 100.0
        targets.set_target(engine, user, region_code=region_code, year=year, metric=metric,
                           value=number)
    except DomainError as err:
        context = _refused_context(engine, user, settings, region=back or region_code,
                                   year=str(year), form=form)
        return form_error(request, TEMPLATE, context, err)
    return _back(back or region_code, year)


def form_pairs(text: str, field: str) -> dict[str, float]:
    """``450321=0.9`` pairs, one per line or separated by ``,`` / ``；`` (a form's
    factors or overrides); ValidationFailed naming the bad pair."""
    out: dict[str, float] = {}
    for part in text.replace("，", ",").replace("；", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValidationFailed.of("web.invalid_pairs", text=part.strip(), field=field,
                                      values=field_labels(field))
        out[key.strip()] = form_number(value, field)
    return out


FACTOR_PREFIX, OVERRIDE_PREFIX = "factor_", "override_"
#: the longest factor / override the decomposition table reads (a longer one is left
#: out); the table's inputs carry it as ``maxlength``
CHILD_INPUT_MAX = 30


async def child_inputs(request: Request) -> dict[str, str]:
    """The decomposition table's inputs (one factor and one override per child, named
    ``factor_<code>`` / ``override_<code>``; 本级 under the parent's own code), as typed."""
    form = await request.form()
    return {k: str(v) for k, v in form.items()
            if k.startswith((FACTOR_PREFIX, OVERRIDE_PREFIX)) and len(k) <= 20
            and isinstance(v, str) and len(v) <= CHILD_INPUT_MAX}


ChildInputs = Annotated[dict[str, str], Depends(child_inputs)]


def table_numbers(inputs: dict[str, str], prefix: str, field: str) -> dict[str, float]:
    """``{child code: number}`` of the table's non-empty inputs named ``<prefix><code>``."""
    return {key[len(prefix):]: form_number(value, field) for key, value in inputs.items()
            if key.startswith(prefix) and value.strip()}


@router.post("/targets/decompose", dependencies=[requires(Capability.SET_TARGETS)])
def decompose_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    inputs: ChildInputs,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    metric: Annotated[str, Form(max_length=40)],
    save: Annotated[str, Form(max_length=5)] = "",
    category_factors: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Preview (default) or save the decomposition of the region's cap among its child
    regions and its own units (本级): a factor and an override per child, typed in the
    table (one input each), and optional per-category factors (``01=1.1``)."""
    form = {"metric": metric, "category_factors": category_factors, **inputs}
    try:
        fn = targets.decompose if save else targets.preview
        plan = fn(engine, user, region_code=region_code, year=year, metric=metric,
                  factors=table_numbers(inputs, FACTOR_PREFIX, "factors"),
                  category_factors=form_pairs(category_factors, "category_factors"),
                  overrides=table_numbers(inputs, OVERRIDE_PREFIX, "overrides"))
    except DomainError as err:
        context = _refused_context(engine, user, settings, region=region_code,
                                   year=str(year), form=form)
        return form_error(request, TEMPLATE, context, err)
    if save:
        return _back(region_code, year)
    context = _context(engine, user, settings, region=region_code, year=str(year), form=form)
    return page(request, TEMPLATE, {**context, "preview": plan})


@router.post("/targets/lock", dependencies=[requires(Capability.LOCK_TARGETS)])
def lock_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    reopen: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Lock (or reopen) the targets of the region's subtree for the year."""
    form: dict[str, str] = {}
    try:
        (targets.reopen if reopen else targets.lock)(engine, user, region_code=region_code,
                                                      year=year)
    except DomainError as err:
        context = _refused_context(engine, user, settings, region=region_code,
                                   year=str(year), form=form)
        return form_error(request, TEMPLATE, context, err)
    return _back(region_code, year)


@router.post("/targets/quota-method", dependencies=[requires(Capability.SET_TARGETS)])
def quota_method_form(
    request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
    region_code: Annotated[str, Form(max_length=6)], year: Annotated[int, Form(ge=1990, le=2100)],
    save: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Preview (default) or save institution targets by the quota rule."""
    form: dict[str, str] = {}
    try:
        plan = targets.quota_method(engine, user, region_code=region_code, year=year,
                                    save=bool(save))
    except DomainError as err:
        context = _refused_context(engine, user, settings, region=region_code,
                                   year=str(year), form=form)
        return form_error(request, TEMPLATE, context, err)
    if save:
        return _back(region_code, year)
    context = _context(engine, user, settings, region=region_code, year=str(year))
    return page(request, TEMPLATE, {**context, "quota_plan": plan})


# ---------------------------------------------------------------- JSON twins
class TargetIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=1990, le=2100)
    metric: str = Field(max_length=40)
    value: float = Field(description="a cap in the metric's unit, or a reduction fraction "
                                     "(0.011 = −1.1 %)")
    base_year: int | None = Field(default=None, ge=1990, le=2100)


class DecomposeIn(BaseModel):
    """``factors`` and ``overrides`` map a child's code to a number; the parent's own
    code stands for its own units (本级)."""

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


class TargetsImportedOut(BaseModel):
    file: str
    rows: int


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


@api.post("/targets/import", dependencies=upload_requires(Capability.SET_TARGETS),
          openapi_extra=UPLOAD_BODY, response_model=TargetsImportedOut)
async def import_targets_api(request: Request, _size: SizeChecked, user: CurrentUser,
                             engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Import a targets sheet (行政区划代码, 年份, 指标, 目标值, 基准年), all or nothing."""
    content, name, _fields = await read_upload(request, settings)
    return dict(await run_in_threadpool(saved_upload, name, content, lambda path: (
        targets.import_targets(engine, user, path, max_bytes=settings.max_upload_bytes))))
