"""A round's page (issue 14 §3) and its JSON twin:

- ``/campaigns/rounds/{round_id}`` — a round: its members in the caller's scope (unit,
  state, review level, total, grade, missing; filters), counts per state, scoring
  (``POST …/score``, ``run_rounds``), the Excel export ``/campaigns/rounds/{id}.xlsx``
  and the spot checks / 公示 / award section (``campaigns/_round_checks.html``, from
  :func:`jieneng.services.campaigns.checks.checks_view`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import MEMBER_STATES, ROUND_STATES
from jieneng.core.exceptions import DomainError, NotFound
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.campaigns import checks, round_scoring, rounds
from jieneng.services.scope import scoped_filters
from jieneng.web.campaigns.rounds import (
    MemberOut,
    RegionQ,
    RoundP,
    StateQ,
    request_lang,
    state_label,
)
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
ROUND = "campaigns/round.html"
TextQ = Annotated[str, Query(max_length=64)]
#: the members table and its export
COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "campaigns.rounds.col.code"),
    Column("name", "campaigns.rounds.col.unit"),
    Column("region_name", "campaigns.rounds.col.region"),
    Column("state_label", "campaigns.rounds.col.state"),
    Column("review_region_name", "campaigns.rounds.col.level"),
    Column("total", "campaigns.rounds.col.total", "number", 1),
    Column("passed_label", "campaigns.rounds.col.passed"),
    Column("grade", "campaigns.rounds.col.grade"),
    Column("missing", "campaigns.rounds.col.missing", "int"),
)


def round_data(engine: Engine, user: User, round_id: int, lang: str, *, state: str = "",
               region: str = "", q: str = "", limit: int | None = rounds.MEMBER_PAGE
               ) -> dict[str, Any]:
    found = rounds.get_round(engine, user, round_id)
    members = rounds.round_members(engine, user, round_id, state=state or None,
                                   region_code=region or None, text=q or None, limit=limit)
    for m in members:
        m["state_label"] = state_label(lang, m["state"])
        m["passed_label"] = ("" if m["passed"] is None else text(
            lang, "campaigns.rounds.passed_yes" if m["passed"] else "campaigns.rounds.passed_no"))
    return {"round": found, "items": members, "shown": len(members),
            "counts": [{"state": s, "label": state_label(lang, s), "count": n}
                       for s, n in sorted(found["counts"].items())]}


@router.get("/campaigns/rounds/{round_id}.xlsx")
def round_xlsx(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
               state: StateQ = "", region: RegionQ = "", q: TextQ = "") -> Response:
    lang = workbook_lang(request)
    data = round_data(engine, user, round_id, domain_lang(lang), state=state, region=region,
                      q=q, limit=None)
    r = data["round"]
    rows = data["items"]
    title = f"{r['title']}（{r['region_name']}）"
    content = table_xlsx([Sheet(text(lang, "campaigns.rounds.members"), title, COLUMNS, rows,
                                notes=notes(engine, user, lang, count=len(rows), filters=(
                                    ("campaigns.rounds.col.state", state),
                                    ("pages.region", region))))], lang=lang)
    return xlsx_response(content, f"{r['title']}.xlsx", f"round-{round_id}.xlsx")


@router.get("/campaigns/rounds/{round_id}")
def round_page(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
               state: StateQ = "", region: RegionQ = "", q: TextQ = "",
               done: StateQ = "") -> Response:
    return render_page(request, ROUND, round_context(engine, user, request, round_id,
                                                     state=state, region=region, q=q,
                                                     done=done))


def round_context(engine: Engine, user: User, request: Request, round_id: int, *,
                  state: str = "", region: str = "", q: str = "", done: str = "",
                  scored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The round page's context (also the state form's refusal, web.campaigns.round_states)."""
    data = round_data(engine, user, round_id, request_lang(request), state=state,
                      region=region, q=q)
    params = {"state": state, "region": region, "q": q}
    export = f"/campaigns/rounds/{round_id}.xlsx"
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items() if v)
    return {"data": data, "round": data["round"], "params": params, "columns": COLUMNS,
            "member_states": MEMBER_STATES, "round_states": ROUND_STATES, "done": done,
            "moves_state": _moves_state(engine, user, data["round"]["region_code"]),
            "scored": scored,
            "export_href": export + (f"?{query}" if query else ""), "errors": {},
            # the spot checks / 公示 / award section (campaigns/_round_checks.html)
            "checks": checks.checks_view(engine, user, round_id)}


def _moves_state(engine: Engine, user: User, region_code: str) -> bool:
    """Whether the caller may move the round's state (web.campaigns.round_states): it runs
    rounds and holds the round's region."""
    if not user.can(Capability.RUN_ROUNDS):
        return False
    try:
        with engine.connect() as conn:
            scoped_filters(conn, user.scope, region_code=region_code)
    except NotFound:
        return False
    return True


class CountOut(BaseModel):
    state: str
    label: str
    count: int


class RoundDetailOut(BaseModel):
    round: dict[str, Any]
    items: list[MemberOut]
    shown: int
    counts: list[CountOut]


@api.get("/campaigns/rounds/{round_id}", response_model=RoundDetailOut)
def round_json(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
               state: StateQ = "", region: RegionQ = "", q: TextQ = "") -> dict[str, Any]:
    """A round with its members in the caller's scope (filters: state, region, text)."""
    return round_data(engine, user, round_id, request_lang(request), state=state,
                      region=region, q=q)


@router.post("/campaigns/rounds/{round_id}/score", dependencies=[
    requires(Capability.RUN_ROUNDS)])
def round_score(request: Request, user: CurrentUser, engine: EngineDep,
                round_id: RoundP) -> Response:
    try:
        got = round_scoring.score_round(engine, user, round_id)
    except DomainError as err:
        return form_error(request, ROUND, round_context(engine, user, request, round_id), err)
    return render_page(request, ROUND, round_context(engine, user, request, round_id,
                                                     done="scored", scored=got))


class ScoreOut(BaseModel):
    round_id: int
    members: int
    passed: int
    with_missing: int
    window: list[str]
    factor_set: str
    figures: list[str]
    seconds: float


@api.post("/campaigns/rounds/{round_id}/score", response_model=ScoreOut,
          dependencies=[requires(Capability.RUN_ROUNDS)])
def round_score_json(user: CurrentUser, engine: EngineDep, round_id: RoundP) -> dict[str, Any]:
    """Score every member from the platform's data and the scores entered; stored."""
    return round_scoring.score_round(engine, user, round_id)


__all__ = ["round_context", "round_data"]
