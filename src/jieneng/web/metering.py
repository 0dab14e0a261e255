"""The metering registry of an institution: its utility accounts (户号) and meters.

Page ``/metering?institution=CODE`` (an institution's own account opens on its unit;
others type a credit code in their scope): the accounts with their bindings, the
meters with 分项, 倍率 and events, a form to bind an account and a bulk upload of the
registry file (dry run or import; template at ``/metering/template.csv``). JSON twin:
``GET /api/v1/metering?institution=CODE``, ``POST /api/v1/metering/bindings``.
Services: :mod:`jieneng.services.metering`.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as carrier_of
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.ingest.meters import template_csv
from jieneng.services.metering.imports import import_meters
from jieneng.services.metering.listing import institution_registry
from jieneng.services.metering.registry import bind_account
from jieneng.storage.institutions import get_institution_by_id
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render
from jieneng.web.uploads import SizeChecked, read_upload, saved_upload, upload_requires

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["metering"], responses=API_ERRORS)
TEMPLATE = "pages/metering.html"
CodeQ = Annotated[str, Query(max_length=18, pattern=r"^[0-9A-Za-z]*$")]
#: the carriers an account may be of (grid, water, gas, heat companies)
CARRIERS = tuple((c.code, c.name_zh, c.name_en) for c in (
    carrier_of("electricity"), carrier_of("water"), carrier_of("natural_gas"),
    carrier_of("heat")))


def _own_code(engine: Engine, user: User) -> str:
    """An institution account's own credit code ('' for others)."""
    if user.role.value != "institution" or user.institution_id is None:
        return ""
    with engine.connect() as conn:
        row = get_institution_by_id(conn, user.institution_id)
    return "" if row is None else row.credit_code


def _context(engine: Engine, user: User, code: str) -> dict[str, Any]:
    code = code.strip().upper() or _own_code(engine, user)
    registry = institution_registry(engine, user, code, history=True) if code else None
    return {"code": code, "registry": registry, "form": {}, "errors": {},
            "can_manage": user.can(Capability.MANAGE_METERING), "carriers": CARRIERS}


@router.get("/metering", dependencies=[requires(Capability.VIEW_METERING)])
def metering_page(request: Request, user: CurrentUser, engine: EngineDep,
                  institution: CodeQ = "") -> Response:
    try:
        context = _context(engine, user, institution)
    except DomainError as err:
        return form_error(request, TEMPLATE, {"code": institution, "registry": None,
                                              "form": {}, "errors": {}, "can_manage": False,
                                              "carriers": CARRIERS},
                          err, at="institution")
    return render(request, TEMPLATE, context)


@router.get("/metering/template.csv", dependencies=[requires(Capability.VIEW_METERING)])
def metering_template(user: CurrentUser) -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''metering-template.csv"})


@router.post("/metering/bind", dependencies=[requires(Capability.MANAGE_METERING)])
def metering_bind(
    request: Request, user: CurrentUser, engine: EngineDep,
    institution: Annotated[str, Form(max_length=18)],
    carrier: Annotated[str, Form(max_length=32)],
    account: Annotated[str, Form(max_length=64)],
    valid_from: Annotated[date, Form()],
    utility: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        bind_account(engine, user, credit_code=institution, carrier_text=carrier,
                     number=account, valid_from=valid_from, utility=utility.strip() or None)
    except DomainError as err:
        context = {"code": institution, "registry": None, "errors": {},
                   "carriers": CARRIERS, "can_manage": True,
                   "form": {"carrier": carrier, "account": account, "utility": utility}}
        with suppress(DomainError):
            context["registry"] = institution_registry(engine, user, institution,
                                                       history=True)
        return form_error(request, TEMPLATE, context, err, at="account")
    return RedirectResponse(f"/metering?institution={institution.strip().upper()}",
                            status_code=303)


@router.post("/metering/import", dependencies=upload_requires(Capability.MANAGE_METERING))
async def metering_import(request: Request, _size: SizeChecked, user: CurrentUser,
                          engine: EngineDep, settings: SettingsDep) -> Response:
    context: dict[str, Any] = {"code": "", "registry": None, "form": {}, "errors": {},
                               "can_manage": True, "carriers": CARRIERS}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        context["code"] = fields.get("institution", "")[:18]
        dry_run = fields.get("dry_run") == "1"
        report = await run_in_threadpool(
            saved_upload, name, content,
            lambda path: import_meters(engine, user, path, dry_run=dry_run,
                                       max_bytes=settings.max_upload_bytes))
        context["report"] = report.to_dict()
    except ImportRejected as err:
        status = 422
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, TEMPLATE, context, err)
    return await run_in_threadpool(render, request, TEMPLATE, context, status_code=status)


class InstitutionRef(BaseModel):
    id: int
    credit_code: str
    name: str


class AccountOut(BaseModel):
    account_id: int
    carrier: str
    carrier_zh: str
    number: str = Field(description="户号")
    utility: str | None
    name: str | None
    valid_from: str
    valid_to: str | None


class EventOut(BaseModel):
    kind: str = Field(description="install / replace / remove")
    time: str = Field(description="China time")
    final: float | None
    initial: float | None


class MeterOut(BaseModel):
    meter_id: int
    number: str
    name: str | None
    carrier: str
    carrier_zh: str
    item_code: str | None = Field(description="分项编码")
    register_kind: str | None = Field(alias="register", description="cumulative / interval")
    unit: str | None
    parent: str | None
    account: str | None
    status: str
    formula: str | None
    virtual: bool
    ct: float
    pt: float
    multiplier: float | None = Field(description="倍率 of the current register")
    events: list[EventOut]


class RegistryOut(BaseModel):
    institution: InstitutionRef
    accounts: list[AccountOut]
    meters: list[MeterOut]


class BindingOut(BaseModel):
    binding_id: int
    account: str
    carrier: str
    institution: str
    valid_from: str
    created: bool


class BindingIn(BaseModel):
    credit_code: str = Field(max_length=18, description="统一社会信用代码")
    carrier: str = Field(max_length=32, description="能源品种 电 / 水 / 天然气 or code")
    account: str = Field(max_length=64, description="户号")
    valid_from: date = Field(description="绑定日期")
    utility: str | None = Field(default=None, max_length=100, description="供能单位")


@api.get("/metering", response_model=RegistryOut,
         dependencies=[requires(Capability.VIEW_METERING)])
def metering_json(user: CurrentUser, engine: EngineDep, institution: CodeQ = "",
                  history: bool = False) -> dict[str, Any]:
    """An institution's accounts and meters (inside the caller's scope; an institution
    account's own without ``institution``)."""
    code = institution.strip().upper() or _own_code(engine, user)
    if not code:
        raise ValidationFailed.of("metering.registry.institution_required",
                                  field="institution")
    return institution_registry(engine, user, code, history=history)


@api.post("/metering/bindings", dependencies=[requires(Capability.MANAGE_METERING)],
          status_code=201, response_model=BindingOut)
def metering_bind_json(body: BindingIn, user: CurrentUser,
                       engine: EngineDep) -> dict[str, Any]:
    """Bind an account to an institution (409 when bound to another one)."""
    return bind_account(engine, user, credit_code=body.credit_code, carrier_text=body.carrier,
                        number=body.account, valid_from=body.valid_from,
                        utility=body.utility)
