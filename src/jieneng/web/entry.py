"""Data entry (数据填报): the monthly form of one institution.

``GET /entry`` picks an institution and a month; ``GET /entry/{code}/{year}/{month}``
shows every carrier with its unit selector and cost, the previous month and the
same month last year beside each input; ``POST …/check`` (htmx) returns the
findings before saving; ``POST …`` saves. A save whose figures jump beyond the
thresholds is shown back with the warnings and asks for confirmation first;
invalid values are shown beside their field and nothing is stored. Only roles
that may write reach these pages (:data:`jieneng.web.deps.WriterUser`); the
session's CSRF token is checked on every POST by the same dependency.

A figure filled from metering shows "来自计量" with its source and is read-only; "覆盖
override" takes another value with a reason (``o_<carrier>``, ``r_<carrier>``), and
``POST …/metered/{carrier}/clear`` withdraws an override (back to the metered figure).

JSON twin: ``/api/v1/entry/{code}/{year}/{month}`` (``GET`` the form's data, ``POST``
``…/check`` and ``POST`` save), below. A refused save shows the form again with what
was typed and the status the twin answers (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
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
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import WHOLE_FORM, form_error
from jieneng.web.schemas import StoredBriefOut

router = APIRouter(include_in_schema=False)
TEMPLATE = "pages/entry.html"
api = APIRouter(prefix="/api/v1", tags=["entry"], responses=API_ERRORS)

YearP = Annotated[int, Path(ge=1900, le=2200, description="年 year")]
MonthP = Annotated[int, Path(ge=1, le=12, description="月 month")]
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


# ---------------------------------------------------------------- JSON twin
class EntryLine(BaseModel):
    """One carrier's figure as typed: quantity, unit (default: the form unit), cost [元]."""

    carrier: str = Field(max_length=40, examples=["electricity"])
    value: float | str | None = Field(default=None, examples=["12,345"])
    unit: str | None = Field(default=None, max_length=20, examples=["万kWh"])
    cost_yuan: float | str | None = Field(default=None, examples=[9800])
    reason: str | None = Field(default=None, max_length=500,
                               description="覆盖原因 why a metered figure is overridden")


class EntryIn(BaseModel):
    values: list[EntryLine] = Field(max_length=50)


def _values(body: EntryIn) -> list[EntryValue]:
    return [EntryValue(v.carrier, _short(v.value), v.unit, _short(v.cost_yuan))
            for v in body.values]


def _short(value: float | str | None) -> float | str | None:
    return value[:40] if isinstance(value, str) else value


class EntryInstitutionOut(BaseModel):
    credit_code: str = Field(description="统一社会信用代码 credit code")
    name: str = Field(description="单位名称 name")
    region_code: str = Field(description="行政区划代码 region code")
    status: str = Field(description="状态 status (在用, …)")


class PeriodRefOut(BaseModel):
    year: int
    month: int


class ThresholdsOut(BaseModel):
    mom: float = Field(description="环比 jump warning above this fraction of the previous month")
    yoy: float = Field(description="同比 jump warning above this fraction of last year's month")


class EntryOverrideOut(BaseModel):
    quantity: float = Field(description="the value entered instead")
    metered_quantity: float | None = Field(description="the metered value overridden")
    reason: str
    by: str
    at: str | None


class EntryMeteredOut(BaseModel):
    """来自计量: the month's metered figure of a carrier and where it came from."""

    quantity: float = Field(description="metered quantity in the canonical unit")
    origin: str = Field(description="accounts (户号) or meters (计量表)")
    completeness: float | None = Field(description="share of the expected data received")
    source_zh: str
    source_en: str
    applied: bool = Field(description="the stored figure is the metered one")
    differs: bool = Field(description="the stored figure differs from the metered one")
    shown: bool
    override: EntryOverrideOut | None = Field(description="覆盖 the open override, if any")


class EntryFieldOut(BaseModel):
    """One carrier of the form, with what is stored for the month (None: nothing)."""

    carrier: str = Field(examples=["electricity"])
    name_zh: str
    name_en: str
    form_field: str
    unit: str = Field(description="canonical unit")
    unit_zh: str
    accepted_units: list[str] = Field(description="units accepted, canonical first")
    vehicle: bool = Field(description="a vehicle fuel (车辆用油)")
    counts_in_energy: bool = Field(description="counted in 综合能耗 energy use")
    value: str | None = Field(description="the stored figure as typed")
    unit_entered: str | None = Field(description="the stored unit as typed")
    quantity: float | None = Field(description="stored quantity in the canonical unit")
    cost_yuan: float | None = Field(description="stored cost [元]")
    revision: int | None = Field(description="修订号 revision of the stored record")
    source: str | None = Field(description="manual, file, meter, grid or demo")
    recorded_at: str | None = Field(description="when the stored record was written (ISO)")
    previous_month: StoredBriefOut | None = Field(description="上月 the previous month's record")
    same_month_last_year: StoredBriefOut | None = Field(description="去年同月 record")
    metered: EntryMeteredOut | None = Field(
        default=None, description="来自计量 the month's metered figure, None: not metered")


class EntryQuestionOut(BaseModel):
    id: int
    month: int
    carrier: str
    carrier_zh: str
    carrier_en: str
    question: str
    asked_by: str | None
    asked_at: str


class EntryReturnOut(BaseModel):
    action: str = Field(description="return, dept_return or reopen")
    reason: str | None
    by: str | None
    at: str


class EntryNoticeOut(BaseModel):
    """A task covering the month that asks something of the filer (the form's banner)."""

    task_id: int
    state: str
    kind: str
    period: str
    period_label: str
    deadline: str
    link: str
    returned: EntryReturnOut | None = Field(description="sent back and not submitted since")
    questions: list[EntryQuestionOut] = Field(description="unanswered questions of the month")


class EntryFormOut(BaseModel):
    institution: EntryInstitutionOut
    year: int
    month: int
    previous_period: PeriodRefOut
    last_year_period: PeriodRefOut
    thresholds: ThresholdsOut
    fields: list[EntryFieldOut] = Field(description="every carrier, in form order")
    notices: list[EntryNoticeOut] = Field(
        default_factory=list, description="退回原因 and open questions of the month's tasks")


@api.get("/entry/{credit_code}/{year}/{month}", response_model=EntryFormOut)
def entry_form(
    credit_code: CreditCode, year: YearP, month: MonthP, user: WriterUser, engine: EngineDep,
) -> dict[str, Any]:
    """The monthly form of an institution, with the return reasons and open questions
    of the tasks covering the month (the page's banner)."""
    return {**entry.entry_form(engine, user.scope, credit_code, year, month),
            "notices": notices.entry_notices(engine, user, credit_code, year, month)}


class EntryFindingOut(BaseModel):
    code: str
    field: str
    carrier: str
    message_zh: str
    message_en: str
    # free-form by nature: the figures each finding code quotes (values, limits, units)
    details: dict[str, Any]
    severity: str


class EntryCheckOut(BaseModel):
    findings: list[EntryFindingOut]
    errors: int


@api.post("/entry/{credit_code}/{year}/{month}/check",
             dependencies=[requires(Capability.ENTER_DATA)], response_model=EntryCheckOut)
def entry_check(
    credit_code: CreditCode, year: YearP, month: MonthP, body: EntryIn, user: WriterUser,
    engine: EngineDep,
) -> dict[str, Any]:
    """The findings on the figures (errors and jump warnings); nothing is stored."""
    findings = entry.check_entry(engine, user.scope, credit_code, year, month, _values(body))
    return {"findings": [f.to_dict() for f in findings],
            "errors": sum(f.severity == "error" for f in findings)}


class EntrySavedOut(BaseModel):
    institution: str = Field(description="统一社会信用代码 credit code")
    year: int
    month: int
    user: str
    inserted: int
    revised: int
    unchanged: int
    warnings: list[EntryFindingOut]


@api.post("/entry/{credit_code}/{year}/{month}", dependencies=[requires(Capability.ENTER_DATA)],
             response_model=EntrySavedOut)
def entry_save(
    credit_code: CreditCode, year: YearP, month: MonthP, body: EntryIn, user: WriterUser,
    engine: EngineDep,
) -> dict[str, Any]:
    """Check and store the month's figures (a changed figure becomes a new revision)."""
    return entry.save_entry(engine, user.scope, credit_code, year, month, _values(body),
                            actor=user.actor,
                            reasons={v.carrier: v.reason for v in body.values if v.reason})
