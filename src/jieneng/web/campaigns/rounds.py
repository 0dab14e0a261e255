"""The rounds list and the open form (创建评价轮次, issue 14 §3), each with its JSON twin:

- ``/campaigns/rounds`` — the rounds the caller sees (filters: region, year, scheme,
  state), the members waiting for the caller's review, and the form to open a round
  (``run_rounds``: ``POST /campaigns/rounds``, twin ``POST /api/v1/campaigns/rounds``);
- a round's page is :mod:`.round_page`, a member's :mod:`.round_members` (its review
  :mod:`.round_review`); they share this module's parameters and labels.

A refused form comes back with what was typed and the message at the field it names,
with the status its JSON twin answers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import ROUND_STATES
from jieneng.core.campaigns.shipped import SHIPPED
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.services.campaigns import review, rounds
from jieneng.services.campaigns.schemes import list_schemes
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
LIST = "campaigns/rounds.html"
RoundP = Annotated[int, Path(ge=1, le=2**31 - 1, description="轮次编号 round id")]
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$")]
YearQ = Annotated[str, Query(max_length=4, pattern=r"^(\d{4})?$")]
SchemeQ = Annotated[str, Query(max_length=64, pattern=r"^[0-9A-Za-z_\-]*$")]
StateQ = Annotated[str, Query(max_length=16, pattern=r"^[a-z_]*$")]


def request_lang(request: Request) -> str:
    """The language of the names a page shows (zh-CN or en)."""
    return domain_lang(lang_of(request))


def state_label(lang: str, state: str) -> str:
    """A member state's label in ``lang`` (the code where none)."""
    key = f"campaigns.rounds.member_state.{state}"
    found = text(lang, key)
    return state if found == key else found


def _schemes(engine: Engine, en: bool) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for s in list_schemes(engine):
        seen.setdefault(s["code"], s["name_en"] if en else s["name_zh"])
    return [{"code": c, "name": n} for c, n in seen.items() if c in SHIPPED or n]


# ---------------------------------------------------------------- the list


def rounds_data(engine: Engine, user: User, *, region: str = "", year: str = "",
                scheme: str = "", state: str = "") -> dict[str, Any]:
    items = rounds.list_rounds(engine, user, region_code=region or None,
                               year=int(year) if year else None, scheme_code=scheme or None,
                               state=state or None)
    return {"items": items, "total": len(items),
            "waiting": review.review_queue(engine, user, limit=200)}


@router.get("/campaigns/rounds")
def rounds_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                year: YearQ = "", scheme: SchemeQ = "", state: StateQ = "") -> Response:
    params = {"region": region, "year": year, "scheme": scheme, "state": state}
    return render_page(request, LIST, _list_context(engine, user, request, params))


def _list_context(engine: Engine, user: User, request: Request, params: dict[str, str],
                  form: dict[str, str] | None = None) -> dict[str, Any]:
    lang = request_lang(request)
    return {"data": rounds_data(engine, user, **params), "params": params,
            "schemes": _schemes(engine, lang.startswith("en")), "round_states": ROUND_STATES,
            "form": form or {"scheme": "conservation_organ", "region_code": user.region_code
                             or "", "year": str(date.today().year), "title": "", "due": "",
                             "evaluation": ""},
            "errors": {}}


class RoundOut(BaseModel):
    id: int
    scheme_code: str
    version_id: int
    region_code: str
    region_name: str
    year: int
    title: str
    state: str
    next_states: list[str] = Field(default_factory=list, description=(
        "the states the round's state form may move it to (round_transitions.csv)"))
    eval_year: int
    eval_month: int
    due: str | None
    factor_set: str | None = None
    opened_by: str
    opened_at: str | None
    scored_at: str | None
    closed_at: str | None
    members: int = 0


class MemberOut(BaseModel):
    member_id: int
    institution_id: int
    credit_code: str
    name: str
    region_code: str
    region_name: str
    category: str
    state: str
    review_region: str | None
    review_region_name: str | None
    review_level: int | None
    total: float | None
    passed: bool | None
    grade: str | None
    missing: int | None
    reason: str | None
    submitted_at: str | None
    updated_at: str | None
    round_id: int | None = None
    round_title: str | None = None


class RoundListOut(BaseModel):
    items: list[RoundOut]
    total: int
    waiting: list[MemberOut]


@api.get("/campaigns/rounds", response_model=RoundListOut)
def rounds_json(user: CurrentUser, engine: EngineDep, region: RegionQ = "", year: YearQ = "",
                scheme: SchemeQ = "", state: StateQ = "") -> dict[str, Any]:
    """The rounds the caller sees and the members waiting for its review."""
    return rounds_data(engine, user, region=region, year=year, scheme=scheme, state=state)


class OpenIn(BaseModel):
    scheme: str = Field(max_length=64)
    region_code: str = Field(max_length=6, pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    title: str = Field(max_length=200)
    due: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    evaluation: str | None = Field(default=None, max_length=7,
                                   description="评价月份 YYYY-MM (default: January of year)")
    version: int | None = Field(default=None, ge=1)


def _open(engine: Engine, user: User, form: dict[str, Any]) -> dict[str, Any]:
    year_text = str(form.get("year") or "").strip()
    if not (year_text.isdigit() and len(year_text) == 4):
        raise ValidationFailed.of("round_bad_year", field="year", value=year_text[:8] or "—")
    due_text = str(form.get("due") or "").strip()
    try:
        due = date.fromisoformat(due_text) if due_text else None
    except ValueError:
        raise ValidationFailed.of("round_bad_date", field="due", value=due_text[:12]) from None
    e_year = e_month = None
    evaluation = str(form.get("evaluation") or "").strip()
    if evaluation:
        parts = evaluation.split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValidationFailed.of("round_bad_month", field="evaluation",
                                      value=evaluation[:8])
        e_year, e_month = int(parts[0]), int(parts[1])
    return rounds.open_round(engine, user, str(form.get("scheme") or "").strip(),
                             str(form.get("region_code") or "").strip(), int(year_text),
                             title=str(form.get("title") or ""), due=due, eval_year=e_year,
                             eval_month=e_month, version=form.get("version"))


@router.post("/campaigns/rounds", dependencies=[requires(Capability.RUN_ROUNDS)])
async def round_open(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    got = await request.form()
    form = {k: str(got.get(k) or "")[:200] for k in ("scheme", "region_code", "year",
                                                      "title", "due", "evaluation")}
    try:
        made = await run_in_threadpool(_open, engine, user, form)
    except DomainError as err:
        params = {"region": "", "year": "", "scheme": "", "state": ""}
        context = await run_in_threadpool(_list_context, engine, user, request, params, form)
        return await run_in_threadpool(form_error, request, LIST, context, err)
    return RedirectResponse(f"/campaigns/rounds/{made['id']}?done=opened", status_code=303)


@api.post("/campaigns/rounds", response_model=RoundOut, status_code=201,
          dependencies=[requires(Capability.RUN_ROUNDS)])
def round_open_json(body: OpenIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Open a round: every institution of the region to which the scheme applies is
    invited."""
    return _open(engine, user, body.model_dump())


__all__ = ["RoundP", "StateQ", "request_lang", "rounds_data", "state_label"]
