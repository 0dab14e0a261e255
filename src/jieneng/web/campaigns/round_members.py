"""A member of a round (issue 14 §3), each page with its JSON twin:

- ``/campaigns/rounds/{round_id}/members/{institution_code}`` — the self-assessment form
  (every item with its maximum, the computed items with their figures, evidence list and
  upload, submit; ``self_assess``) and, for the reviewer of the level where it waits, the
  review form (:mod:`.round_review`, approve / return / fail);
- ``…/evidence`` — an evidence upload (``self_assess``) and ``…/evidence/{id}`` its
  download.

A refused form comes back with what was typed and the message at the field it names,
with the status its JSON twin answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.campaigns.rounds import evidence_types, parse_score
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.campaigns import assess, evidence, round_scoring
from jieneng.web.campaigns.rounds import RoundP, StateQ, request_lang, state_label
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.uploads import SizeChecked

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
MEMBER = "campaigns/round_member.html"
CodeP = Annotated[str, Path(min_length=18, max_length=18, pattern=r"^[0-9A-Za-z]{18}$",
                            description="统一社会信用代码")]
IdP = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: a member form's action: (engine, caller, round id, credit code, fields) → what was done
MemberAct = Callable[[Engine, User, int, str, dict[str, str]], str]


def member_data(engine: Engine, user: User, round_id: int, code: str, lang: str
                ) -> dict[str, Any]:
    view = assess.member_view(engine, user, round_id, code.upper())
    view["member"]["state_label"] = state_label(lang, view["member"]["state"])
    view["breakdown"] = round_scoring.member_breakdown(engine, user, round_id, code.upper())
    return view


def member_context(engine: Engine, user: User, request: Request, round_id: int, code: str,
                   *, form: dict[str, str] | None = None, done: str = "") -> dict[str, Any]:
    view = member_data(engine, user, round_id, code, request_lang(request))
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


async def refused(request: Request, engine: Engine, user: User, round_id: int, code: str,
                  fields: dict[str, str], err: DomainError, at: str | None = None
                  ) -> Response:
    """The member's page again with what was typed and the refusal at its field (``at``:
    where a refusal naming no field shows), under its JSON twin's status."""
    context = await run_in_threadpool(member_context, engine, user, request, round_id, code,
                                      form=fields)
    return await run_in_threadpool(partial(form_error, at=at), request, MEMBER, context, err)


def member_done(round_id: int, code: str, done: str, anchor: str = "") -> Response:
    """Back to the member's page after a change, saying what was done."""
    return RedirectResponse(f"/campaigns/rounds/{round_id}/members/{code}?done={done}"
                            f"{anchor}", status_code=303)


@router.get("/campaigns/rounds/{round_id}/members/{institution_code}")
def member_page(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                institution_code: CodeP, done: StateQ = "") -> Response:
    return render_page(request, MEMBER, member_context(engine, user, request, round_id,
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
    return member_data(engine, user, round_id, institution_code, request_lang(request))


def read_scores(fields: dict[str, str], prefix: str) -> tuple[dict[str, float | None],
                                                              dict[str, str]]:
    """The scores (``score.`` / ``review.`` fields) and notes (``note.`` / ``rnote.``) of
    a member form."""
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
    scores, notes_ = read_scores(fields, "score")
    assess.save_self_assessment(engine, user, round_id, code, scores, notes_)
    if fields.get("action") == "submit":
        assess.submit_self_assessment(engine, user, round_id, code)
        return "submitted"
    return "saved"


async def member_form(request: Request, engine: Engine, user: User, round_id: int,
                      institution_code: str, act: MemberAct) -> Response:
    """A member's form posted: ``act`` (what was done, from the form's fields) in a thread,
    then back to the member's page saying it; refused, the page again (:func:`refused`)."""
    got = await request.form(max_fields=400)
    fields = {k: str(v)[:2000] for k, v in got.items() if isinstance(v, str)}
    code = institution_code.upper()
    try:
        done = await run_in_threadpool(act, engine, user, round_id, code, fields)
    except DomainError as err:
        return await refused(request, engine, user, round_id, code, fields, err)
    return member_done(round_id, code, done)


@router.post("/campaigns/rounds/{round_id}/members/{institution_code}",
             dependencies=[requires(Capability.SELF_ASSESS)])
async def member_save(request: Request, user: CurrentUser, engine: EngineDep,
                      round_id: RoundP, institution_code: CodeP) -> Response:
    return await member_form(request, engine, user, round_id, institution_code, _self_assess)


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
    return member_data(engine, user, round_id, code, request_lang(request))


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
        return await refused(request, engine, user, round_id, code, fields, err, at="file")
    return member_done(round_id, code, "uploaded", "#evidence")


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


__all__ = ["CodeP", "MemberViewOut", "member_context", "member_data", "member_form",
           "read_scores"]
