"""Event carbon calculator (大型活动/会议碳中和), issue 14 §6: ``/carbon/events`` (the
list and the form of a new event), ``/carbon/events/{event_id}`` (inputs, result by
source with the factors and their sources, offsets, net, 碳中和) and the offset form
with its evidence; JSON twins under ``/api/v1/carbon/…``; the list's workbook
``/carbon/events.xlsx``. Services: :mod:`jieneng.services.carbon.events`. Writes need
``record_carbon``; setting a factor the references lack needs ``factor_sets``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carbon.events import CATEGORIES, OFFSET_KINDS, modes
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.carbon_document import events_xlsx
from jieneng.services.accounts.users import home_region
from jieneng.services.carbon.corrections import withdrawn_events, withdrawn_of_event
from jieneng.services.carbon.events import (
    EventSpec,
    add_offset,
    create_event,
    get_event,
    get_evidence,
    list_events,
)
from jieneng.services.carbon.factors import factor_table, set_factor
from jieneng.storage.institutions import get_institution_by_id
from jieneng.web.carbon_schemas import (
    CreatedOut,
    EventDetailOut,
    EventListOut,
    FactorSetOut,
    OffsetCreatedOut,
)
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_date, form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import SizeChecked

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["carbon"], responses=API_ERRORS)
LIST, DETAIL = "carbon/events.html", "carbon/event.html"
NEEDS = [requires(Capability.RECORD_CARBON)]
IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$")]
Short = Annotated[str, Form(max_length=200)]
#: the form's fields besides one quantity per mode (``q_<mode>``)
FIELDS = ("credit_code", "name", "place", "start_date", "end_date", "attendees", "note")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _own_code(engine: Engine, user: User) -> str:
    if user.institution_id is None:
        return ""
    with engine.connect() as conn:
        row = get_institution_by_id(conn, user.institution_id)
    return "" if row is None else str(row.credit_code)


def _factors(engine: Engine, user: User, lang: str, default: str | None
             ) -> list[dict[str, Any]]:
    region = home_region(engine, user) or "450300"
    return factor_table(engine, region, date.today().year, lang, default_factor_set=default)


def events_data(engine: Engine, user: User, lang: str, *, region: str = "",
                default_factor_set: str | None = None) -> dict[str, Any]:
    """The caller's events with totals, and the modes with their factors (page, twin
    and workbook)."""
    items = list_events(engine, user, region_code=region or None,
                        default_factor_set=default_factor_set)
    return {"items": items, "total": len(items),
            "factors": _factors(engine, user, lang, default_factor_set),
            "withdrawn": withdrawn_events(engine, user)}


def _groups(factors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"category": c, "modes": [f for f in factors if f["category"] == c]}
            for c in CATEGORIES]


def _list_context(engine: Engine, user: User, lang: str, region: str, default: str | None,
                  form: dict[str, str] | None = None) -> dict[str, Any]:
    data = events_data(engine, user, lang, region=region, default_factor_set=default)
    return {"data": data, "groups": _groups(data["factors"]), "params": {"region": region},
            "form": form or {"credit_code": _own_code(engine, user)}, "errors": {},
            "export_href": "/carbon/events.xlsx" + (f"?region={region}" if region else "")}


@router.get("/carbon/events")
def events_page(request: Request, user: CurrentUser, engine: EngineDep,
                settings: SettingsDep, region: RegionQ = "") -> Response:
    return render_page(request, LIST, _list_context(engine, user, _lang(request), region,
                                                    settings.factor_set))


@api.get("/carbon/events", response_model=EventListOut)
def events_json(request: Request, user: CurrentUser, engine: EngineDep,
                settings: SettingsDep, region: RegionQ = "") -> dict[str, Any]:
    """The caller's events (inside ``region`` when given) with emissions by source,
    offsets, net and 碳中和; and every mode with its factor and source."""
    return events_data(engine, user, _lang(request), region=region,
                       default_factor_set=settings.factor_set)


@router.get("/carbon/events.xlsx")
def events_xlsx_download(request: Request, user: CurrentUser, engine: EngineDep,
                         settings: SettingsDep, region: RegionQ = "") -> Response:
    lang = workbook_lang(request)
    items = list_events(engine, user, region_code=region or None,
                        default_factor_set=settings.factor_set)
    content = events_xlsx(items, lang=lang, notes=notes(
        engine, user, lang, count=len(items), filters=(("pages.region", region),)))
    return xlsx_response(content, f"{text(lang, 'carbon.web.events_title')}.xlsx",
                         "carbon-events.xlsx")


def form_number(raw: str, fld: str) -> float:
    cleaned = raw.strip().replace(",", "").replace("，", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("carbon_number_invalid", field=fld, value=raw[:30]) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed.of("carbon_number_invalid", field=fld, value=raw[:30])
    return value


def spec_of(form: dict[str, str]) -> EventSpec:
    """The event typed in the form (numbers and dates parsed here)."""
    attendees = form.get("attendees", "").strip()
    if not attendees.isdigit():
        raise ValidationFailed.of("carbon_event_attendees", field="attendees",
                                  value=attendees[:12])
    lines = {m.code: form_number(form[f"q_{m.code}"], m.code) for m in modes()
             if form.get(f"q_{m.code}", "").strip()}
    return EventSpec(credit_code=form.get("credit_code", ""), name=form.get("name", ""),
                     start_date=form_date(form.get("start_date"), "start_date", required=True),
                     end_date=form_date(form.get("end_date"), "end_date", required=True),
                     attendees=int(attendees), place=form.get("place", ""),
                     note=form.get("note", ""), lines=lines)


@router.post("/carbon/events", dependencies=NEEDS)
async def event_create(request: Request, user: CurrentUser, engine: EngineDep,
                       settings: SettingsDep) -> Response:
    raw = await request.form(max_fields=len(modes()) + 20)
    form = {k: str(v)[:2000] for k, v in raw.items() if isinstance(v, str)}
    try:
        made = await run_in_threadpool(create_event, engine, user, spec_of(form),
                                       default_factor_set=settings.factor_set)
    except DomainError as err:
        ctx = await run_in_threadpool(_list_context, engine, user, _lang(request), "",
                                      settings.factor_set, form)
        return form_error(request, LIST, ctx, err)
    return RedirectResponse(f"/carbon/events/{made['event']['id']}?done=recorded",
                            status_code=303)


class EventFields(BaseModel):
    """An event's details and activity rows, as recorded and as corrected."""

    name: str = Field(max_length=200)
    start_date: date
    end_date: date
    attendees: int = Field(ge=1, le=1_000_000)
    place: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=2000)
    lines: dict[str, float] = Field(default_factory=dict, description=(
        "every activity row: mode → quantity in the mode's unit (GET /api/v1/carbon/events "
        "lists the modes)"))


class EventIn(EventFields):
    credit_code: str = Field(max_length=18, description="统一社会信用代码 of the organiser")


@api.post("/carbon/events", status_code=201, response_model=CreatedOut, dependencies=NEEDS)
def event_create_json(body: EventIn, user: CurrentUser, engine: EngineDep,
                      settings: SettingsDep) -> dict[str, Any]:
    """Record an event with its activity data; 422 naming a mode without a factor."""
    made = create_event(engine, user, EventSpec(**body.model_dump()),
                        default_factor_set=settings.factor_set)
    event_id = int(made["event"]["id"])
    return {"id": event_id, "url": f"/carbon/events/{event_id}", "total_t": made["total_t"],
            "neutral": made["neutral"]}


# ---------------------------------------------------------------- one event


def event_data(engine: Engine, user: User, event_id: int, default: str | None
               ) -> dict[str, Any]:
    """The event's result with its withdrawn offsets (page and twin)."""
    data = get_event(engine, user, event_id, default_factor_set=default)
    return {**data, "withdrawn_offsets": withdrawn_of_event(engine, user, event_id)}


def fix_form(data: dict[str, Any]) -> dict[str, str]:
    """The correction form filled with the event as stored."""
    e = data["event"]
    form = {k: "" if e[k] is None else str(e[k]) for k in FIELDS if k != "credit_code"}
    form.update({f"q_{line['code']}": f"{line['quantity']:g}" for line in data["lines"]})
    return form


def detail_context(engine: Engine, user: User, lang: str, event_id: int,
                    default: str | None) -> dict[str, Any]:
    data = event_data(engine, user, event_id, default)
    labels = {m.code: (m.label_zh if lang != "en" else m.label_en,
                       m.unit_zh if lang != "en" else m.unit) for m in modes()}
    return {"data": data, "labels": labels, "kinds": OFFSET_KINDS, "form": {},
            "errors": {}, "categories": CATEGORIES, "fix": fix_form(data),
            "groups": _groups(_factors(engine, user, lang, default))}


@router.get("/carbon/events/{event_id}")
def event_page(request: Request, user: CurrentUser, engine: EngineDep,
               settings: SettingsDep, event_id: IdP) -> Response:
    ctx = detail_context(engine, user, _lang(request), event_id, settings.factor_set)
    ctx["done"] = request.query_params.get("done", "")[:20]
    return render_page(request, DETAIL, ctx)


@api.get("/carbon/events/{event_id}", response_model=EventDetailOut)
def event_json(user: CurrentUser, engine: EngineDep, settings: SettingsDep,
               event_id: IdP) -> dict[str, Any]:
    """The event: inputs, tCO₂ by source with each line's factor and source, offsets,
    net and 碳中和."""
    data = event_data(engine, user, event_id, settings.factor_set)
    return {**data, "event": {k: v for k, v in data["event"].items()}}


async def _offset_form(request: Request, max_bytes: int
                       ) -> tuple[dict[str, str], str | None, bytes | None, str | None]:
    form = await request.form(max_files=1, max_fields=20)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("evidence") or form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(max_bytes + 1)
            return fields, upload.filename, content, upload.content_type
        return fields, None, None, None
    finally:
        await form.close()


def _offset(engine: Engine, user: User, event_id: int, fields: dict[str, str],
            name: str | None, content: bytes | None, ctype: str | None) -> dict[str, Any]:
    return add_offset(engine, user, event_id, kind=fields.get("kind", ""),
                      quantity_t=form_number(fields.get("quantity_t", ""), "quantity_t"),
                      description=fields.get("description", ""), file_name=name,
                      content=content, content_type=ctype)


@router.post("/carbon/events/{event_id}/offsets", dependencies=NEEDS)
async def offset_create(request: Request, _size: SizeChecked, user: CurrentUser,
                        engine: EngineDep, settings: SettingsDep, event_id: IdP) -> Response:
    fields, name, content, ctype = await _offset_form(request, settings.max_upload_bytes)
    try:
        await run_in_threadpool(_offset, engine, user, event_id, fields, name, content, ctype)
    except DomainError as err:
        ctx = await run_in_threadpool(detail_context, engine, user, _lang(request), event_id,
                                      settings.factor_set)
        ctx["form"] = fields
        return form_error(request, DETAIL, ctx, err, at="offset")
    return RedirectResponse(f"/carbon/events/{event_id}?done=offset#offsets", status_code=303)


@api.post("/carbon/events/{event_id}/offsets", status_code=201,
          response_model=OffsetCreatedOut, dependencies=NEEDS)
async def offset_create_json(request: Request, _size: SizeChecked, user: CurrentUser,
                             engine: EngineDep, settings: SettingsDep, event_id: IdP
                             ) -> dict[str, Any]:
    """Record an offset (multipart: ``kind``, ``quantity_t`` [tCO₂], ``description``,
    ``evidence`` — pdf, jpg, png, ofd, docx or xlsx up to 20 MB)."""
    fields, name, content, ctype = await _offset_form(request, settings.max_upload_bytes)
    return await run_in_threadpool(_offset, engine, user, event_id, fields, name, content,
                                   ctype)


@router.get("/carbon/events/{event_id}/offsets/{offset_id}")
def offset_evidence(user: CurrentUser, engine: EngineDep, event_id: IdP,
                    offset_id: IdP) -> Response:
    doc = get_evidence(engine, user, event_id, offset_id)
    name = str(doc["file_name"])
    ascii_name = "evidence." + name.rsplit(".", 1)[-1].lower()
    return Response(doc["content"], media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"",
        "X-Content-Type-Options": "nosniff"})


@router.post("/carbon/factors", dependencies=[requires(Capability.FACTOR_SETS)])
def factor_set_form(request: Request, user: CurrentUser, engine: EngineDep,
                    settings: SettingsDep, mode: Annotated[str, Form(max_length=40)],
                    value: Annotated[str, Form(max_length=30)] = "",
                    source: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Set (or, empty, clear) the factor of a mode the references give none for."""
    try:
        set_factor(engine, user, mode, form_number(value, "value") if value.strip() else None,
                   source)
    except DomainError as err:
        ctx = _list_context(engine, user, _lang(request), "", settings.factor_set)
        ctx["factor_form"] = {"mode": mode, "value": value, "source": source}
        return form_error(request, LIST, ctx, err)
    return RedirectResponse("/carbon/events?done=factor#event-factors", status_code=303)


class FactorIn(BaseModel):
    value: float | None = Field(description="[kgCO₂ per unit of the mode]; null clears")
    source: str = Field(default="", max_length=1000, description="where the value comes "
                        "from (a published guideline, with its clause)")


@api.put("/carbon/factors/{mode}", response_model=FactorSetOut,
         dependencies=[requires(Capability.FACTOR_SETS)])
def factor_set_json(body: FactorIn, user: CurrentUser, engine: EngineDep,
                    mode: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    """Set the factor of a mode the references give none for (administrators)."""
    return set_factor(engine, user, mode, body.value, body.source)


__all__ = ["event_data", "events_data", "fix_form", "form_number", "spec_of"]
