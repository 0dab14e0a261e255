"""Round pages (创建评价轮次, issue 14 §3), each with its JSON twin:

- ``/campaigns/rounds`` — the rounds the caller sees (filters: region, year, scheme,
  state), the members waiting for the caller's review, and the form to open a round
  (``run_rounds``: ``POST /campaigns/rounds``, twin ``POST /api/v1/campaigns/rounds``);
- ``/campaigns/rounds/{round_id}`` — a round: its members in the caller's scope (unit,
  state, review level, total, grade, missing; filters), counts per state, scoring
  (``POST …/score``, ``run_rounds``), the Excel export ``/campaigns/rounds/{id}.xlsx``
  and the place of the spot checks / 公示 / award section
  (``campaigns/_round_checks.html``);
- ``/campaigns/rounds/{round_id}/members/{institution_code}`` — the self-assessment
  form (every item with its maximum, the computed items with their figures, evidence
  list and upload, submit; ``self_assess``) and, for the reviewer of the level where it
  waits, approve / return / fail (``review``); evidence downloads.

A refused form comes back with what was typed and the message at the field it names,
with the status its JSON twin answers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import MEMBER_STATES, ROUND_STATES, evidence_types, parse_score
from jieneng.core.campaigns.shipped import SHIPPED
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.campaigns import assess, evidence, review, round_scoring, rounds
from jieneng.services.campaigns.schemes import list_schemes
from jieneng.services.scope import scoped_filters
from jieneng.web.campaigns.checks import checks_context
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import SizeChecked

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
LIST, ROUND, MEMBER = ("campaigns/rounds.html", "campaigns/round.html",
                       "campaigns/round_member.html")
RoundP = Annotated[int, Path(ge=1, le=2**31 - 1, description="轮次编号 round id")]
CodeP = Annotated[str, Path(min_length=18, max_length=18, pattern=r"^[0-9A-Za-z]{18}$",
                            description="统一社会信用代码")]
IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$")]
YearQ = Annotated[str, Query(max_length=4, pattern=r"^(\d{4})?$")]
SchemeQ = Annotated[str, Query(max_length=64, pattern=r"^[0-9A-Za-z_\-]*$")]
StateQ = Annotated[str, Query(max_length=16, pattern=r"^[a-z_]*$")]
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


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _state(lang: str, state: str) -> str:
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
    lang = _lang(request)
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


# ---------------------------------------------------------------- a round


def round_data(engine: Engine, user: User, round_id: int, lang: str, *, state: str = "",
               region: str = "", q: str = "", limit: int | None = rounds.MEMBER_PAGE
               ) -> dict[str, Any]:
    found = rounds.get_round(engine, user, round_id)
    members = rounds.round_members(engine, user, round_id, state=state or None,
                                   region_code=region or None, text=q or None, limit=limit)
    for m in members:
        m["state_label"] = _state(lang, m["state"])
        m["passed_label"] = ("" if m["passed"] is None else text(
            lang, "campaigns.rounds.passed_yes" if m["passed"] else "campaigns.rounds.passed_no"))
    return {"round": found, "items": members, "shown": len(members),
            "counts": [{"state": s, "label": _state(lang, s), "count": n}
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
    return render_page(request, ROUND, _round_context(engine, user, request, round_id,
                                                      state=state, region=region, q=q,
                                                      done=done))


def _round_context(engine: Engine, user: User, request: Request, round_id: int, *,
                   state: str = "", region: str = "", q: str = "", done: str = "",
                   scored: dict[str, Any] | None = None) -> dict[str, Any]:
    data = round_data(engine, user, round_id, _lang(request), state=state, region=region, q=q)
    params = {"state": state, "region": region, "q": q}
    export = f"/campaigns/rounds/{round_id}.xlsx"
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items() if v)
    return {"data": data, "round": data["round"], "params": params, "columns": COLUMNS,
            "member_states": MEMBER_STATES, "round_states": ROUND_STATES, "done": done,
            "moves_state": _moves_state(engine, user, data["round"]["region_code"]),
            "scored": scored,
            "export_href": export + (f"?{query}" if query else ""), "errors": {},
            # the spot checks / 公示 / award section (campaigns/_round_checks.html)
            "checks": checks_context(engine, user, round_id)}


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
    return round_data(engine, user, round_id, _lang(request), state=state, region=region, q=q)


@router.post("/campaigns/rounds/{round_id}/score", dependencies=[
    requires(Capability.RUN_ROUNDS)])
def round_score(request: Request, user: CurrentUser, engine: EngineDep,
                round_id: RoundP) -> Response:
    try:
        got = round_scoring.score_round(engine, user, round_id)
    except DomainError as err:
        return form_error(request, ROUND, _round_context(engine, user, request, round_id), err)
    return render_page(request, ROUND, _round_context(engine, user, request, round_id,
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


# ---------------------------------------------------------------- a member


def member_data(engine: Engine, user: User, round_id: int, code: str, lang: str
                ) -> dict[str, Any]:
    view = assess.member_view(engine, user, round_id, code.upper())
    view["member"]["state_label"] = _state(lang, view["member"]["state"])
    view["breakdown"] = round_scoring.member_breakdown(engine, user, round_id, code.upper())
    return view


def _member_context(engine: Engine, user: User, request: Request, round_id: int, code: str,
                    *, form: dict[str, str] | None = None, done: str = "") -> dict[str, Any]:
    view = member_data(engine, user, round_id, code, _lang(request))
    typed = form or {}
    for item in view["items"]:
        mine = item["scores"].get("self")
        item["typed"] = typed.get(f"score.{item['code']}", "" if mine is None else f"{mine:g}")
        item["typed_note"] = typed.get(f"note.{item['code']}",
                                       (item["notes"].get("self") or ""))
        theirs = item["scores"].get("review")
        item["typed_review"] = typed.get(f"review.{item['code']}",
                                         "" if theirs is None else f"{theirs:g}")
    return {"view": view, "round": view["round"], "form": typed, "done": done,
            "reason": typed.get("reason", ""), "errors": {},
            "accepted": ", ".join(sorted({t.suffix for t in evidence_types()}))}


@router.get("/campaigns/rounds/{round_id}/members/{institution_code}")
def member_page(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                institution_code: CodeP, done: StateQ = "") -> Response:
    return render_page(request, MEMBER, _member_context(engine, user, request, round_id,
                                                        institution_code, done=done))


class MemberViewOut(BaseModel):
    round: dict[str, Any]
    member: dict[str, Any]
    scheme: dict[str, Any]
    items: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    chain: list[dict[str, Any]]
    can_assess: bool
    can_review: bool
    breakdown: dict[str, Any]


@api.get("/campaigns/rounds/{round_id}/members/{institution_code}",
         response_model=MemberViewOut)
def member_json(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                institution_code: CodeP) -> dict[str, Any]:
    """A member's self-assessment: every item with its maximum and the scores of each
    stage, the computed figures, the evidence, the review chain."""
    return member_data(engine, user, round_id, institution_code, _lang(request))


def _scores(fields: dict[str, str], prefix: str) -> tuple[dict[str, float | None],
                                                          dict[str, str]]:
    scores: dict[str, float | None] = {}
    notes_: dict[str, str] = {}
    for key, value in fields.items():
        if key.startswith(f"{prefix}."):
            code = key[len(prefix) + 1:]
            scores[code] = parse_score(code, value)
        elif key.startswith("note.") and prefix == "score":
            notes_[key[5:]] = value
        elif key.startswith("rnote.") and prefix == "review":
            notes_[key[6:]] = value
    return scores, notes_


def _self_assess(engine: Engine, user: User, round_id: int, code: str,
                 fields: dict[str, str]) -> str:
    scores, notes_ = _scores(fields, "score")
    assess.save_self_assessment(engine, user, round_id, code, scores, notes_)
    if fields.get("action") == "submit":
        assess.submit_self_assessment(engine, user, round_id, code)
        return "submitted"
    return "saved"


async def _fields(request: Request) -> dict[str, str]:
    got = await request.form(max_fields=400)
    return {k: str(v)[:2000] for k, v in got.items() if isinstance(v, str)}


@router.post("/campaigns/rounds/{round_id}/members/{institution_code}",
             dependencies=[requires(Capability.SELF_ASSESS)])
async def member_save(request: Request, user: CurrentUser, engine: EngineDep,
                      round_id: RoundP, institution_code: CodeP) -> Response:
    fields = await _fields(request)
    code = institution_code.upper()
    try:
        done = await run_in_threadpool(_self_assess, engine, user, round_id, code, fields)
    except DomainError as err:
        context = await run_in_threadpool(_member_context, engine, user, request, round_id,
                                          code, form=fields)
        return await run_in_threadpool(form_error, request, MEMBER, context, err)
    return RedirectResponse(f"/campaigns/rounds/{round_id}/members/{code}?done={done}",
                            status_code=303)


class SelfAssessIn(BaseModel):
    scores: dict[str, float | None] = Field(default_factory=dict, max_length=500)
    notes: dict[str, str] = Field(default_factory=dict, max_length=500)
    submit: bool = False


@api.post("/campaigns/rounds/{round_id}/members/{institution_code}/self-assessment",
          response_model=MemberViewOut, dependencies=[requires(Capability.SELF_ASSESS)])
def member_save_json(request: Request, body: SelfAssessIn, user: CurrentUser,
                     engine: EngineDep, round_id: RoundP, institution_code: CodeP
                     ) -> dict[str, Any]:
    """Save the unit's scores (0 … each item's maximum) and notes; ``submit`` then
    submits (refused while a checklist item has no score)."""
    code = institution_code.upper()
    assess.save_self_assessment(engine, user, round_id, code, body.scores, body.notes)
    if body.submit:
        assess.submit_self_assessment(engine, user, round_id, code)
    return member_data(engine, user, round_id, code, _lang(request))


def _review(engine: Engine, user: User, round_id: int, code: str,
            fields: dict[str, str]) -> str:
    decision = fields.get("decision", "")
    if decision == "approve":
        scores, notes_ = _scores(fields, "review")
        review.approve_member(engine, user, round_id, code, scores=scores, notes=notes_,
                              note=fields.get("reason", ""))
        return "approved"
    if decision in ("return", "fail"):
        act = review.return_member if decision == "return" else review.fail_member
        act(engine, user, round_id, code, fields.get("reason", ""))
        return "returned" if decision == "return" else "failed"
    raise ValidationFailed.of("round_bad_decision", field="decision", value=decision[:16])


@router.post("/campaigns/rounds/{round_id}/members/{institution_code}/review",
             dependencies=[requires(Capability.REVIEW)])
async def member_review(request: Request, user: CurrentUser, engine: EngineDep,
                        round_id: RoundP, institution_code: CodeP) -> Response:
    fields = await _fields(request)
    code = institution_code.upper()
    try:
        done = await run_in_threadpool(_review, engine, user, round_id, code, fields)
    except DomainError as err:
        context = await run_in_threadpool(_member_context, engine, user, request, round_id,
                                          code, form=fields)
        return await run_in_threadpool(form_error, request, MEMBER, context, err)
    return RedirectResponse(f"/campaigns/rounds/{round_id}/members/{code}?done={done}",
                            status_code=303)


class ReviewIn(BaseModel):
    decision: str = Field(pattern=r"^(approve|return|fail)$")
    reason: str = Field(default="", max_length=2000)
    scores: dict[str, float | None] = Field(default_factory=dict, max_length=500)
    notes: dict[str, str] = Field(default_factory=dict, max_length=500)


@api.post("/campaigns/rounds/{round_id}/members/{institution_code}/review",
          response_model=MemberViewOut, dependencies=[requires(Capability.REVIEW)])
def member_review_json(request: Request, body: ReviewIn, user: CurrentUser,
                       engine: EngineDep, round_id: RoundP, institution_code: CodeP
                       ) -> dict[str, Any]:
    """Approve at the caller's level (review scores optional), return to the unit or
    refuse, with a reason."""
    code = institution_code.upper()
    fields = {"decision": body.decision, "reason": body.reason,
              **{f"review.{k}": "" if v is None else str(v) for k, v in body.scores.items()},
              **{f"rnote.{k}": v for k, v in body.notes.items()}}
    _review(engine, user, round_id, code, fields)
    return member_data(engine, user, round_id, code, _lang(request))


# ---------------------------------------------------------------- evidence


async def _upload(request: Request, settings: Any) -> tuple[dict[str, str], str, bytes]:
    form = await request.form(max_files=1, max_fields=20)
    try:
        fields = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.of("uploads.no_file", field="file")
        content = await upload.read(settings.max_upload_bytes + 1)
        return fields, upload.filename, content
    finally:
        await form.close()


def _add(engine: Engine, user: User, round_id: int, code: str, item: str, name: str,
         content: bytes, limit: int) -> dict[str, Any]:
    return evidence.add_evidence(engine, user, round_id, code, item, file_name=name,
                                 data=content, max_bytes=limit)


@router.post("/campaigns/rounds/{round_id}/members/{institution_code}/evidence",
             dependencies=[requires(Capability.SELF_ASSESS)])
async def evidence_upload(request: Request, _size: SizeChecked, user: CurrentUser,
                          engine: EngineDep, settings: SettingsDep, round_id: RoundP,
                          institution_code: CodeP) -> Response:
    code = institution_code.upper()
    fields: dict[str, str] = {}
    try:
        fields, name, content = await _upload(request, settings)
        await run_in_threadpool(_add, engine, user, round_id, code, fields.get("item", ""),
                                name, content, settings.max_upload_bytes)
    except DomainError as err:
        context = await run_in_threadpool(_member_context, engine, user, request, round_id,
                                          code, form=fields)
        return await run_in_threadpool(form_error, request, MEMBER, context, err, at="file")
    return RedirectResponse(f"/campaigns/rounds/{round_id}/members/{code}?done=uploaded"
                            "#evidence", status_code=303)


class EvidenceOut(BaseModel):
    id: int
    member_id: int
    item_code: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str


@api.post("/campaigns/rounds/{round_id}/members/{institution_code}/evidence",
          response_model=EvidenceOut, status_code=201,
          dependencies=[requires(Capability.SELF_ASSESS)])
async def evidence_upload_json(request: Request, _size: SizeChecked, user: CurrentUser,
                               engine: EngineDep, settings: SettingsDep, round_id: RoundP,
                               institution_code: CodeP) -> dict[str, Any]:
    """Attach a file (multipart ``file`` and ``item``) to an item: pdf, jpg, png, docx or
    xlsx within the upload limit; anything else refused, nothing stored."""
    fields, name, content = await _upload(request, settings)
    return await run_in_threadpool(_add, engine, user, round_id, institution_code.upper(),
                                   fields.get("item", ""), name, content,
                                   settings.max_upload_bytes)


@router.get("/campaigns/rounds/{round_id}/members/{institution_code}/evidence/{evidence_id}")
def evidence_download(user: CurrentUser, engine: EngineDep, round_id: RoundP,
                      institution_code: CodeP, evidence_id: IdP) -> Response:
    meta, content = evidence.evidence_content(engine, user, round_id,
                                              institution_code.upper(), evidence_id)
    name = str(meta["file_name"])
    return Response(content, media_type=str(meta["content_type"]), headers={
        "Content-Disposition": f"attachment; filename=\"evidence-{evidence_id}\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff"})


__all__ = ["member_data", "round_data", "rounds_data"]
