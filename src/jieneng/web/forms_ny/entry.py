"""``/datacentre?institution=CODE&year=&month=`` (enter_data): an institution's rooms
with the period's figures and PUE (form or metered, the source shown), add a room,
enter a room's figures, the heating figures, bind a room's IT / total meter, upload a
file (template at ``/datacentre/template.xlsx?kind=``). A period whose reporting task
is submitted or approved is shown read-only with the task's state (``status``:
:func:`jieneng.services.entry.year.month_status`, as the NY201 form). JSON twin ``GET
/api/v1/datacentre``; ``POST /api/v1/datacentre/records`` saves a room's figures.
Services: :mod:`jieneng.services.forms_ny`."""

from __future__ import annotations

import re
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.ingest.templates import FORM_TEMPLATE_KINDS, write_template
from jieneng.services.entry.year import month_status
from jieneng.services.forms_ny import entry
from jieneng.services.forms_ny.imports import import_form
from jieneng.storage.institutions import get_institution_by_id
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render
from jieneng.web.uploads import SizeChecked, read_upload, saved_upload, upload_requires

from .common import ENTRY, NY202, NY203, UNITS_EN, CodeQ, MonthQ, YearQ, labelled, period_of
from .schemas import CountsOut, InstitutionFormsOut, RoomFiguresIn

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["datacentre"], responses=API_ERRORS)


def _own_code(engine: Engine, user: User) -> str:
    if user.institution_id is None or user.role.value != "institution":
        return ""
    with engine.connect() as conn:
        row = get_institution_by_id(conn, user.institution_id)
    return "" if row is None else row.credit_code


def _entry_context(request: Request, engine: Engine, user: User, code: str, year: int,
                   month: int) -> dict[str, Any]:
    code = code.strip().upper() or _own_code(engine, user)
    data = (entry.institution_forms(engine, user, code, year=year, month=month)
            if code else None)
    lang = domain_lang(lang_of(request))
    status = None
    if data is not None:
        data["rooms"] = labelled(lang, data["rooms"])
        status = month_status(engine, user, code, year, month)
    return {"code": code, "year": year, "month": month, "data": data, "status": status,
            "form": {},
            "errors": {}, "ny202": NY202, "ny203": NY203, "kinds": FORM_TEMPLATE_KINDS,
            "units_en": UNITS_EN,
            "can_import": user.can(Capability.IMPORT_DATA)}


def _entry_url(code: str, year: int, month: int, **extra: Any) -> str:
    tail = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"/datacentre?institution={code}&year={year}&month={month}{tail}"


@router.get("/datacentre", dependencies=[requires(Capability.ENTER_DATA)])
def datacentre_page(request: Request, user: CurrentUser, engine: EngineDep,
                    institution: CodeQ = "", year: YearQ = None, month: MonthQ = None,
                    saved: Annotated[str, Query(max_length=40)] = "") -> Response:
    y, m = period_of(year, month)
    try:
        context = _entry_context(request, engine, user, institution, y, m)
    except DomainError as err:
        return form_error(request, ENTRY, {"code": institution, "year": y, "month": m,
                                           "data": None, "form": {}, "errors": {},
                                           "ny202": NY202, "ny203": NY203,
                                           "kinds": FORM_TEMPLATE_KINDS, "units_en": UNITS_EN,
                                           "can_import": False}, err, at="institution")
    counts = re.fullmatch(r"(?:figures|heating)-(\d+)-(\d+)-(\d+)", saved)
    context["saved"] = saved
    context["counts"] = None if counts is None else dict(zip(
        ("inserted", "revised", "unchanged"), counts.groups(), strict=True))
    return render(request, ENTRY, context)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=60)
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _int(fields: dict[str, str], name: str) -> int:
    try:
        return int(fields.get(name, ""))
    except ValueError:
        raise ValidationFailed.of("forms_ny.bad_period", field=name) from None


#: the longest figure a room's or the heating form's field takes (a longer one is refused
#: as not a number); the fields carry it as ``maxlength``
NUMBER_MAX = 40


def _values(fields: dict[str, str], form_fields: tuple[Any, ...]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for f in form_fields:
        raw = fields.get(f.key, "").replace(",", "")
        if not raw:
            out[f.key] = None
            continue
        if len(raw) > NUMBER_MAX:
            raise ValidationFailed.of("forms_ny.not_a_number", field=f.key,
                                      value=raw[:NUMBER_MAX])
        try:
            out[f.key] = float(raw)
        except ValueError:
            raise ValidationFailed.of("forms_ny.not_a_number", field=f.key,
                                      value=raw[:40]) from None
    return out


async def _post(request: Request, engine: Engine, user: User, action: str) -> Response:
    fields = await _form(request)
    code = fields.get("institution", "")[:18]
    try:
        year, month = _int(fields, "year"), _int(fields, "month")
        if action == "room":
            await run_in_threadpool(entry.add_room, engine, user, code,
                                    code=fields.get("room_code", "")[:32],
                                    name=fields.get("room_name", "")[:200],
                                    status=fields.get("status", "existing"))
            done = "room"
        elif action == "figures":
            counts = await run_in_threadpool(
                lambda: entry.save_room_figures(engine, user, code,
                                                room_code=fields.get("room_code", "")[:32],
                                                year=year, month=month,
                                                values=_values(fields, NY202)))
            done = "figures-{inserted}-{revised}-{unchanged}".format(**counts)
        elif action == "heating":
            counts = await run_in_threadpool(
                lambda: entry.save_heating(engine, user, code, year=year, month=month,
                                           values=_values(fields, NY203)))
            done = "heating-{inserted}-{revised}-{unchanged}".format(**counts)
        else:
            await run_in_threadpool(
                lambda: entry.bind_room_meter(engine, user, code,
                                              room_code=fields.get("room_code", "")[:32],
                                              role=fields.get("role", ""),
                                              meter_number=fields.get("meter", "")[:64]))
            done = "meter"
    except DomainError as err:
        context: dict[str, Any] = {"code": code, "year": fields.get("year"),
                                   "month": fields.get("month"), "data": None,
                                   "form": fields, "errors": {}, "ny202": NY202,
                                   "ny203": NY203, "kinds": FORM_TEMPLATE_KINDS,
                                   "units_en": UNITS_EN,
                                   "can_import": user.can(Capability.IMPORT_DATA)}
        with suppress(DomainError, ValueError):
            context = {**await run_in_threadpool(
                _entry_context, request, engine, user, code, int(fields.get("year", "")),
                int(fields.get("month", ""))), "form": fields}
        return await run_in_threadpool(form_error, request, ENTRY, context, err)
    return RedirectResponse(_entry_url(code.upper(), year, month, saved=done),
                            status_code=303)


@router.post("/datacentre/rooms", dependencies=[requires(Capability.ENTER_DATA)])
async def datacentre_add_room(request: Request, user: CurrentUser,
                              engine: EngineDep) -> Response:
    return await _post(request, engine, user, "room")


@router.post("/datacentre/figures", dependencies=[requires(Capability.ENTER_DATA)])
async def datacentre_save_figures(request: Request, user: CurrentUser,
                                  engine: EngineDep) -> Response:
    return await _post(request, engine, user, "figures")


@router.post("/datacentre/heating", dependencies=[requires(Capability.ENTER_DATA)])
async def datacentre_save_heating(request: Request, user: CurrentUser,
                                  engine: EngineDep) -> Response:
    return await _post(request, engine, user, "heating")


@router.post("/datacentre/meters", dependencies=[requires(Capability.ENTER_DATA)])
async def datacentre_bind_meter(request: Request, user: CurrentUser,
                                engine: EngineDep) -> Response:
    return await _post(request, engine, user, "meter")


@router.post("/datacentre/import", dependencies=upload_requires(Capability.IMPORT_DATA))
async def datacentre_import(request: Request, _size: SizeChecked, user: CurrentUser,
                            engine: EngineDep, settings: SettingsDep) -> Response:
    y, m = period_of(None, None)
    context: dict[str, Any] = {"code": "", "year": y, "month": m, "data": None, "form": {},
                               "errors": {}, "ny202": NY202, "ny203": NY203,
                               "kinds": FORM_TEMPLATE_KINDS, "units_en": UNITS_EN,
                               "can_import": True}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        kind = fields.get("kind", "datacentre")
        context["form"] = {"kind": kind}  # the page again shows the kind chosen
        dry_run = fields.get("dry_run") == "1"
        report = await run_in_threadpool(
            saved_upload, name, content,
            lambda path: import_form(engine, kind, path, dry_run=dry_run, actor=user.actor,
                                     scope=user.scope, max_bytes=settings.max_upload_bytes))
        context["report"] = report.to_dict()
    except ImportRejected as err:
        status = 422
        context["rejected"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, ENTRY, context, err)
    return await run_in_threadpool(render, request, ENTRY, context, status_code=status)


@router.get("/datacentre/template.xlsx", dependencies=[requires(Capability.ENTER_DATA)])
def datacentre_template(user: CurrentUser, kind: Annotated[
        str, Query(pattern="^(datacentre|heating)$")] = "datacentre") -> Response:
    with tempfile.TemporaryDirectory(prefix="jieneng-template-") as folder:
        content = write_template(kind, Path(folder) / f"{kind}.xlsx").read_bytes()
    return xlsx_response(content, f"{kind}.xlsx", f"{kind}.xlsx")


@api.get("/datacentre", response_model=InstitutionFormsOut,
         dependencies=[requires(Capability.ENTER_DATA)])
def datacentre_json(user: CurrentUser, engine: EngineDep, institution: CodeQ = "",
                    year: YearQ = None, month: MonthQ = None) -> dict[str, Any]:
    """An institution's rooms with the period's NY202 figures and PUE, and its NY203."""
    code = institution.strip().upper() or _own_code(engine, user)
    if not code:
        raise ValidationFailed.of("metering.registry.institution_required",
                                  field="institution")
    y, m = period_of(year, month)
    return entry.institution_forms(engine, user, code, year=y, month=m)


@api.post("/datacentre/records", response_model=CountsOut, status_code=201,
          dependencies=[requires(Capability.ENTER_DATA)])
def datacentre_records_json(body: RoomFiguresIn, user: CurrentUser,
                            engine: EngineDep) -> dict[str, int]:
    """Save a room's NY202 figures of a period (checked as the form and the import)."""
    keys = {f.key for f in NY202}
    return entry.save_room_figures(engine, user, body.credit_code, room_code=body.room_code,
                                   year=body.year, month=body.month,
                                   values={k: v for k, v in body.values.items() if k in keys})
