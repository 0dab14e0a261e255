"""Spot checks, 公示, award and rejection of a round (issue 14 §3).

- ``/campaigns/rounds/{round_id}/checks`` — the round's sampling rule, its draw (seed,
  rate, population and its SHA-256, who and when), the sample with the on-site verdicts
  and the members' scores, the publicity list and its objections; the office's forms
  (draw, inspection, publicity, objection and its resolution, award, rejection); twin
  ``/api/v1/campaigns/rounds/{round_id}/checks``; the sample as a workbook
  ``/campaigns/rounds/{round_id}/checks.xlsx``.
- Forms ``POST /campaigns/rounds/{round_id}/checks/{draw|inspect|publicity|objection|
  resolve|award|reject}`` (capability ``run_rounds``; a refusal shows the page again
  with the reason at the form and what was typed kept, under the twin's status) and
  their JSON twins ``POST /api/v1/campaigns/rounds/{round_id}/checks/…``.

The round page's ``_round_checks.html`` section reads the same view
(:func:`jieneng.services.campaigns.checks.checks_view`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.campaigns import checks, publicity
from jieneng.web.campaigns import rechecks
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_date, form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
TEMPLATE = "campaigns/checks.html"
NEEDS = [requires(Capability.RUN_ROUNDS)]
RoundP = Annotated[int, Path(ge=1, le=2**31 - 1, description="轮次 round id")]
Short = Annotated[str, Form(max_length=40)]
Long = Annotated[str, Form(max_length=2000)]
LEVELS = ("national", "provincial", "city", "county")
SAMPLE_COLUMNS = (
    Column("credit_code", "campaigns.checks.col.credit_code", "code"),
    Column("name", "campaigns.checks.col.name"),
    Column("region_code", "campaigns.checks.col.region", "code"),
    Column("batch", "campaigns.checks.col.batch", "number", 0),
    Column("preferred", "campaigns.checks.col.preferred", "bool"),
    Column("state", "campaigns.checks.col.state"),
    Column("total", "campaigns.checks.col.total", "number", 1),
    Column("verdict", "campaigns.checks.col.verdict"),
    Column("note", "campaigns.checks.col.note"),
    Column("inspected_by", "campaigns.checks.col.inspected_by"),
)


def _page(request: Request, engine: Any, user: User, round_id: int,
          form: dict[str, str] | None = None, done: str = "") -> dict[str, Any]:
    data = checks.checks_view(engine, user, round_id)
    start = form or {}
    if "rate" not in start and data["rule"]["rate"] is not None:
        start = {**start, "rate": str(data["rule"]["rate"])}
    if "seed" not in start:
        start = {**start, "seed": str(data["seed_suggestion"])}
    return {"data": data, "form": start, "done": done, "levels": LEVELS}


@router.get("/campaigns/rounds/{round_id}/checks")
def checks_page(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                done: str = "") -> Response:
    return render_page(request, TEMPLATE, _page(request, engine, user, round_id,
                                                done=done[:40]))


class ChecksOut(BaseModel):
    model_config = {"extra": "allow"}
    round: dict[str, Any]
    rule: dict[str, Any]
    draw: dict[str, Any] | None
    sample: list[dict[str, Any]]
    items: list[dict[str, Any]]
    inspected: int
    publicity: dict[str, Any] | None


@api.get("/campaigns/rounds/{round_id}/checks", response_model=ChecksOut)
def checks_json(user: CurrentUser, engine: EngineDep, round_id: RoundP) -> dict[str, Any]:
    """The round's sampling rule, draw, sample (inside the caller's scope) with the
    verdicts, and the publicity with its objections."""
    return checks.round_checks(engine, user, round_id)


@router.get("/campaigns/rounds/{round_id}/checks.xlsx")
def checks_xlsx(request: Request, user: CurrentUser, engine: EngineDep,
                round_id: RoundP) -> Response:
    lang = workbook_lang(request)
    data = checks.round_checks(engine, user, round_id)
    title = text(lang, "campaigns.checks.title")
    draws = data["draws"]  # every batch of the year: its rate and seed
    basis = text(lang, "campaigns.checks.basis",
                 rate=", ".join(str(d["rate"]) for d in draws) or "—",
                 seed=", ".join(str(d["seed"]) for d in draws) or "—",
                 population=draws[-1]["population"] if draws else "—")
    sheet = Sheet(title, f"{title} · {data['round']['title']}", SAMPLE_COLUMNS,
                  data["sample"], notes=notes(engine, user, lang, count=len(data["sample"]),
                                              period=str(data["round"]["year"]), basis=basis))
    return xlsx_response(table_xlsx([sheet], lang=lang), f"{title} {round_id}.xlsx",
                         f"checks-{round_id}.xlsx")


# ---------------------------------------------------------------- forms


#: the longest number a checks form takes (a longer one is refused as not a number, like
#: :data:`Short`); the score fields carry it as ``maxlength``
NUMBER_MAX = 40


def _number(value: str, field: str) -> float | None:
    cleaned = value.strip().replace(",", "").rstrip("%")
    if not cleaned:
        return None
    if len(value) > NUMBER_MAX:
        raise ValidationFailed.of("check_number_invalid", value=value[:40], field=field)
    try:
        number = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("check_number_invalid", value=value[:40],
                                  field=field) from None
    return number / 100 if value.strip().endswith("%") else number


def _int(value: str, field: str) -> int | None:
    number = _number(value, field)
    if number is None:
        return None
    if number != int(number):
        raise ValidationFailed.of("check_number_invalid", value=value[:40], field=field)
    return int(number)


def _act(request: Request, engine: Any, user: User, round_id: int, form: dict[str, str],
         at: str, action: Any, done: str) -> Response:
    try:
        action()
    except DomainError as err:
        context = _page(request, engine, user, round_id, form=form)
        return form_error(request, TEMPLATE, context, err, at=at)
    return RedirectResponse(f"/campaigns/rounds/{round_id}/checks?done={done}#{at}",
                            status_code=303)


@router.post("/campaigns/rounds/{round_id}/checks/draw", dependencies=NEEDS)
def draw_form(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
              rate: Short = "", seed: Short = "") -> Response:
    form = {"rate": rate, "seed": seed}
    return _act(request, engine, user, round_id, form, "draw", lambda: checks.draw_sample(
        engine, user, round_id, rate=_number(rate, "rate"), seed=_int(seed, "seed")),
        "drawn")


@router.post("/campaigns/rounds/{round_id}/checks/inspect", dependencies=NEEDS)
async def inspect_form(request: Request, user: CurrentUser, engine: EngineDep,
                       round_id: RoundP) -> Response:
    raw = await request.form()
    form = {k: str(v)[:2000] for k, v in raw.items() if isinstance(v, str)}
    scores = {k[6:]: form[k] for k in form if k.startswith("score_") and len(k) < 80}

    def run() -> None:
        parsed = {code: _number(value, f"score_{code}") for code, value in scores.items()}
        checks.inspect_member(engine, user, round_id, form.get("credit_code", "").strip(),
                              scores=parsed, verdict=form.get("verdict") or None,
                              note=form.get("note", ""))

    return await run_in_threadpool(_act, request, engine, user, round_id, form, "inspect",
                                   run, "inspected")


@router.post("/campaigns/rounds/{round_id}/checks/publicity", dependencies=NEEDS)
def publicity_form(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                   starts_on: Short = "", days: Short = "") -> Response:
    form = {"starts_on": starts_on, "days": days}
    return _act(request, engine, user, round_id, form, "publicity",
                lambda: publicity.start_publicity(engine, user, round_id,
                                                  starts_on=form_date(starts_on, "starts_on"),
                                                  days=_int(days, "days")), "published")


@router.post("/campaigns/rounds/{round_id}/checks/objection", dependencies=NEEDS)
def objection_form(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                   o_credit_code: Short = "", o_text: Long = "",
                   raised_on: Short = "") -> Response:
    form = {"o_credit_code": o_credit_code, "o_text": o_text, "raised_on": raised_on}
    return _act(request, engine, user, round_id, form, "objections",
                lambda: publicity.raise_objection(engine, user, round_id, o_credit_code.strip(),
                                                  o_text,
                                                  raised_on=form_date(raised_on, "raised_on")),
                "objection")


@router.post("/campaigns/rounds/{round_id}/checks/resolve", dependencies=NEEDS)
def resolve_form(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                 objection_id: Short = "", resolution: Short = "",
                 r_note: Long = "") -> Response:
    form = {"objection_id": objection_id, "resolution": resolution, "r_note": r_note}

    def run() -> None:
        if resolution not in ("upheld", "dismissed"):
            raise ValidationFailed.of("check_resolution_invalid", field="resolution",
                                      value=resolution[:20])
        publicity.resolve_objection(engine, user, round_id,
                                    _int(objection_id, "objection_id") or 0,
                                    upheld=resolution == "upheld", note=r_note)

    return _act(request, engine, user, round_id, form, "objections", run, "resolved")


@router.post("/campaigns/rounds/{round_id}/checks/award", dependencies=NEEDS)
def award_form(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
               awarded_on: Short = "", level: Short = "") -> Response:
    form = {"awarded_on": awarded_on, "level": level}
    return _act(request, engine, user, round_id, form, "award",
                lambda: publicity.award(engine, user, round_id,
                                        awarded_on=form_date(awarded_on, "awarded_on"),
                                        level=level.strip() or None), "awarded")


@router.post("/campaigns/rounds/{round_id}/checks/reject", dependencies=NEEDS)
def reject_form(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                j_credit_code: Short = "", reason: Long = "") -> Response:
    form = {"j_credit_code": j_credit_code, "reason": reason}
    return _act(request, engine, user, round_id, form, "award",
                lambda: publicity.reject_member(engine, user, round_id,
                                                j_credit_code.strip(), reason), "rejected")


# ---------------------------------------------------------------- JSON twins


class DrawIn(BaseModel):
    rate: float | None = Field(default=None, description="share 0…1 (default: the rule's)")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 2,
                             description="default: drawn from the system's randomness")


class InspectIn(BaseModel):
    credit_code: str = Field(min_length=1, max_length=18)
    scores: dict[str, float | None] = Field(default_factory=dict,
                                            description="item code → on-site score")
    verdict: str | None = Field(default=None, description="pass | fail")
    note: str = Field(default="", max_length=2000)


class PublicityIn(BaseModel):
    starts_on: date | None = None
    days: int | None = Field(default=None, ge=1, le=365,
                             description="default: data/campaigns/procedure.csv (7)")


class ObjectionIn(BaseModel):
    credit_code: str = Field(min_length=1, max_length=18)
    text: str = Field(min_length=1, max_length=2000)
    raised_on: date | None = None


class ResolveIn(BaseModel):
    objection_id: int = Field(ge=1)
    upheld: bool
    note: str = Field(min_length=1, max_length=2000)


class AwardIn(BaseModel):
    awarded_on: date | None = None
    level: str | None = Field(default=None, description="national | provincial | city | "
                              "county (default: the level of the round's region)")


class RejectIn(BaseModel):
    credit_code: str = Field(min_length=1, max_length=18)
    reason: str = Field(min_length=1, max_length=2000)


class ActionOut(BaseModel):
    model_config = {"extra": "allow"}


@api.post("/campaigns/rounds/{round_id}/checks/draw", response_model=ActionOut,
          status_code=201, dependencies=NEEDS)
def draw_json(body: DrawIn, user: CurrentUser, engine: EngineDep,
              round_id: RoundP) -> dict[str, Any]:
    """Draw the round's spot-check sample by the scheme's rule (422 below its rate)."""
    return checks.draw_sample(engine, user, round_id, rate=body.rate, seed=body.seed)


@api.post("/campaigns/rounds/{round_id}/checks/inspect", response_model=ActionOut,
          dependencies=NEEDS)
def inspect_json(body: InspectIn, user: CurrentUser, engine: EngineDep,
                 round_id: RoundP) -> dict[str, Any]:
    """On-site scores (0 … the item's points) and verdict of a sampled member."""
    return checks.inspect_member(engine, user, round_id, body.credit_code, scores=body.scores,
                                 verdict=body.verdict, note=body.note)


@api.post("/campaigns/rounds/{round_id}/checks/publicity", response_model=ActionOut,
          status_code=201, dependencies=NEEDS)
def publicity_json(body: PublicityIn, user: CurrentUser, engine: EngineDep,
                   round_id: RoundP) -> dict[str, Any]:
    """Publish the recommended members for the period."""
    return publicity.start_publicity(engine, user, round_id, starts_on=body.starts_on,
                                     days=body.days)


@api.post("/campaigns/rounds/{round_id}/checks/objection", response_model=ActionOut,
          status_code=201, dependencies=NEEDS)
def objection_json(body: ObjectionIn, user: CurrentUser, engine: EngineDep,
                   round_id: RoundP) -> dict[str, Any]:
    """Record an objection to a publicised member during the period."""
    return publicity.raise_objection(engine, user, round_id, body.credit_code, body.text,
                                     raised_on=body.raised_on)


@api.post("/campaigns/rounds/{round_id}/checks/resolve", response_model=ActionOut,
          dependencies=NEEDS)
def resolve_json(body: ResolveIn, user: CurrentUser, engine: EngineDep,
                 round_id: RoundP) -> dict[str, Any]:
    """Resolve an objection (upheld: the member is rejected)."""
    return publicity.resolve_objection(engine, user, round_id, body.objection_id,
                                       upheld=body.upheld, note=body.note)


@api.post("/campaigns/rounds/{round_id}/checks/award", response_model=ActionOut,
          dependencies=NEEDS)
def award_json(body: AwardIn, user: CurrentUser, engine: EngineDep,
               round_id: RoundP) -> dict[str, Any]:
    """Award the title to the members still publicised after the period."""
    return publicity.award(engine, user, round_id, awarded_on=body.awarded_on,
                           level=body.level)


@api.post("/campaigns/rounds/{round_id}/checks/reject", response_model=ActionOut,
          dependencies=NEEDS)
def reject_json(body: RejectIn, user: CurrentUser, engine: EngineDep,
                round_id: RoundP) -> dict[str, Any]:
    """Reject a member with a reason."""
    return publicity.reject_member(engine, user, round_id, body.credit_code, body.reason)


# the 回头看 pages (web.campaigns.rechecks) are served by these routers (their routes
# carry their full paths; the app registers checks.router and checks.api)
router.routes.extend(rechecks.router.routes)
api.routes.extend(rechecks.api.routes)
