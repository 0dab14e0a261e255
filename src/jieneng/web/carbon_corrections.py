"""Correcting and withdrawing carbon records on their pages, and the local points rules:

- ``POST /carbon/events/{event_id}/correct`` (the event's details and activity rows),
  ``…/withdraw``; ``POST /carbon/events/{event_id}/offsets/{offset_id}/correct``,
  ``…/withdraw`` — forms on the event's page (:mod:`jieneng.web.carbon`);
- ``/carbon/points/entries`` — the ledger entries (one institution, staff member, month)
  with a correct and a withdraw form each; ``POST /carbon/points/entries/{entry_id}/
  correct``, ``…/withdraw``;
- ``GET /carbon/points/rules.csv`` (the rules in force or ``?version=``), ``POST
  /carbon/points/rules`` (an administrator loads a local variant, dry run possible) —
  on the points page (:mod:`jieneng.web.carbon_points`).

Each has its JSON twin under ``/api/v1``. A refusal shows the page again with what was
typed and the message at the form. Services: :mod:`jieneng.services.carbon.corrections`
and :mod:`jieneng.services.carbon.rules`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carbon.events import modes
from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.permissions import Capability
from jieneng.services.carbon.corrections import (
    correct_entry,
    correct_event,
    correct_offset,
    latest_entry_month,
    ledger_entries,
    withdraw_entry,
    withdraw_event,
    withdraw_offset,
)
from jieneng.services.carbon.events import EventSpec
from jieneng.services.carbon.points import period_bounds
from jieneng.services.carbon.rules import export_rules, load_rules
from jieneng.web.carbon import (
    DETAIL,
    EventFields,
    detail_context,
    event_data,
    form_number,
    spec_of,
)
from jieneng.web.carbon_points import PAGE as POINTS
from jieneng.web.carbon_points import _context as points_context
from jieneng.web.carbon_points import _params as points_params
from jieneng.web.carbon_schemas import (
    EntriesOut,
    EntryCorrectedOut,
    EventDetailOut,
    OffsetCorrectedOut,
    RulesLoadOut,
    WithdrawnDoneOut,
)
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    rejected,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["carbon"], responses=API_ERRORS)
NEEDS = [requires(Capability.RECORD_CARBON)]
ADMIN = [requires(Capability.FACTOR_SETS)]
ENTRIES = "carbon/entries.html"
IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]
Reason = Annotated[str, Form(max_length=500)]
InstitutionQ = Annotated[str, Query(max_length=18, pattern=r"^[0-9A-Za-z]{0,18}$")]
StaffQ = Annotated[str, Query(max_length=40)]
MonthQ = Annotated[str, Query(max_length=7, pattern=r"^(\d{4}-\d{2})?$")]
VersionQ = Annotated[int | None, Query(ge=0, le=2**31 - 1)]
#: the most entries one listing shows
LIMIT = 500


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


# ---------------------------------------------------------------- an event


def _event_spec(form: dict[str, str]) -> EventSpec:
    return spec_of({**form, "credit_code": form.get("credit_code", "")})


@router.post("/carbon/events/{event_id}/correct", dependencies=NEEDS)
async def event_correct(request: Request, user: CurrentUser, engine: EngineDep,
                        settings: SettingsDep, event_id: IdP) -> Response:
    raw = await request.form(max_fields=len(modes()) + 20)
    form = {k: str(v)[:2000] for k, v in raw.items() if isinstance(v, str)}
    try:
        await run_in_threadpool(lambda: correct_event(
            engine, user, event_id, _event_spec(form), form.get("reason", ""),
            default_factor_set=settings.factor_set))
    except DomainError as err:
        ctx = await run_in_threadpool(detail_context, engine, user, _lang(request), event_id,
                                      settings.factor_set)
        ctx["fix"] = form
        return await run_in_threadpool(form_error, request, DETAIL, ctx, err, at="correct")
    return RedirectResponse(f"/carbon/events/{event_id}?done=corrected", status_code=303)


@router.post("/carbon/events/{event_id}/withdraw", dependencies=NEEDS)
def event_withdraw(request: Request, user: CurrentUser, engine: EngineDep,
                   settings: SettingsDep, event_id: IdP, reason: Reason = "") -> Response:
    try:
        withdraw_event(engine, user, event_id, reason)
    except DomainError as err:
        ctx = detail_context(engine, user, _lang(request), event_id, settings.factor_set)
        ctx["withdraw_form"] = {"reason": reason}
        return form_error(request, DETAIL, ctx, err, at="withdraw")
    return RedirectResponse("/carbon/events?done=withdrawn#withdrawn-events", status_code=303)


class EventFixIn(EventFields):
    """The event as corrected (activity rows left out are removed) and why."""

    reason: str = Field(max_length=500, description="why (required; kept in the audit)")


class ReasonIn(BaseModel):
    reason: str = Field(max_length=500, description="why (required; kept in the audit)")


@api.post("/carbon/events/{event_id}/correct", response_model=EventDetailOut,
          dependencies=NEEDS)
def event_correct_json(body: EventFixIn, user: CurrentUser, engine: EngineDep,
                       settings: SettingsDep, event_id: IdP) -> dict[str, Any]:
    """Correct the event's details and activity rows; answers its new result."""
    fields = body.model_dump(exclude={"reason"})
    correct_event(engine, user, event_id, EventSpec(credit_code="", **fields), body.reason,
                  default_factor_set=settings.factor_set)
    return event_data(engine, user, event_id, settings.factor_set)


@api.post("/carbon/events/{event_id}/withdraw", response_model=WithdrawnDoneOut,
          dependencies=NEEDS)
def event_withdraw_json(body: ReasonIn, user: CurrentUser, engine: EngineDep,
                        event_id: IdP) -> dict[str, Any]:
    """Withdraw the event (kept with who, when and why; out of every list and total)."""
    return withdraw_event(engine, user, event_id, body.reason)


# ---------------------------------------------------------------- an offset


@router.post("/carbon/events/{event_id}/offsets/{offset_id}/correct", dependencies=NEEDS)
def offset_correct(request: Request, user: CurrentUser, engine: EngineDep,
                   settings: SettingsDep, event_id: IdP, offset_id: IdP,
                   kind: Annotated[str, Form(max_length=32)] = "",
                   quantity_t: Annotated[str, Form(max_length=30)] = "",
                   description: Annotated[str, Form(max_length=500)] = "",
                   reason: Reason = "") -> Response:
    try:
        correct_offset(engine, user, event_id, offset_id, kind=kind,
                       quantity_t=form_number(quantity_t, "quantity_t"),
                       description=description, reason=reason)
    except DomainError as err:
        ctx = detail_context(engine, user, _lang(request), event_id, settings.factor_set)
        ctx["offset_fix"] = {"id": offset_id, "kind": kind, "quantity_t": quantity_t,
                             "description": description, "reason": reason}
        return form_error(request, DETAIL, ctx, err, at=f"offset-{offset_id}")
    return RedirectResponse(f"/carbon/events/{event_id}?done=corrected#offsets",
                            status_code=303)


@router.post("/carbon/events/{event_id}/offsets/{offset_id}/withdraw", dependencies=NEEDS)
def offset_withdraw(request: Request, user: CurrentUser, engine: EngineDep,
                    settings: SettingsDep, event_id: IdP, offset_id: IdP,
                    reason: Reason = "") -> Response:
    try:
        withdraw_offset(engine, user, event_id, offset_id, reason)
    except DomainError as err:
        ctx = detail_context(engine, user, _lang(request), event_id, settings.factor_set)
        ctx["offset_fix"] = {"id": offset_id, "withdraw_reason": reason}
        return form_error(request, DETAIL, ctx, err, at=f"offset-{offset_id}")
    return RedirectResponse(f"/carbon/events/{event_id}?done=withdrawn#offsets",
                            status_code=303)


class OffsetFixIn(BaseModel):
    kind: str = Field(max_length=32)
    quantity_t: float = Field(description="[tCO₂] > 0")
    description: str = Field(default="", max_length=500)
    reason: str = Field(max_length=500, description="why (required; kept in the audit)")


@api.post("/carbon/events/{event_id}/offsets/{offset_id}/correct",
          response_model=OffsetCorrectedOut, dependencies=NEEDS)
def offset_correct_json(body: OffsetFixIn, user: CurrentUser, engine: EngineDep,
                        event_id: IdP, offset_id: IdP) -> dict[str, Any]:
    """Correct an offset's kind, quantity and description (its evidence stays)."""
    return correct_offset(engine, user, event_id, offset_id, kind=body.kind,
                          quantity_t=body.quantity_t, description=body.description,
                          reason=body.reason)


@api.post("/carbon/events/{event_id}/offsets/{offset_id}/withdraw",
          response_model=WithdrawnDoneOut, dependencies=NEEDS)
def offset_withdraw_json(body: ReasonIn, user: CurrentUser, engine: EngineDep,
                         event_id: IdP, offset_id: IdP) -> dict[str, Any]:
    """Withdraw an offset (kept with its evidence; out of Σ offsets)."""
    return withdraw_offset(engine, user, event_id, offset_id, body.reason)


# ---------------------------------------------------------------- ledger entries


def entries_data(engine: Engine, user: User, *, institution: str = "", staff: str = "",
                 month: str = "") -> dict[str, Any]:
    """The ledger entries of a month (default: the latest with entries) inside the
    caller's scope."""
    start, end, label = period_bounds(month or latest_entry_month(engine, user), None)
    items = ledger_entries(engine, user, institution_code=institution or None,
                           staff_code=staff.strip() or None, start=start, end=end,
                           limit=LIMIT)
    return {"period": {"label": label, "start": start.isoformat(), "end": end.isoformat()},
            "items": items, "total": len(items), "limit": LIMIT}


def _entries_context(engine: Engine, user: User, params: dict[str, str]) -> dict[str, Any]:
    return {"data": entries_data(engine, user, **params), "params": params, "fix": {},
            "errors": {}}


@router.get("/carbon/points/entries")
def entries_page(request: Request, user: CurrentUser, engine: EngineDep,
                 institution: InstitutionQ = "", staff: StaffQ = "", month: MonthQ = ""
                 ) -> Response:
    params = {"institution": institution, "staff": staff, "month": month}
    return render_page(request, ENTRIES, _entries_context(engine, user, params))


@api.get("/carbon/points/entries", response_model=EntriesOut)
def entries_json(user: CurrentUser, engine: EngineDep, institution: InstitutionQ = "",
                 staff: StaffQ = "", month: MonthQ = "") -> dict[str, Any]:
    """The ledger entries of ``month`` (default: the latest month with entries) inside
    the caller's scope,
    withdrawn ones marked; at most 500."""
    return entries_data(engine, user, institution=institution, staff=staff, month=month)


def _back(form: dict[str, str]) -> dict[str, str]:
    return {k: form.get(k, "")[:40] for k in ("institution", "staff", "month")}


def _entries_href(params: dict[str, str], entry_id: int, done: str) -> str:
    query = "".join(f"{k}={quote(v)}&" for k, v in params.items() if v)
    return f"/carbon/points/entries?{query}done={done}#entry-{entry_id}"


@router.post("/carbon/points/entries/{entry_id}/correct", dependencies=NEEDS)
async def entry_correct(request: Request, user: CurrentUser, engine: EngineDep,
                        settings: SettingsDep, entry_id: IdP) -> Response:
    form = {k: str(v)[:500] for k, v in (await request.form(max_fields=20)).items()
            if isinstance(v, str)}
    params = _back(form)
    try:
        await run_in_threadpool(lambda: correct_entry(
            engine, user, entry_id, form_number(form.get("quantity", ""), "quantity"),
            form.get("reason", ""), default_factor_set=settings.factor_set))
    except DomainError as err:
        ctx = await run_in_threadpool(_safe_entries, engine, user, params)
        ctx["fix"] = {"id": entry_id, **form}
        return await run_in_threadpool(form_error, request, ENTRIES, ctx, err,
                                       at=f"entry-{entry_id}")
    return RedirectResponse(_entries_href(params, entry_id, "corrected"), status_code=303)


@router.post("/carbon/points/entries/{entry_id}/withdraw", dependencies=NEEDS)
async def entry_withdraw(request: Request, user: CurrentUser, engine: EngineDep,
                         entry_id: IdP) -> Response:
    form = {k: str(v)[:500] for k, v in (await request.form(max_fields=20)).items()
            if isinstance(v, str)}
    params = _back(form)
    try:
        await run_in_threadpool(withdraw_entry, engine, user, entry_id,
                                form.get("reason", ""))
    except DomainError as err:
        ctx = await run_in_threadpool(_safe_entries, engine, user, params)
        ctx["fix"] = {"id": entry_id, "withdraw_reason": form.get("reason", "")}
        return await run_in_threadpool(form_error, request, ENTRIES, ctx, err,
                                       at=f"entry-{entry_id}")
    return RedirectResponse(_entries_href(params, entry_id, "withdrawn"), status_code=303)


def _safe_entries(engine: Engine, user: User, params: dict[str, str]) -> dict[str, Any]:
    """The listing behind a refused form (its filters as posted; an unreadable filter
    falls back to this month's entries)."""
    try:
        return _entries_context(engine, user, params)
    except DomainError:
        return _entries_context(engine, user, {"institution": "", "staff": "", "month": ""})


class EntryFixIn(BaseModel):
    quantity: float = Field(ge=0, description="in the rule's unit")
    reason: str = Field(max_length=500, description="why (required; kept in the audit)")


@api.post("/carbon/points/entries/{entry_id}/correct", response_model=EntryCorrectedOut,
          dependencies=NEEDS)
def entry_correct_json(body: EntryFixIn, user: CurrentUser, engine: EngineDep,
                       settings: SettingsDep, entry_id: IdP) -> dict[str, Any]:
    """Correct an entry's quantity; scored again with the rules of its version."""
    return correct_entry(engine, user, entry_id, body.quantity, body.reason,
                         default_factor_set=settings.factor_set)


@api.post("/carbon/points/entries/{entry_id}/withdraw", response_model=WithdrawnDoneOut,
          dependencies=NEEDS)
def entry_withdraw_json(body: ReasonIn, user: CurrentUser, engine: EngineDep,
                        entry_id: IdP) -> dict[str, Any]:
    """Withdraw an entry (kept; out of every total and leaderboard)."""
    return withdraw_entry(engine, user, entry_id, body.reason)


# ---------------------------------------------------------------- local points rules


@router.get("/carbon/points/rules.csv")
def rules_export(user: CurrentUser, engine: EngineDep, version: VersionQ = None
                 ) -> Response:
    number, content = export_rules(engine, user, version)
    return Response(content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''"
                               f"carbon-point-rules-v{number}.csv"})


def _load(engine: Any, user: User, name: str, content: bytes, dry_run: bool) -> Any:
    return saved_upload(name, content, lambda path: load_rules(
        engine, user, path, dry_run=dry_run, max_bytes=len(content) + 1))


@router.post("/carbon/points/rules", dependencies=upload_requires(Capability.FACTOR_SETS))
async def rules_load(request: Request, _size: SizeChecked, user: CurrentUser,
                     engine: EngineDep, settings: SettingsDep) -> Response:
    lang, status = _lang(request), 200
    params = points_params("", "", "", "")
    extra: dict[str, Any] = {}
    try:
        content, name, fields = await read_upload(request, settings)
        extra["rules_form"] = {"dry_run": fields.get("dry_run") == "1"}
        made = await run_in_threadpool(_load, engine, user, name, content,
                                       fields.get("dry_run") == "1")
        extra["rules_report"] = made.to_dict()
    except ImportRejected as err:
        status = 422
        found = rejected(request, err)
        extra.update({"rules_error": found["error"], "rules_issues": found["issues"]})
    except DomainError as err:
        ctx = await run_in_threadpool(points_context, engine, user, lang, params)
        return await run_in_threadpool(form_error, request, POINTS, ctx, err, at="rules")
    ctx = await run_in_threadpool(points_context, engine, user, lang, params)
    return await run_in_threadpool(render_page, request, POINTS, {**ctx, **extra},
                                   status_code=status)


@api.post("/carbon/points/rules", response_model=RulesLoadOut,
          dependencies=upload_requires(Capability.FACTOR_SETS), openapi_extra=UPLOAD_BODY)
async def rules_load_json(request: Request, _size: SizeChecked, user: CurrentUser,
                          engine: EngineDep, settings: SettingsDep, dry_run: bool = False
                          ) -> dict[str, Any]:
    """Load local points rules (.xlsx/.csv, the columns of ``rules.csv``): all or nothing
    (422 with every issue by sheet, row and column); a file equal to the rules in force
    stores nothing (``unchanged``)."""
    content, name, _fields = await read_upload(request, settings)
    made = await run_in_threadpool(_load, engine, user, name, content, dry_run)
    return dict(made.to_dict())


__all__ = ["entries_data"]
