"""Forms NY202 (data-centre rooms, 数据中心机房) and NY203 (heating, 采暖) in the web.

- ``/datacentre?institution=CODE&year=&month=`` (enter_data): an institution's rooms
  with the period's figures and PUE (form or metered, the source shown), add a room,
  enter a room's figures, the heating figures, bind a room's IT / total meter, upload
  a file (template at ``/datacentre/template.xlsx?kind=``). JSON twin
  ``GET /api/v1/datacentre``; ``POST /api/v1/datacentre/records`` saves a room's figures.
- ``/datacentre/summary?region=&year=&month=``: the review and summary view — every
  room inside the caller's scope with its PUE, the region's weighted PUE, the rooms
  above their target (listed and warned), the heating summary; JSON twin
  ``GET /api/v1/datacentre/summary``, Excel ``/datacentre/summary.xlsx`` (the house
  builder). ``target_new`` / ``target_existing`` set other PUE targets.

Services: :mod:`jieneng.services.forms_ny`.
"""

from __future__ import annotations

import re
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, ValidationFailed
from jieneng.core.forms_ny import DEFAULT_TARGETS, PueTargets, current
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.ingest.templates import FORM_TEMPLATE_KINDS, write_template
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.forms_ny import entry, summaries
from jieneng.services.forms_ny.imports import import_form
from jieneng.storage.institutions import get_institution_by_id
from jieneng.web.common import page, previous_month
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.templating import render
from jieneng.web.uploads import SizeChecked, read_upload, saved_upload, upload_requires

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["datacentre"], responses=API_ERRORS)
ENTRY = "pages/datacentre.html"
SUMMARY = "pages/datacentre_summary.html"
CodeQ = Annotated[str, Query(max_length=18, pattern=r"^[0-9A-Za-z]*$")]
RegionQ = Annotated[str, Query(max_length=12, pattern=r"^[0-9]*$")]
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
MonthQ = Annotated[int | None, Query(ge=0, le=12)]
TargetQ = Annotated[float | None, Query(gt=0, le=10)]
NY202 = current("NY202")
NY203 = current("NY203")

#: the columns of the rooms list (page, JSON and workbook read the same keys)
ROOM_COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "forms_ny.institution", "code"),
    Column("institution_name", "forms_ny.institution", names=("单位名称", "Institution")),
    Column("room_code", "forms_ny.room_code", "code"),
    Column("room_name", "forms_ny.room_name"),
    Column("status_label", "forms_ny.room_status"),
    Column("elec_total", "forms_ny.elec_total", "number", 0),
    Column("elec_it", "forms_ny.elec_it", "number", 0),
    Column("pue", "forms_ny.pue", "number", 2),
    Column("source_label", "forms_ny.pue_source"),
    Column("target", "forms_ny.target", "number", 2),
    Column("above_label", "forms_ny.above"),
)
#: the summary's rooms list: the kWh its PUE used (the meters' when the PUE is metered,
#: the form's otherwise) and where they come from, so a row's figures agree with its PUE
SUMMARY_ROOM_COLUMNS: tuple[Column, ...] = tuple(
    Column("total_used", "forms_ny.elec_total", "number", 0) if c.key == "elec_total"
    else Column("it_used", "forms_ny.elec_it", "number", 0) if c.key == "elec_it"
    else Column("source_label", "forms_ny.figures_source") if c.key == "source_label"
    else c for c in ROOM_COLUMNS)
HEATING_COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "forms_ny.institution", "code"),
    Column("institution_name", "forms_ny.institution", names=("单位名称", "Institution")),
    Column("heated_area", "forms_ny.heated_area", "number", 0),
    Column("area_independent", "forms_ny.area_independent", "number", 0),
    Column("area_central_by_area", "forms_ny.area_central_by_area", "number", 0),
    Column("area_central_by_heat", "forms_ny.area_central_by_heat", "number", 0),
    Column("heating_energy", "forms_ny.heating_energy", "number", 0),
    Column("energy_per_m2", "forms_ny.heating_per_m2", "number", 2),
)


#: the English of the forms' units (the forms write them in Chinese)
UNITS_EN = {"个": "count", "元": "yuan", "兆瓦": "MW", "千瓦": "kW", "千瓦时": "kWh", "升": "L",
            "吉焦": "GJ", "吨": "t", "吨/小时": "t/h", "吨标准煤": "tce", "天": "days",
            "平方米": "m²", "立方米": "m³"}


def _period(year: int | None, month: int | None) -> tuple[int, int]:
    last_year, last_month = previous_month()
    return (year or last_year, last_month if month is None else month)


def _targets(new: float | None, existing: float | None) -> PueTargets:
    return PueTargets(new=new or DEFAULT_TARGETS.new,
                      existing=existing or DEFAULT_TARGETS.existing)


def _own_code(engine: Engine, user: User) -> str:
    if user.institution_id is None or user.role.value != "institution":
        return ""
    with engine.connect() as conn:
        row = get_institution_by_id(conn, user.institution_id)
    return "" if row is None else row.credit_code


def _labelled(lang: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with the status, PUE source and above-target texts of ``lang``."""
    return [{**r,
             "status_label": text(lang, f"forms_ny.status.{r.get('room_status') or 'existing'}"),
             "source_label": (text(lang, f"forms_ny.source.{r['pue_source']}")
                              if r.get("pue_source") else ""),
             "above_label": text(lang, "forms_ny.above") if r.get("above") else ""}
            for r in rows]


def _entry_context(request: Request, engine: Engine, user: User, code: str, year: int,
                   month: int) -> dict[str, Any]:
    code = code.strip().upper() or _own_code(engine, user)
    data = (entry.institution_forms(engine, user, code, year=year, month=month)
            if code else None)
    lang = domain_lang(lang_of(request))
    if data is not None:
        data["rooms"] = _labelled(lang, data["rooms"])
    return {"code": code, "year": year, "month": month, "data": data, "form": {},
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
    y, m = _period(year, month)
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


def _values(fields: dict[str, str], form_fields: tuple[Any, ...]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for f in form_fields:
        raw = fields.get(f.key, "").replace(",", "")
        if not raw:
            out[f.key] = None
            continue
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
    y, m = _period(None, None)
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


# ---------------------------------------------------------------- summary and review

def _summary(request: Request, engine: Engine, user: User, region: str, year: int | None,
             month: int | None, target_new: float | None,
             target_existing: float | None) -> dict[str, Any]:
    if year is None and month is None:  # open on the latest period reported
        year, month = (summaries.latest_period(engine, user, region_code=region or None)
                       or (None, None))
    y, m = _period(year, month)
    data = summaries.summary(engine, user, region_code=region or None, year=y, month=m,
                             targets=_targets(target_new, target_existing))
    lang = domain_lang(lang_of(request))
    data["rooms"] = _labelled(lang, data["rooms"])
    data["above"] = _labelled(lang, data["above"])
    return data


@router.get("/datacentre/summary")
def datacentre_summary_page(request: Request, user: CurrentUser, engine: EngineDep,
                            region: RegionQ = "", year: YearQ = None, month: MonthQ = None,
                            target_new: TargetQ = None,
                            target_existing: TargetQ = None) -> Response:
    data = _summary(request, engine, user, region, year, month, target_new, target_existing)
    query = f"region={region}&year={data['period']['year']}&month={data['period']['month']}"
    return page(request, SUMMARY, {"data": data, "region": region,
                                   "columns": SUMMARY_ROOM_COLUMNS,
                                   "heating_columns": HEATING_COLUMNS,
                                   "export_href": f"/datacentre/summary.xlsx?{query}"})


@router.get("/datacentre/summary.xlsx")
def datacentre_summary_xlsx(request: Request, user: CurrentUser, engine: EngineDep,
                            region: RegionQ = "", year: YearQ = None, month: MonthQ = None,
                            target_new: TargetQ = None,
                            target_existing: TargetQ = None) -> Response:
    data = _summary(request, engine, user, region, year, month, target_new, target_existing)
    lang = workbook_lang(request)
    title = text(lang, "forms_ny.summary.title")
    p = data["period"]
    period = f"{p['year']}-{p['month']:02d}"
    totals = data["totals"]
    pue = "—" if totals["pue"] is None else f"{totals['pue']:.2f}"
    basis = f"{text(lang, 'forms_ny.weighted_pue')} {pue}"
    rooms = Sheet(text(lang, "forms_ny.rooms"), title, SUMMARY_ROOM_COLUMNS, data["rooms"],
                  notes=notes(engine, user, lang, count=len(data["rooms"]), period=period,
                              basis=basis, filters=(("forms_ny.region", region),)))
    above = Sheet(text(lang, "forms_ny.above_list"), text(lang, "forms_ny.above_list"),
                  SUMMARY_ROOM_COLUMNS, data["above"])
    heating = Sheet(text(lang, "forms_ny.heating_summary"),
                    text(lang, "forms_ny.heating_summary"), HEATING_COLUMNS,
                    data["heating_rows"])
    return xlsx_response(table_xlsx([rooms, above, heating], lang), f"{title}-{period}.xlsx",
                         "datacentre-summary.xlsx")


# ---------------------------------------------------------------- JSON

class RoomOut(BaseModel):
    room_id: int
    institution_id: int
    room_code: str
    room_name: str
    room_status: str = Field(description="new / existing (the platform's convention)")
    year: int | None = None
    month: int | None = Field(default=None, description="0 = annual report")
    area: float | None = None
    cabinets: int | None = None
    cabinets_reserved: int | None = None
    power_total: float | None = None
    power_it: float | None = None
    power_cooling: float | None = None
    power_distribution: float | None = None
    elec_total: float | None = Field(default=None, description="240 机房总用电量 kWh")
    elec_it: float | None = Field(default=None, description="2401 IT设备用电量 kWh")
    elec_cooling: float | None = None
    elec_distribution: float | None = None
    source: str | None = None
    revision: int | None = None
    pue_form: float | None = None
    pue_meter: float | None = None
    pue: float | None = Field(default=None, description="null when IT electricity is 0")
    pue_source: str | None = Field(default=None, description="meter / form")
    target: float | None = None
    above: bool | None = None
    meters: dict[str, str | None] = Field(default_factory=dict, description="role → meter")


class HeatingOut(BaseModel):
    institution_id: int
    year: int
    month: int
    heated_area: float | None = None
    area_independent: float | None = None
    area_central_by_area: float | None = None
    area_central_by_heat: float | None = None
    heating_days: int | None = None
    heating_energy: float | None = None
    energy_per_m2: float | None = None


class InstitutionRef(BaseModel):
    id: int
    credit_code: str
    name: str


class Period(BaseModel):
    year: int
    month: int


class InstitutionFormsOut(BaseModel):
    institution: InstitutionRef
    period: Period
    rooms: list[RoomOut]
    heating: HeatingOut | None


class SummaryRoomOut(RoomOut):
    credit_code: str
    institution_name: str
    region_code: str
    total_used: float | None = Field(default=None, description="机房总用电量 kWh its PUE "
                                     "used: the meters' when pue_source is meter, else 240")
    it_used: float | None = Field(default=None, description="IT设备用电量 kWh its PUE used")


class TotalsOut(BaseModel):
    rooms: int
    elec_total: float
    elec_it: float
    pue_rooms: int = Field(description="rooms whose PUE is defined")
    pue_total: float
    pue_it: float
    pue: float | None = Field(description="Σ total ÷ Σ IT over pue_rooms")


class TargetsOut(BaseModel):
    new: float
    existing: float
    source_new: str
    source_existing: str


class HeatingTotalsOut(BaseModel):
    institutions: int
    heated_area: float
    area_independent: float
    area_central_by_area: float
    area_central_by_heat: float
    heating_energy: float
    energy_per_m2: float | None


class SummaryHeatingOut(HeatingOut):
    credit_code: str
    institution_name: str


class SummaryOut(BaseModel):
    period: Period
    region_code: str | None
    targets: TargetsOut
    rooms: list[SummaryRoomOut]
    totals: TotalsOut
    above: list[SummaryRoomOut]
    heating: HeatingTotalsOut
    heating_rows: list[SummaryHeatingOut]


class RoomFiguresIn(BaseModel):
    credit_code: str = Field(max_length=18)
    room_code: str = Field(max_length=32)
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=0, le=12, description="0 = annual report")
    values: dict[str, float | None] = Field(description="field key → value (NY202)")


class CountsOut(BaseModel):
    inserted: int
    revised: int
    unchanged: int


@api.get("/datacentre", response_model=InstitutionFormsOut,
         dependencies=[requires(Capability.ENTER_DATA)])
def datacentre_json(user: CurrentUser, engine: EngineDep, institution: CodeQ = "",
                    year: YearQ = None, month: MonthQ = None) -> dict[str, Any]:
    """An institution's rooms with the period's NY202 figures and PUE, and its NY203."""
    code = institution.strip().upper() or _own_code(engine, user)
    if not code:
        raise ValidationFailed.of("metering.registry.institution_required",
                                  field="institution")
    y, m = _period(year, month)
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


@api.get("/datacentre/summary", response_model=SummaryOut)
def datacentre_summary_json(request: Request, user: CurrentUser, engine: EngineDep,
                            region: RegionQ = "", year: YearQ = None, month: MonthQ = None,
                            target_new: TargetQ = None,
                            target_existing: TargetQ = None) -> dict[str, Any]:
    """Rooms with PUE, the weighted region PUE, rooms above target, heating summary."""
    return _summary(request, engine, user, region, year, month, target_new, target_existing)
