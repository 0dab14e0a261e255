"""The metering registry of an institution: its utility accounts (户号) and meters.

Page ``/metering?institution=CODE`` (an institution's own account opens on its unit;
others type a credit code in their scope): the accounts with their bindings, the
meters with 分项, 倍率 and events, a form to bind an account and a bulk upload of the
registry file (dry run or import; template at ``/metering/template.csv``), forms to
add, replace and remove a meter and define a virtual meter (``POST /metering/meter``,
``/metering/replace``, ``/metering/remove``, ``/metering/virtual``) and a 抄表 form per
physical meter with its last reading (``POST /metering/reading``). A refused form
shows the page again with what was typed. JSON twins: ``GET /api/v1/metering?
institution=CODE``, ``POST /api/v1/metering/bindings``, ``POST
/api/v1/metering/readings/manual``. Services: :mod:`jieneng.services.metering`.
"""

from __future__ import annotations

import math
from contextlib import suppress
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import carrier as carrier_of
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.metering import item_codes
from jieneng.core.permissions import Capability
from jieneng.ingest.meters import template_csv
from jieneng.services.metering.imports import import_meters
from jieneng.services.metering.listing import institution_registry
from jieneng.services.metering.manual import last_readings, record_reading
from jieneng.services.metering.registry import (
    MeterSpec,
    add_meter,
    bind_account,
    define_virtual,
    remove_meter,
    replace_meter,
)
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
#: 分项 codes for the meter form's select: (code, 名称, name)
ITEMS = tuple((i.code, i.name_zh, i.name_en) for i in item_codes().values())
REGISTERS = ("cumulative", "interval")
Text = Annotated[str, Form(max_length=200)]
Short = Annotated[str, Form(max_length=64)]
CreditForm = Annotated[str, Form(max_length=18)]


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
    if registry:  # the English carrier names beside the Chinese (one institution's rows)
        for key in ("accounts", "meters"):
            registry[key] = [{**r, "carrier_en": carrier_of(r["carrier"]).name_en}
                             for r in registry[key]]
    last = last_readings(engine, user, code) if registry else {}
    return {**_blank(user), "code": code, "registry": registry, "last": last}


def _blank(user: User) -> dict[str, Any]:
    """What every rendering of the page holds besides the registry."""
    return {"code": "", "registry": None, "last": {}, "form": {}, "errors": {},
            "can_manage": user.can(Capability.MANAGE_METERING),
            "can_read": user.can(Capability.READ_METERS), "carriers": CARRIERS,
            "items": ITEMS, "registers": REGISTERS}


def _again(request: Request, engine: Engine, user: User, institution: str,
           form: dict[str, Any], err: DomainError, at: str) -> Response:
    """The page again after a refused form: the registry, what was typed, the message
    at the form (``at``)."""
    context: dict[str, Any] = {**_blank(user), "code": institution.strip().upper(),
                               "form": form}
    with suppress(DomainError):
        context.update(_context(engine, user, institution), form=form)
    return form_error(request, TEMPLATE, context, err, at=at)


def _back(institution: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/metering?institution={institution.strip().upper()}{anchor}",
                            status_code=303)


def _time(text: str, field: str) -> datetime:
    """A date-time typed in a form (``2025-12-01T09:00``; China time)."""
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise ValidationFailed.of("metering.form.bad_time", field=field,
                                  value=text[:40]) from None


def _number(text: str, field: str) -> float:
    """A number typed in a form (a full-width comma or spaces tolerated)."""
    try:
        value = float(text.strip().replace(",", "").replace("，", ""))
    except ValueError:
        raise ValidationFailed.of("metering.form.bad_number", field=field,
                                  value=text[:40]) from None
    if not math.isfinite(value):
        raise ValidationFailed.of("metering.form.bad_number", field=field, value=text[:40])
    return value


def _optional(text: str, field: str) -> float | None:
    return _number(text, field) if text.strip() else None


@router.get("/metering", dependencies=[requires(Capability.VIEW_METERING)])
def metering_page(request: Request, user: CurrentUser, engine: EngineDep,
                  institution: CodeQ = "") -> Response:
    try:
        context = _context(engine, user, institution)
    except DomainError as err:
        return form_error(request, TEMPLATE, {**_blank(user), "code": institution}, err,
                          at="institution")
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
        return _again(request, engine, user, institution, {
            "kind": "bind", "carrier": carrier, "account": account, "utility": utility},
            err, "account")
    return _back(institution)


@router.post("/metering/meter", dependencies=[requires(Capability.MANAGE_METERING)])
def metering_add(
    request: Request, user: CurrentUser, engine: EngineDep, institution: CreditForm,
    number: Short, carrier: Short, name: Text = "", item_code: Short = "", ct: Short = "1",
    pt: Short = "1", unit: Short = "", parent: Short = "",
    register_kind: Annotated[str, Form(alias="register", max_length=12)] = "cumulative",
    account: Short = "", installed_at: Short = "", initial: Short = "",
) -> Response:
    typed = {"kind": "add", "number": number, "name": name, "carrier": carrier,
             "item_code": item_code, "ct": ct, "pt": pt, "register": register_kind, "unit": unit,
             "parent": parent, "account": account, "installed_at": installed_at,
             "initial": initial}
    try:
        spec = MeterSpec(
            number=number, carrier=carrier, item_code=item_code.strip() or None,
            ct=_number(ct, "ct"), pt=_number(pt, "pt"), register=register_kind,
            unit=unit.strip() or None, parent=parent.strip() or None,
            account=account.strip() or None, name=name.strip() or None,
            installed_at=_time(installed_at, "installed_at") if installed_at.strip() else None,
            initial=_optional(initial, "initial"))
        add_meter(engine, user, institution, spec)
    except DomainError as err:
        return _again(request, engine, user, institution, typed, err, "add")
    return _back(institution, "#meters")


@router.post("/metering/replace", dependencies=[requires(Capability.MANAGE_METERING)])
def metering_replace(
    request: Request, user: CurrentUser, engine: EngineDep, institution: CreditForm,
    meter: Short, at: Short, final: Short, initial: Short, ct: Short = "", pt: Short = "",
) -> Response:
    typed = {"kind": "replace", "meter": meter, "at": at, "final": final,
             "initial": initial, "ct": ct, "pt": pt}
    try:
        replace_meter(engine, user, institution, meter, at=_time(at, "at"),
                      final=_number(final, "final"), initial=_number(initial, "initial"),
                      ct=_optional(ct, "ct"), pt=_optional(pt, "pt"))
    except DomainError as err:
        return _again(request, engine, user, institution, typed, err, "replace")
    return _back(institution, "#meters")


@router.post("/metering/remove", dependencies=[requires(Capability.MANAGE_METERING)])
def metering_remove(
    request: Request, user: CurrentUser, engine: EngineDep, institution: CreditForm,
    meter: Short, at: Short, final: Short,
) -> Response:
    typed = {"kind": "remove", "meter": meter, "at": at, "final": final}
    try:
        remove_meter(engine, user, institution, meter, at=_time(at, "at"),
                     final=_number(final, "final"))
    except DomainError as err:
        return _again(request, engine, user, institution, typed, err, "remove")
    return _back(institution, "#meters")


@router.post("/metering/virtual", dependencies=[requires(Capability.MANAGE_METERING)])
def metering_virtual(
    request: Request, user: CurrentUser, engine: EngineDep, institution: CreditForm,
    number: Short, carrier: Short, formula: Text, name: Text = "",
) -> Response:
    typed = {"kind": "virtual", "number": number, "carrier": carrier, "formula": formula,
             "name": name}
    try:
        define_virtual(engine, user, institution, number=number, carrier_text=carrier,
                       formula=formula, name=name.strip() or None)
    except DomainError as err:
        return _again(request, engine, user, institution, typed, err, "virtual")
    return _back(institution, "#meters")


@router.post("/metering/reading", dependencies=[requires(Capability.READ_METERS)])
def metering_reading(
    request: Request, user: CurrentUser, engine: EngineDep, institution: CreditForm,
    meter: Short, at: Short, value: Short, confirm: Short = "",
) -> Response:
    typed = {"kind": "reading", "meter": meter, "at": at, "value": value,
             "confirm": confirm}
    try:
        record_reading(engine, user, institution, meter, _time(at, "at"),
                       _number(value, "value"), confirm=confirm == "1")
    except DomainError as err:
        return _again(request, engine, user, institution, typed, err, "reading")
    return _back(institution, "#readings")


@router.post("/metering/import", dependencies=upload_requires(Capability.MANAGE_METERING))
async def metering_import(request: Request, _size: SizeChecked, user: CurrentUser,
                          engine: EngineDep, settings: SettingsDep) -> Response:
    context: dict[str, Any] = _blank(user)
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


class ManualReadingIn(BaseModel):
    credit_code: str = Field(max_length=18, description="统一社会信用代码")
    meter: str = Field(max_length=64, description="表号")
    at: datetime = Field(description="抄表时间; without a zone: China time")
    value: float = Field(description="累计示值 the register reading [register unit]")
    confirm: bool = Field(default=False, description="表计更换/回零: store a reading "
                          "below the last one")


class ManualReadingOut(BaseModel):
    meter_id: int
    institution: str
    meter: str
    time: str = Field(description="China time")
    value: float
    confirmed_lower: bool


@api.post("/metering/readings/manual", dependencies=[requires(Capability.READ_METERS)],
          status_code=201, response_model=ManualReadingOut)
def manual_reading_json(body: ManualReadingIn, user: CurrentUser,
                        engine: EngineDep) -> dict[str, Any]:
    """抄表: store a register reading typed for a meter without a feed (422 when before
    the install, not after the last reading, or below it without ``confirm``)."""
    return record_reading(engine, user, body.credit_code, body.meter, body.at, body.value,
                          confirm=body.confirm)
