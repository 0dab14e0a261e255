"""The office's M&V actions on the project page (issue 13 §3, §4, §5): fit the
baseline (carrier, method, baseline window —
:func:`jieneng.services.projects.mv_runs.fit_baseline`), issue the due statements or
compute one period's (:mod:`jieneng.services.projects.statements`), settle a period
and confirm its settlement (:mod:`jieneng.services.projects.settlement`). Forms
``POST /projects/{code}/baseline``, ``…/statements``, ``…/settlement``; JSON twins
under ``/api/v1/projects/{code}/``. Capability ``approve_projects`` (as the services
require); a refusal shows the project page again with the reason at the form and what
was typed kept, under the twin's status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.mv.data import DateRange
from jieneng.core.permissions import Capability
from jieneng.services.projects.mv_runs import fit_baseline
from jieneng.services.projects.settlement import confirm, settle
from jieneng.services.projects.statements import compute_statement, issue_due
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_date, form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import CodeP
from jieneng.web.projects.detail import TEMPLATE, page_context

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
NEEDS = [requires(Capability.APPROVE_PROJECTS)]
Short = Annotated[str, Form(max_length=40)]
PERIOD = r"^\d{4}(-(\d{2}|Q[1-4]))?$"
PeriodP = Annotated[str, Path(max_length=8, pattern=PERIOD, description="2025-03 | 2025-Q1 | 2025")]


def _number(text: str, default: float) -> float:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return default
    try:
        value = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("project_web.bad_number", value=text[:40]) from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValidationFailed.of("project_web.bad_number", value=text[:40])
    return value


def _refused(request: Request, engine: Any, user: Any, code: str, form: dict[str, str],
             err: DomainError, at: str) -> Response:
    context = page_context(engine, user, code, domain_lang(lang_of(request)))
    context["form"] = form
    return form_error(request, TEMPLATE, context, err, at=at)


def _done(code: str, done: str, anchor: str, period: str = "") -> Response:
    extra = f"&period={period}" if period else ""
    return RedirectResponse(f"/projects/{code}?done={done}{extra}#{anchor}", status_code=303)


def _window(start: str, end: str, prefix: str) -> DateRange:
    return DateRange(form_date(start, f"{prefix}_start", required=True),
                     form_date(end, f"{prefix}_end", required=True))


@router.post("/projects/{code}/baseline", dependencies=NEEDS)
def baseline_fit(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                 fit_carrier: Short = "electricity", method: Short = "monthly",
                 baseline_start: Short = "", baseline_end: Short = "",
                 reporting_start: Short = "", reporting_end: Short = "") -> Response:
    form = {"fit_carrier": fit_carrier, "method": method, "baseline_start": baseline_start,
            "baseline_end": baseline_end, "reporting_start": reporting_start,
            "reporting_end": reporting_end}
    try:
        reporting = (_window(reporting_start, reporting_end, "reporting")
                     if reporting_start.strip() or reporting_end.strip() else None)
        fit_baseline(engine, user, code, carrier=fit_carrier, method=method,
                     baseline=_window(baseline_start, baseline_end, "baseline"),
                     reporting=reporting)
    except DomainError as err:
        return _refused(request, engine, user, code, form, err, "baseline")
    return _done(code, "baseline_fitted", "savings")


@router.post("/projects/{code}/statements", dependencies=NEEDS)
def statements_issue(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                     action: Annotated[str, Form(pattern=r"^(due|period)$")],
                     through: Short = "", period: Short = "") -> Response:
    form = {"through": through, "period": period}
    try:
        if action == "due":
            made = issue_due(engine, user, code,
                             through=form_date(through, "through") or date.today())
            return _done(code, "statements_issued", "statements", str(len(made)))
        compute_statement(engine, user, code, period.strip())
    except DomainError as err:
        return _refused(request, engine, user, code, form, err, "statements")
    return _done(code, "statement_computed", "statements", period.strip())


@router.post("/projects/{code}/settlement", dependencies=NEEDS)
def settlement_act(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                   action: Annotated[str, Form(pattern=r"^(settle|confirm)$")],
                   s_period: Short = "", fee_factor: Short = "", om_fee: Short = "",
                   om_cost: Short = "") -> Response:
    form = {"s_period": s_period, "fee_factor": fee_factor, "om_fee": om_fee,
            "om_cost": om_cost}
    period = s_period.strip()
    try:
        if action == "confirm":
            confirm(engine, user, code, period)
            return _done(code, "settlement_confirmed", "statements", period)
        settle(engine, user, code, period, fee_factor=_number(fee_factor, 1.0),
               om_fee=_number(om_fee, 0.0), om_cost=_number(om_cost, 0.0))
    except DomainError as err:
        return _refused(request, engine, user, code, form, err, "settlement")
    return _done(code, "settled", "statements", period)


# ---------------------------------------------------------------- JSON twins


class BaselineIn(BaseModel):
    carrier: str = Field(default="electricity", max_length=32)
    method: str = Field(default="monthly", max_length=32,
                        description="monthly | caltrack-daily | caltrack-billing")
    baseline_start: date
    baseline_end: date = Field(description="included")
    reporting_start: date | None = None
    reporting_end: date | None = None


class RunOut(BaseModel):
    model_config = {"extra": "allow"}
    id: int
    project: str
    carrier: str
    method: str
    qualified: bool
    cvrmse: float | None = None
    metrics: dict[str, Any]
    sufficiency_report: dict[str, Any]


@api.post("/projects/{code}/baseline", status_code=201, response_model=RunOut,
          dependencies=NEEDS)
def baseline_fit_json(body: BaselineIn, user: CurrentUser, engine: EngineDep,
                      code: CodeP) -> dict[str, Any]:
    """Fit and store the project's baseline (the run, its metrics and sufficiency;
    ``qualified`` false with the reasons when it fails ASHRAE Guideline 14 / CalTRACK);
    422 for an unknown method, overlapping windows or no data."""
    reporting = (DateRange(body.reporting_start, body.reporting_end)
                 if body.reporting_start and body.reporting_end else None)
    run = fit_baseline(engine, user, code, carrier=body.carrier, method=body.method,
                       baseline=DateRange(body.baseline_start, body.baseline_end),
                       reporting=reporting)
    return {k: v for k, v in run.items() if k != "result"}


class PeriodIn(BaseModel):
    period: str = Field(max_length=8, pattern=PERIOD, description="2025-03 | 2025-Q1 | 2025")


class DueIn(BaseModel):
    through: date | None = Field(default=None, description="default: today")


class StatementOut(BaseModel):
    model_config = {"extra": "allow"}
    period: str
    kind: str
    savings_tce: float | None = None
    savings_yuan: float | None = None


@api.post("/projects/{code}/statements", status_code=201, response_model=StatementOut,
          dependencies=NEEDS)
def statement_json(body: PeriodIn, user: CurrentUser, engine: EngineDep,
                   code: CodeP) -> dict[str, Any]:
    """Compute (or recompute) the statement of one period."""
    return compute_statement(engine, user, code, body.period)


@api.post("/projects/{code}/statements/due", response_model=list[StatementOut],
          dependencies=NEEDS)
def statements_due_json(body: DueIn, user: CurrentUser, engine: EngineDep,
                        code: CodeP) -> list[dict[str, Any]]:
    """Issue every statement due (monthly, quarterly, annual) through ``through``."""
    return issue_due(engine, user, code, through=body.through or date.today())


class SettleIn(PeriodIn):
    prices: dict[str, float] | None = Field(default=None, description="{carrier: 元/unit}")
    price_per_tce: float | None = Field(default=None, ge=0)
    om_fee: float = Field(default=0.0, ge=0)
    om_cost: float = Field(default=0.0, ge=0)
    fee_factor: float = Field(default=1.0, ge=0)


class SettlementOut(BaseModel):
    model_config = {"extra": "allow"}
    period: str
    mode: str
    amount_yuan: float | None = None
    state: str


@api.post("/projects/{code}/settlements", status_code=201, response_model=SettlementOut,
          dependencies=NEEDS)
def settle_json(body: SettleIn, user: CurrentUser, engine: EngineDep,
                code: CodeP) -> dict[str, Any]:
    """Compute the draft settlement of a period (mode from the project's subtype)."""
    return settle(engine, user, code, body.period, prices=body.prices,
                  price_per_tce=body.price_per_tce, om_fee=body.om_fee,
                  om_cost=body.om_cost, fee_factor=body.fee_factor)


@api.post("/projects/{code}/settlements/{period}/confirm", response_model=SettlementOut,
          dependencies=NEEDS)
def confirm_json(user: CurrentUser, engine: EngineDep, code: CodeP,
                 period: PeriodP) -> dict[str, Any]:
    """Confirm the period's draft settlement."""
    return confirm(engine, user, code, period)
