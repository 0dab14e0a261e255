"""回头看 re-checks of held titles (issue 14 §3), included in :mod:`.checks`' routers.

- ``/campaigns/rechecks?region=&scheme=&year=&state=`` — the re-checks in the caller's
  scope with their deadlines and states (overdue rectifications marked); twin
  ``/api/v1/campaigns/rechecks``; workbook ``/campaigns/rechecks.xlsx``.
- Forms: ``POST /campaigns/rechecks/select`` (choose the titles: scheme, region, year,
  awarded before, share and seed — ``run_rounds``), ``POST /campaigns/rechecks/{id}/result``
  (pass / fail with the finding and deadline — ``run_rounds``),
  ``POST /campaigns/rechecks/{id}/conclude`` (rectified in time → passes, else revoked —
  ``run_rounds``), ``POST /campaigns/rechecks/{id}/rectification`` (the unit's answer —
  ``self_assess``); each with its JSON twin under ``/api/v1``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.campaigns import rechecks
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_date, form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
TEMPLATE = "campaigns/rechecks.html"
RUN = [requires(Capability.RUN_ROUNDS)]
ANSWER = [requires(Capability.SELF_ASSESS)]
RecheckP = Annotated[int, Path(ge=1, le=2**31 - 1, description="回头看 re-check id")]
Short = Annotated[str, Form(max_length=40)]
Long = Annotated[str, Form(max_length=2000)]
RegionQ = Annotated[str, Query(pattern=r"^(\d{6})?$", description="行政区划代码")]
SchemeQ = Annotated[str, Query(pattern=r"^[0-9A-Za-z_\-]{0,64}$", description="方案编号")]
YearQ = Annotated[str, Query(pattern=r"^(\d{4})?$", description="年份")]
StateQ = Annotated[str, Query(pattern=r"^(pending|passed|rectifying|rectified|revoked)?$",
                              description="状态")]
STATES = ("pending", "passed", "rectifying", "rectified", "revoked")
COLUMNS = (
    Column("credit_code", "campaigns.checks.col.credit_code", "code"),
    Column("name", "campaigns.checks.col.name"),
    Column("region_name", "campaigns.checks.col.region"),
    Column("scheme_code", "campaigns.checks.col.scheme", "code"),
    Column("awarded_on", "campaigns.checks.col.awarded_on"),
    Column("state", "campaigns.checks.col.state"),
    Column("checked_on", "campaigns.checks.col.checked_on"),
    Column("finding", "campaigns.checks.col.finding"),
    Column("deadline", "campaigns.checks.col.deadline"),
    Column("rectification", "campaigns.checks.col.rectification"),
    Column("rectified_on", "campaigns.checks.col.rectified_on"),
    Column("concluded_on", "campaigns.checks.col.concluded_on"),
    Column("overdue", "campaigns.checks.col.overdue", "bool"),
)


def _filters(region: str, scheme: str, year: str, state: str) -> dict[str, Any]:
    return {"region_code": region or None, "scheme_code": scheme or None,
            "year": int(year) if year else None, "state": state or None}


def rechecks_data(engine: Any, user: User, region: str = "", scheme: str = "", year: str = "",
                  state: str = "") -> dict[str, Any]:
    items = rechecks.list_rechecks(engine, user, **_filters(region, scheme, year, state))
    return {"items": items, "total": len(items),
            "overdue": sum(1 for i in items if i["overdue"]),
            "filters": {"region": region, "scheme": scheme, "year": year, "state": state}}


def _context(engine: Any, user: User, query: dict[str, str], form: dict[str, str] | None = None,
             done: str = "") -> dict[str, Any]:
    data = rechecks_data(engine, user, **query)
    schemes = [{"code": c, "name_zh": shipped(c).name_zh, "name_en": shipped(c).name_en}
               for c in SHIPPED]
    start = {"year": str(chinatime.today().year), "scheme": query.get("scheme") or
             "conservation_organ", "region": query.get("region") or user.region_code or "",
             **(form or {})}
    names = {s["code"]: (s["name_zh"], s["name_en"]) for s in schemes}
    return {"data": data, "form": start, "done": done, "states": STATES, "schemes": schemes,
            "scheme_names": names,
            "can_run": user.can(Capability.RUN_ROUNDS),
            "can_answer": user.can(Capability.SELF_ASSESS)}


@router.get("/campaigns/rechecks")
def rechecks_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  scheme: SchemeQ = "", year: YearQ = "", state: StateQ = "",
                  done: str = "") -> Response:
    query = {"region": region, "scheme": scheme, "year": year, "state": state}
    return render_page(request, TEMPLATE, _context(engine, user, query, done=done[:40]))


class RechecksOut(BaseModel):
    model_config = {"extra": "allow"}
    items: list[dict[str, Any]]
    total: int
    overdue: int
    filters: dict[str, str]


@api.get("/campaigns/rechecks", response_model=RechecksOut)
def rechecks_json(user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  scheme: SchemeQ = "", year: YearQ = "", state: StateQ = "") -> dict[str, Any]:
    """The 回头看 re-checks in the caller's scope, with deadlines and states."""
    return rechecks_data(engine, user, region, scheme, year, state)


@router.get("/campaigns/rechecks.xlsx")
def rechecks_xlsx(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  scheme: SchemeQ = "", year: YearQ = "", state: StateQ = "") -> Response:
    lang = workbook_lang(request)
    data = rechecks_data(engine, user, region, scheme, year, state)
    title = text(lang, "campaigns.checks.rechecks_title")
    rows = [{**r, "state": text(lang, f"campaigns.checks.state.{r['state']}")}
            for r in data["items"]]
    sheet = Sheet(title, title, COLUMNS, rows,
                  notes=notes(engine, user, lang, count=len(rows), period=year or None))
    return xlsx_response(table_xlsx([sheet], lang=lang), f"{title}.xlsx", "rechecks.xlsx")


# ---------------------------------------------------------------- forms


def _number(value: str, field: str) -> float | None:
    cleaned = value.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        share = float(cleaned.rstrip("%"))
    except ValueError:
        raise ValidationFailed.of("check_number_invalid", value=value[:40],
                                  field=field) from None
    return share / 100 if cleaned.endswith("%") else share


def _act(request: Request, engine: Any, user: User, form: dict[str, str], at: str,
         action: Any, done: str) -> Response:
    try:
        action()
    except DomainError as err:
        context = _context(engine, user, {}, form=form)
        return form_error(request, TEMPLATE, context, err, at=at)
    return RedirectResponse(f"/campaigns/rechecks?done={done}#{at}", status_code=303)


@router.post("/campaigns/rechecks/select", dependencies=RUN)
def select_form(request: Request, user: CurrentUser, engine: EngineDep, scheme: Short = "",
                region: Short = "", year: Short = "", awarded_before: Short = "",
                share: Short = "", seed: Short = "") -> Response:
    form = {"scheme": scheme, "region": region, "year": year,
            "awarded_before": awarded_before, "share": share, "seed": seed}

    def run() -> None:
        if not year.strip().isdigit():
            raise ValidationFailed.of("check_number_invalid", value=year[:40], field="year")
        chosen_seed = _number(seed, "seed")
        rechecks.select_rechecks(engine, user, scheme.strip(), region.strip(),
                                 year=int(year), awarded_before=form_date(awarded_before,
                                                                      "awarded_before"),
                                 share=_number(share, "share"),
                                 seed=None if chosen_seed is None else int(chosen_seed))

    return _act(request, engine, user, form, "select", run, "selected")


@router.post("/campaigns/rechecks/{recheck_id}/result", dependencies=RUN)
def result_form(request: Request, user: CurrentUser, engine: EngineDep, recheck_id: RecheckP,
                outcome: Short = "", finding: Long = "", checked_on: Short = "",
                deadline: Short = "") -> Response:
    form = {"outcome": outcome, "finding": finding, "checked_on": checked_on,
            "deadline": deadline, "recheck_id": str(recheck_id)}

    def run() -> None:
        if outcome not in ("pass", "fail"):
            raise ValidationFailed.of("check_verdict_invalid", verdict=outcome[:20],
                                      field="outcome")
        rechecks.record_result(engine, user, recheck_id, passed=outcome == "pass",
                               finding=finding, checked_on=form_date(checked_on, "checked_on"),
                               deadline=form_date(deadline, "deadline"))

    return _act(request, engine, user, form, f"r{recheck_id}", run, "result")


@router.post("/campaigns/rechecks/{recheck_id}/conclude", dependencies=RUN)
def conclude_form(request: Request, user: CurrentUser, engine: EngineDep,
                  recheck_id: RecheckP, reason: Long = "") -> Response:
    form = {"reason": reason, "recheck_id": str(recheck_id)}
    return _act(request, engine, user, form, f"r{recheck_id}",
                lambda: rechecks.conclude(engine, user, recheck_id, reason=reason),
                "concluded")


@router.post("/campaigns/rechecks/{recheck_id}/rectification", dependencies=ANSWER)
def rectification_form(request: Request, user: CurrentUser, engine: EngineDep,
                       recheck_id: RecheckP, rectification: Long = "") -> Response:
    form = {"rectification": rectification, "recheck_id": str(recheck_id)}
    return _act(request, engine, user, form, f"r{recheck_id}",
                lambda: rechecks.answer_rectification(engine, user, recheck_id,
                                                      rectification), "answered")


# ---------------------------------------------------------------- JSON twins


class SelectIn(BaseModel):
    scheme: str = Field(min_length=1, max_length=64)
    region_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    awarded_before: date | None = Field(default=None, description="default: 1 January of year")
    share: float | None = Field(default=None, gt=0, le=1, description="default: every title")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 2)


class ResultIn(BaseModel):
    passed: bool
    finding: str = Field(default="", max_length=2000)
    checked_on: date | None = None
    deadline: date | None = Field(default=None,
                                  description="default: checked_on + 30 days (procedure.csv)")


class ConcludeIn(BaseModel):
    on: date | None = None
    reason: str = Field(default="", max_length=2000)


class RectificationIn(BaseModel):
    rectification: str = Field(min_length=1, max_length=2000)
    on: date | None = None


class ActionOut(BaseModel):
    model_config = {"extra": "allow"}


@api.post("/campaigns/rechecks/select", response_model=ActionOut, status_code=201,
          dependencies=RUN)
def select_json(body: SelectIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Open a 回头看 of the held titles chosen."""
    return rechecks.select_rechecks(engine, user, body.scheme, body.region_code,
                                    year=body.year, awarded_before=body.awarded_before,
                                    share=body.share, seed=body.seed)


@api.post("/campaigns/rechecks/{recheck_id}/result", response_model=ActionOut,
          dependencies=RUN)
def result_json(body: ResultIn, user: CurrentUser, engine: EngineDep,
                recheck_id: RecheckP) -> dict[str, Any]:
    """The re-check's result: passed, or failed with a rectification deadline."""
    return rechecks.record_result(engine, user, recheck_id, passed=body.passed,
                                  finding=body.finding, checked_on=body.checked_on,
                                  deadline=body.deadline)


@api.post("/campaigns/rechecks/{recheck_id}/conclude", response_model=ActionOut,
          dependencies=RUN)
def conclude_json(body: ConcludeIn, user: CurrentUser, engine: EngineDep,
                  recheck_id: RecheckP) -> dict[str, Any]:
    """Conclude a rectification: in time → rectified, else the title revoked."""
    return rechecks.conclude(engine, user, recheck_id, on=body.on, reason=body.reason)


@api.post("/campaigns/rechecks/{recheck_id}/rectification", response_model=ActionOut,
          dependencies=ANSWER)
def rectification_json(body: RectificationIn, user: CurrentUser, engine: EngineDep,
                       recheck_id: RecheckP) -> dict[str, Any]:
    """The unit's report of its rectification."""
    return rechecks.answer_rectification(engine, user, recheck_id, body.rectification,
                                         on=body.on)
