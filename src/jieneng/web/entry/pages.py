"""The monthly form's pages (:mod:`jieneng.web.entry`): pick an institution and a
month, the form, check (htmx), save, withdraw a metered figure's override."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.directory import directory
from jieneng.services.entry import entry
from jieneng.services.entry import year as years
from jieneng.services.entry.entry_checks import EntryFinding, EntryValue
from jieneng.services.metering import overrides
from jieneng.services.workflow import next_task, notices
from jieneng.web.common import CreditCode, blank, page, previous_month
from jieneng.web.deps import EngineDep, WriterUser, requires
from jieneng.web.forms import WHOLE_FORM, form_error

from .common import MonthP, YearP

router = APIRouter(include_in_schema=False)
TEMPLATE = "pages/entry.html"
MAX_TEXT = 40


def values_from_form(form: Mapping[str, Any]) -> list[EntryValue]:
    """The form's lines (``v_<carrier>``, ``u_<carrier>``, ``c_<carrier>``) as
    entry values; a line with neither quantity nor cost is left out."""
    values = []
    for c in CARRIERS:
        # 覆盖 override of a metered figure: the value typed under it replaces the read-only one
        value = _field(form, f"o_{c.code}") or _field(form, f"v_{c.code}")
        cost = _field(form, f"c_{c.code}")
        if value is None and cost is None:
            continue
        values.append(EntryValue(c.code, value, _field(form, f"u_{c.code}"), cost))
    return values


def reasons_from_form(form: Mapping[str, Any]) -> dict[str, str]:
    """carrier → the reason typed with an override (``r_<carrier>`` beside ``o_<carrier>``)."""
    return {c.code: (_long(form, f"r_{c.code}") or "") for c in CARRIERS
            if _field(form, f"o_{c.code}") is not None}


def _long(form: Mapping[str, Any], name: str) -> str | None:
    raw = form.get(name)
    text = raw.strip()[:overrides.REASON_MAX] if isinstance(raw, str) else ""
    return text or None


def _field(form: Mapping[str, Any], name: str) -> str | None:
    raw = form.get(name)
    return blank(raw[:MAX_TEXT]) if isinstance(raw, str) else None


def _typed(form: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """What the user typed, to show it back unchanged."""
    if form is None:
        return {}
    return {c.code: {"value": _field(form, f"v_{c.code}") or "",
                     "unit": _field(form, f"u_{c.code}") or "",
                     "cost": _field(form, f"c_{c.code}") or ""} for c in CARRIERS}


def _by_field(findings: list[EntryFinding]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        out.setdefault(f.field, []).append(f.to_dict())
    return out


def form_context(
    engine: Engine, user: User, credit_code: str, year: int, month: int,
    *, form: Mapping[str, Any] | None = None, findings: list[EntryFinding] | None = None,
    confirm: bool = False, saved: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data = entry.entry_form(engine, user.scope, credit_code, year, month)
    found = findings or []
    return {
        # the banner: a return's reason, open questions (services.workflow.notices)
        "notices": notices.entry_notices(engine, user, credit_code, year, month),
        # the month's report: 上报 on the form, read-only while submitted or approved
        "status": years.month_status(engine, user, credit_code, year, month),
        "data": data, "typed": _typed(form), "findings": [f.to_dict() for f in found],
        "by_field": _by_field(found), "confirm": confirm, "saved": saved,
        "has_errors": any(f.severity == "error" for f in found),
    }


def render_form(
    request: Request, engine: Engine, user: User, credit_code: str, year: int, month: int,
    *, form: Mapping[str, Any] | None = None, findings: list[EntryFinding] | None = None,
    confirm: bool = False, saved: dict[str, Any] | None = None, status_code: int = 200,
) -> Response:
    context = form_context(engine, user, credit_code, year, month, form=form,
                           findings=findings, confirm=confirm, saved=saved)
    return page(request, TEMPLATE, context, status_code=status_code)


def submit(
    request: Request, engine: Engine, user: User, credit_code: str, year: int, month: int,
    form: Mapping[str, Any],
) -> Response:
    """Check, then save unless there are errors or unconfirmed warnings."""
    values = values_from_form(form)
    findings = entry.check_entry(engine, user.scope, credit_code, year, month, values)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        return render_form(request, engine, user, credit_code, year, month, form=form,
                           findings=findings, status_code=422)
    if findings and form.get("confirm") != "1":
        return render_form(request, engine, user, credit_code, year, month, form=form,
                           findings=findings, confirm=True)
    try:
        result = entry.save_entry(engine, user.scope, credit_code, year, month, values,
                                  actor=user.actor, reasons=reasons_from_form(form))
    except DomainError as err:  # e.g. a month already approved: the form again, as the twin
        context = form_context(engine, user, credit_code, year, month, form=form,
                               findings=findings)
        return form_error(request, TEMPLATE, context, err, at=WHOLE_FORM)
    target = (f"/entry/{credit_code}/{year}/{month}?saved={result['inserted']}"
              f"-{result['revised']}-{result['unchanged']}")
    return RedirectResponse(target, status_code=303)


def _saved(text: str | None) -> dict[str, int] | None:
    parts = (text or "").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return dict(zip(("inserted", "revised", "unchanged"), map(int, parts), strict=True))


@router.get("/entry")
def entry_start(
    request: Request, user: WriterUser, engine: EngineDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Choose an institution (searching my scope); each opens on its oldest open task
    (returned, then overdue, then due), else its latest task, else last month. The
    caller's own oldest open task (of the units it files for) is named on top."""
    found = directory.search_institutions(engine, user.scope, q=blank(q), per_page=20)
    year, month = previous_month()
    tasks = next_task.first_tasks(engine, found["items"])
    return page(request, "pages/entry_start.html",
                {"data": found, "q": q or "", "year": year, "month": month, "tasks": tasks,
                 "urgent": next_task.my_first_task(engine, user)})


@router.get("/entry/{credit_code}/{year}/{month}")
def entry_page(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    user: WriterUser, engine: EngineDep,
    saved: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return render_form(request, engine, user, credit_code, year, month, saved=_saved(saved))


@router.post("/entry/{credit_code}/{year}/{month}/check",
             dependencies=[requires(Capability.ENTER_DATA)])
async def entry_check_form(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    user: WriterUser, engine: EngineDep,
) -> Response:
    """The findings partial (htmx): what saving would warn about, nothing stored."""
    form = await request.form()
    values = values_from_form(form)
    findings = await run_in_threadpool(
        entry.check_entry, engine, user.scope, credit_code, year, month, values)
    context = {"findings": [f.to_dict() for f in findings], "confirm": bool(findings),
               "has_errors": any(f.severity == "error" for f in findings), "checked": True}
    return await run_in_threadpool(page, request, "pages/_entry_findings.html", context)


@router.post("/entry/{credit_code}/{year}/{month}", dependencies=[requires(Capability.ENTER_DATA)])
async def entry_save_form(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    user: WriterUser, engine: EngineDep,
) -> Response:
    form = await request.form()
    return await run_in_threadpool(submit, request, engine, user, credit_code, year, month,
                                   form)


@router.post("/entry/{credit_code}/{year}/{month}/metered/{carrier}/clear",
             dependencies=[requires(Capability.ENTER_DATA)])
def entry_clear_override(
    request: Request, credit_code: CreditCode, year: YearP, month: MonthP,
    carrier: Annotated[str, Path(max_length=32)], user: WriterUser, engine: EngineDep,
) -> Response:
    """Withdraw the override of a metered figure: back to the metered value."""
    try:
        overrides.clear_override(engine, user, credit_code, year, month, carrier)
    except DomainError as err:
        context = form_context(engine, user, credit_code, year, month)
        return form_error(request, TEMPLATE, context, err, at=WHOLE_FORM)
    return RedirectResponse(f"/entry/{credit_code}/{year}/{month}", status_code=303)
