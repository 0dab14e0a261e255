"""The review queue (审核): ``GET /review`` — my queue with finding counts; check
tasks and approve or return them in bulk (``POST /review``). JSON twin
``/api/v1/reporting/review`` (``GET``; ``POST``: the moved ids and the refused ones
with their reason). A refused form shows the queue again with the twin's status
(:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.reporting.tasks import TaskState
from jieneng.services.workflow import access as workflow_access
from jieneng.services.workflow import review as workflow_review
from jieneng.web.common import blank, page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error
from jieneng.web.reporting.schemas import (
    BulkReviewOut,
    PageQ,
    PeriodQ,
    PerPageQ,
    ReviewIn,
    ReviewQueueOut,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/reporting", tags=["reporting"], responses=API_ERRORS)
STATES = [s.value for s in TaskState]
MAX_TEXT = 2000


REVIEW = "pages/review.html"


def _text(form: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str | None:
    raw = form.get(name)
    return blank(raw[:limit]) if isinstance(raw, str) else None


def _int(form: Mapping[str, Any], name: str) -> int | None:
    text = _text(form, name, 12)
    return int(text) if text and text.isdigit() else None


def review_context(engine: Engine, user: User, *, period: int | None = None,
                   page_no: int = 1, result: dict[str, Any] | None = None) -> dict[str, Any]:
    data = workflow_review.review_queue(engine, user, period_id=period, page=page_no)
    return {"data": data, "period": period, "result": result, "error": None,
            "can_decide": user.can(Capability.REVIEW) and data["reviewer"] is not None}


@router.get("/review")
def review_page(request: Request, user: CurrentUser, engine: EngineDep, period: PeriodQ = None,
                page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1) -> Response:
    return page(request, REVIEW, review_context(engine, user, period=period, page_no=page_no))


def parse_selection(values: list[str]) -> list[tuple[int, int | None]]:
    """Checkbox values ``<id>:<version>`` (or ``<id>``) → ``(id, version)``."""
    out: list[tuple[int, int | None]] = []
    for value in values[: workflow_access.MAX_BULK]:
        head, _, tail = value.partition(":")
        if head.isdigit() and len(head) < 11:
            out.append((int(head), int(tail) if tail.isdigit() and len(tail) < 11 else None))
    return out


def _review(request: Request, engine: Engine, user: User, form: Any) -> Response:
    chosen = parse_selection([v for v in form.getlist("task") if isinstance(v, str)])
    try:
        if not chosen:
            raise ValidationFailed.of("web.no_task_selected", field="task")
        result = workflow_review.bulk_review(engine, user, _text(form, "decision", 10) or "",
                                             chosen, reason=_text(form, "reason"))
    except DomainError as err:
        return form_error(request, REVIEW, review_context(engine, user), err)
    return page(request, REVIEW, review_context(engine, user, result=result))


@router.post("/review", dependencies=[requires(Capability.REVIEW)])
async def review_bulk_form(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, engine, user, form)


# ---------------------------------------------------------------- JSON twin
@api.get("/review", response_model=ReviewQueueOut)
def review(user: CurrentUser, engine: EngineDep, period: PeriodQ = None, page: PageQ = 1,
           per_page: PerPageQ = 50) -> dict[str, Any]:
    """My review queue (first page, total) with the finding counts of each task."""
    return workflow_review.review_queue(engine, user, period_id=period, page=page,
                                        per_page=per_page)


@api.post("/review", dependencies=[requires(Capability.REVIEW)],
             response_model=BulkReviewOut)
def review_bulk(body: ReviewIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Approve or return many tasks: one update for those whose version and state allow."""
    return workflow_review.bulk_review(engine, user, body.decision,
                                       [(t.id, t.version) for t in body.tasks], reason=body.reason)
