"""The reporting workflow pages (填报任务与审核).

- ``GET /reporting`` — the periods of my scope with their task counts; an office
  (管理机构) or administrator opens a period there (``POST /reporting/periods``);
- ``GET /reporting/tasks`` — my tasks (a 公共机构's own; the scope's for others),
  filtered by state and period;
- ``GET /reporting/tasks/{task_id}`` — figures, data-quality findings, history,
  questions and the action buttons the state machine allows me
  (``POST …/action``, ``POST …/questions``, ``POST …/questions/{id}``);
- ``GET /review`` — the review queue with finding counts; check tasks and approve
  or return them in bulk (``POST /review``).

Every POST carries the session's CSRF token (checked by :data:`CurrentUser`).
JSON twins: :mod:`jieneng.web.api.reporting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, DomainError, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.reporting.tasks import TaskState
from jieneng.services.accounts import users
from jieneng.services.workflow import access as workflow_access
from jieneng.services.workflow import periods as workflow_periods
from jieneng.services.workflow import questions as workflow_questions
from jieneng.services.workflow import review as workflow_review
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.web.common import blank, page
from jieneng.web.deps import CurrentUser, EngineDep, requires

router = APIRouter(include_in_schema=False)

TaskId = Annotated[int, Path(ge=1, le=2**31 - 1, description="填报任务 task id")]
QuestionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="问题 question id")]
StateQ = Annotated[str | None, Query(max_length=20, description="任务状态 task state")]
PeriodQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="报告期 period id")]
STATES = [s.value for s in TaskState]
MAX_TEXT = 2000


def _text(form: Mapping[str, Any], name: str, limit: int = MAX_TEXT) -> str | None:
    raw = form.get(name)
    return blank(raw[:limit]) if isinstance(raw, str) else None


def _int(form: Mapping[str, Any], name: str) -> int | None:
    text = _text(form, name, 12)
    return int(text) if text and text.isdigit() else None


def periods_data(engine: Engine, user: User) -> dict[str, Any]:
    return {"items": workflow_periods.list_periods(engine, user),
            "can_open": workflow_periods.can_open_periods(user),
            "home_region": users.home_region(engine, user)}


def render_periods(request: Request, engine: Engine, user: User, *,
                   error: DomainError | None = None, opened: dict[str, Any] | None = None,
                   form: Mapping[str, Any] | None = None, status_code: int = 200) -> Response:
    data = periods_data(engine, user)
    return page(request, "pages/reporting.html", {
        "data": data, "error": error, "opened": opened, "form": dict(form or {}),
        "states": STATES}, status_code=status_code)


@router.get("/reporting")
def reporting_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return render_periods(request, engine, user)


def _open(request: Request, engine: Engine, user: User, form: Mapping[str, Any]) -> Response:
    deadline_text = _text(form, "deadline", 10)
    try:
        deadline = date.fromisoformat(deadline_text) if deadline_text else None
    except ValueError:
        deadline = None
    try:
        if deadline_text and deadline is None:
            raise ValidationFailed("截止日期无效", "invalid deadline", field="deadline")
        opened = workflow_periods.open_period(
            engine, user, region_code=_text(form, "region", 6) or "",
            period=_text(form, "period", 12) or "", deadline=deadline,
            department_step=form.get("department_step") == "1")
    except NotFound:
        raise
    except DomainError as err:
        return render_periods(request, engine, user, error=err, form=form,
                              status_code=_status(err))
    return render_periods(request, engine, user, opened=opened)


@router.post("/reporting/periods", dependencies=[requires(Capability.OPEN_PERIODS)])
async def reporting_open(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_open, request, engine, user, form)


@router.get("/reporting/tasks")
def tasks_page(
    request: Request, user: CurrentUser, engine: EngineDep, state: StateQ = None,
    period: PeriodQ = None, page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1,
) -> Response:
    chosen = blank(state)
    states = [chosen] if chosen else None
    data = workflow_tasks.list_tasks(engine, user, period_id=period, states=states, page=page_no)
    return page(request, "pages/reporting_tasks.html", {
        "data": data, "state": blank(state) or "", "period": period, "states": STATES})


def render_task(request: Request, engine: Engine, user: User, task_id: int, *,
                error: DomainError | None = None, done: str | None = None,
                status_code: int = 200) -> Response:
    data = workflow_tasks.task_detail(engine, user, task_id)
    return page(request, "pages/reporting_task.html",
                {"data": data, "error": error, "done": done}, status_code=status_code)


def _status(err: DomainError) -> int:
    """A form's refusal: by the kind of error, as its JSON twin (a specific code such
    as ``capability_required`` is still a refusal, 403)."""
    return 409 if isinstance(err, Conflict) else 403 if isinstance(err, NotPermitted) else 422


@router.get("/reporting/tasks/{task_id}")
def task_page(request: Request, task_id: TaskId, user: CurrentUser, engine: EngineDep,
              done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return render_task(request, engine, user, task_id, done=blank(done))


def _act(request: Request, engine: Engine, user: User, task_id: int,
         form: Mapping[str, Any]) -> Response:
    action = _text(form, "action", 20) or ""
    try:
        workflow_tasks.act(engine, user, task_id, action, version=_int(form, "version"),
                           reason=_text(form, "reason"))
    except NotFound:
        raise
    except (DomainError, ValueError) as err:
        failure = err if isinstance(err, DomainError) else ValidationFailed(
            "未知操作", "unknown action", action=action)
        return render_task(request, engine, user, task_id, error=failure,
                           status_code=_status(failure))
    return RedirectResponse(f"/reporting/tasks/{task_id}?done={action}", status_code=303)


@router.post("/reporting/tasks/{task_id}/action", dependencies=[requires(Capability.SUBMIT)])
async def task_action(request: Request, task_id: TaskId, user: CurrentUser,
                      engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_act, request, engine, user, task_id, form)


def _ask(request: Request, engine: Engine, user: User, task_id: int,
         form: Mapping[str, Any], question_id: int | None) -> Response:
    try:
        if question_id is None:
            workflow_questions.ask(engine, user, task_id, month=_int(form, "month") or 0,
                                   carrier=_text(form, "carrier", 24) or "",
                                   question=_text(form, "question") or "")
        else:
            workflow_questions.answer(engine, user, task_id, question_id,
                                      text=_text(form, "answer") or "")
    except NotFound:
        raise
    except DomainError as err:
        return render_task(request, engine, user, task_id, error=err, status_code=_status(err))
    done = "ask" if question_id is None else "answer"
    return RedirectResponse(f"/reporting/tasks/{task_id}?done={done}", status_code=303)


@router.post("/reporting/tasks/{task_id}/questions", dependencies=[requires(Capability.REVIEW)])
async def task_ask(request: Request, task_id: TaskId, user: CurrentUser,
                   engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_ask, request, engine, user, task_id, form, None)


@router.post("/reporting/tasks/{task_id}/questions/{question_id}",
             dependencies=[requires(Capability.SUBMIT)])
async def task_answer(request: Request, task_id: TaskId, question_id: QuestionId,
                      user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_ask, request, engine, user, task_id, form, question_id)


def render_review(request: Request, engine: Engine, user: User, *, period: int | None = None,
                  page_no: int = 1, result: dict[str, Any] | None = None,
                  error: DomainError | None = None, status_code: int = 200) -> Response:
    data = workflow_review.review_queue(engine, user, period_id=period, page=page_no)
    return page(request, "pages/review.html", {
        "data": data, "period": period, "result": result, "error": error,
        "can_decide": user.can(Capability.REVIEW) and data["reviewer"] is not None},
        status_code=status_code)


@router.get("/review")
def review_page(request: Request, user: CurrentUser, engine: EngineDep, period: PeriodQ = None,
                page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1) -> Response:
    return render_review(request, engine, user, period=period, page_no=page_no)


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
            raise ValidationFailed("请先勾选任务", "select at least one task", field="task")
        result = workflow_review.bulk_review(engine, user, _text(form, "decision", 10) or "",
                                             chosen, reason=_text(form, "reason"))
    except DomainError as err:
        return render_review(request, engine, user, error=err, status_code=_status(err))
    return render_review(request, engine, user, result=result)


@router.post("/review", dependencies=[requires(Capability.REVIEW)])
async def review_bulk(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, engine, user, form)
