"""The review of a round's member (issue 14 §3): for the reviewer of the level where it
waits, approve (with review scores) / return to the unit / fail, with a reason —
``POST /campaigns/rounds/{round_id}/members/{institution_code}/review`` (``review``; a
refusal shows the member's page again, :mod:`.round_members`) and its JSON twin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.services.campaigns import review
from jieneng.web.campaigns.round_members import (
    CodeP,
    MemberViewOut,
    member_data,
    member_form,
    read_scores,
)
from jieneng.web.campaigns.rounds import RoundP, request_lang
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)


def _review(engine: Engine, user: User, round_id: int, code: str,
            fields: dict[str, str]) -> str:
    decision = fields.get("decision", "")
    if decision == "approve":
        scores, notes_ = read_scores(fields, "review")
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
    return await member_form(request, engine, user, round_id, institution_code, _review)


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
    return member_data(engine, user, round_id, code, request_lang(request))
