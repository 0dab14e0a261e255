"""Reporting tasks (填报任务): ``GET /reporting/tasks`` — my tasks (a 公共机构's own;
the scope's for others), filtered by state and period; ``GET /reporting/tasks/{id}``
— figures, data-quality findings, history, questions and the action buttons the
state machine allows me (``POST …/action``, ``POST …/questions``,
``POST …/questions/{id}``). JSON twins ``/api/v1/reporting/tasks…`` (an action's
``version`` is read — a stale one is 409). A refused form shows the task again with
the twin's status (:func:`jieneng.web.forms.form_error`). The task's NY202 rooms and
NY203 heating figures of its period (``forms_ny``, when the institution has any) are
shown beside the NY201 figures and reviewed with them (:func:`task_data`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIERS
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.reporting.tasks import Action
from jieneng.services.forms_ny import review as forms_ny_review
from jieneng.services.workflow import questions as workflow_questions
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.settings import Settings
from jieneng.web.common import blank, page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error, form_int, form_text
from jieneng.web.reporting.schemas import (
    STATES,
    ActionIn,
    AnswerIn,
    PageQ,
    PeriodQ,
    PerPageQ,
    QuestionId,
    QuestionIn,
    QuestionRefOut,
    StateQ,
    TaskDetailOut,
    TaskId,
    TaskMovedOut,
    TasksOut,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/reporting", tags=["reporting"], responses=API_ERRORS)


TASK = "pages/reporting_task.html"



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


def task_data(engine: Engine, user: User, task_id: int) -> dict[str, Any]:
    """The task (:func:`jieneng.services.workflow.tasks.task_detail`) with ``forms_ny``:
    the institution's NY202 / NY203 figures of the period, or None."""
    data = workflow_tasks.task_detail(engine, user, task_id)
    year, _, month = str(data["period"]).partition("-")
    data["forms_ny"] = forms_ny_review.task_forms(
        engine, user, data["institution"]["credit_code"], int(year),
        int(month) if month else None)
    return data


def task_context(engine: Engine, user: User, task_id: int, *, done: str | None = None
                 ) -> dict[str, Any]:
    data = task_data(engine, user, task_id)
    return {"data": data, "error": None, "done": done, "entry": entry_links(user, data),
            "carriers": CARRIERS}


def entry_links(user: User, data: dict[str, Any]) -> dict[str, Any] | None:
    """Where the task's figures are entered (the month's form, the year grid, the 基本信息),
    for those who may enter figures (the task is in their scope: it was read); ``edit``
    says whether the figures can still change (else the links are to look)."""
    if not user.can(Capability.ENTER_DATA):
        return None
    code = data["institution"]["credit_code"]
    year, _, month = str(data["period"]).partition("-")
    year_grid = f"/entry/{code}/{year}"
    return {"form": f"{year_grid}/{int(month)}" if month else year_grid,
            "year": year_grid, "profile": f"{year_grid}/profile",
            "edit": not data["locked"]}


@router.get("/reporting/tasks/{task_id}")
def task_page(request: Request, task_id: TaskId, user: CurrentUser, engine: EngineDep,
              done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    return page(request, TASK, task_context(engine, user, task_id, done=blank(done)))


def _act(request: Request, engine: Engine, settings: Settings, user: User, task_id: int,
         form: Mapping[str, Any]) -> Response:
    action = form_text(form, "action", 20) or ""
    try:
        workflow_tasks.act(engine, user, task_id, action, version=form_int(form, "version"),
                           reason=form_text(form, "reason"), settings=settings)
    except NotFound:
        raise
    except (DomainError, ValueError) as err:
        failure = err if isinstance(err, DomainError) else ValidationFailed.of(
            "web.unknown_action", action=action,
        )
        return form_error(request, TASK, task_context(engine, user, task_id), failure)
    return RedirectResponse(f"/reporting/tasks/{task_id}?done={action}", status_code=303)


@router.post("/reporting/tasks/{task_id}/action", dependencies=[requires(Capability.SUBMIT)])
async def task_action_form(request: Request, task_id: TaskId, user: CurrentUser,
                      engine: EngineDep, settings: SettingsDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_act, request, engine, settings, user, task_id, form)


def _ask(request: Request, engine: Engine, user: User, task_id: int,
         form: Mapping[str, Any], question_id: int | None,
         settings: Settings | None = None) -> Response:
    try:
        if question_id is None:
            workflow_questions.ask(engine, user, task_id, month=form_int(form, "month") or 0,
                                   carrier=form_text(form, "carrier", 24) or "",
                                   question=form_text(form, "question") or "",
                                   settings=settings)
        else:
            workflow_questions.answer(engine, user, task_id, question_id,
                                      text=form_text(form, "answer") or "")
    except NotFound:
        raise
    except DomainError as err:
        return form_error(request, TASK, task_context(engine, user, task_id), err)
    done = "ask" if question_id is None else "answer"
    return RedirectResponse(f"/reporting/tasks/{task_id}?done={done}", status_code=303)


@router.post("/reporting/tasks/{task_id}/questions", dependencies=[requires(Capability.REVIEW)])
async def task_ask(request: Request, task_id: TaskId, user: CurrentUser,
                   engine: EngineDep, settings: SettingsDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_ask, request, engine, user, task_id, form, None, settings)


@router.post("/reporting/tasks/{task_id}/questions/{question_id}",
             dependencies=[requires(Capability.SUBMIT)])
async def task_answer(request: Request, task_id: TaskId, question_id: QuestionId,
                      user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_ask, request, engine, user, task_id, form, question_id)


# ---------------------------------------------------------------- JSON twins
@api.get("/tasks", response_model=TasksOut)
def tasks(user: CurrentUser, engine: EngineDep, state: StateQ = None, period: PeriodQ = None,
          page: PageQ = 1, per_page: PerPageQ = 50) -> dict[str, Any]:
    """My tasks (own, or of my scope) with finding counts and my actions."""
    return workflow_tasks.list_tasks(engine, user, period_id=period,
                                     states=[state] if state else None, page=page,
                                     per_page=per_page)


@api.get("/tasks/{task_id}", response_model=TaskDetailOut)
def task(task_id: TaskId, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """A task: figures (and ``forms_ny``: the period's NY202 rooms and NY203 heating,
    or null), findings, history, questions, my actions."""
    return task_data(engine, user, task_id)


@api.post("/tasks/{task_id}/actions", dependencies=[requires(Capability.SUBMIT)],
             response_model=TaskMovedOut)
def task_action(task_id: TaskId, body: ActionIn, user: CurrentUser,
                engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """Submit, withdraw, approve, return, dept_approve, dept_return or reopen (a return
    or reopen reaches the task's 统计员: in-app and the region's channels)."""
    return workflow_tasks.act(engine, user, task_id, _action(body.action), version=body.version,
                              reason=body.reason, settings=settings)


def _action(text: str) -> Action:
    try:
        return Action(text)
    except ValueError:
        raise ValidationFailed.of("reporting.unknown_action", text=text, field="action") from None


@api.post("/tasks/{task_id}/questions", dependencies=[requires(Capability.REVIEW)],
             response_model=QuestionRefOut)
def ask(task_id: TaskId, body: QuestionIn, user: CurrentUser,
        engine: EngineDep, settings: SettingsDep) -> dict[str, Any]:
    """A reviewer's question on one figure (month, carrier) of the task."""
    return workflow_questions.ask(engine, user, task_id, month=body.month, carrier=body.carrier,
                                  question=body.question, settings=settings)


@api.post("/tasks/{task_id}/questions/{question_id}", dependencies=[requires(Capability.SUBMIT)],
             response_model=QuestionRefOut)
def answer(task_id: TaskId, question_id: QuestionId, body: AnswerIn, user: CurrentUser,
           engine: EngineDep) -> dict[str, Any]:
    """The filer's answer to a question."""
    return workflow_questions.answer(engine, user, task_id, question_id, text=body.answer)


