"""A round's state moved on the web (``run_rounds``), with its JSON twin:

- ``POST /campaigns/rounds/{round_id}/state`` (form field ``state``) — the form on the
  round page (``campaigns/_round_state.html``); done → back to the round page with
  ``?done=state``; refused → the round page again with the choice kept and the message;
- ``POST /api/v1/campaigns/rounds/{round_id}/state`` (``{"state": …}``) → the round.

The move itself is :func:`jieneng.services.campaigns.rounds.set_round_state` (only the
moves ``data/campaigns/round_transitions.csv`` allows by the state form — the form offers
just those, ``round.next_states`` —; the round's region in the caller's scope; audited).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability
from jieneng.services.campaigns import rounds
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error

from .round_page import ROUND, round_context
from .rounds import RoundOut, RoundP

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)


@router.post("/campaigns/rounds/{round_id}/state",
             dependencies=[requires(Capability.RUN_ROUNDS)])
def round_state(request: Request, user: CurrentUser, engine: EngineDep, round_id: RoundP,
                state: str = Form("", max_length=16)) -> Response:
    try:
        rounds.set_round_state(engine, user, round_id, state)
    except DomainError as err:
        context = {**round_context(engine, user, request, round_id), "state_form": {
            "state": state}}
        return form_error(request, ROUND, context, err, default_field="state")
    return RedirectResponse(f"/campaigns/rounds/{round_id}?done=state", status_code=303)


class StateIn(BaseModel):
    state: str = Field(max_length=16, description="open | reviewing | checking | closed: "
                                                  "one of the round's next_states")


@api.post("/campaigns/rounds/{round_id}/state", response_model=RoundOut,
          dependencies=[requires(Capability.RUN_ROUNDS)])
def round_state_json(body: StateIn, user: CurrentUser, engine: EngineDep,
                     round_id: RoundP) -> dict[str, Any]:
    """Move the round to another state (自评中 → 审核中 → 抽查中 → 公示中 → 已结束)."""
    return rounds.set_round_state(engine, user, round_id, body.state)


__all__ = ["api", "router"]
