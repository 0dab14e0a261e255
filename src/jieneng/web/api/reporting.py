"""JSON twins of the reporting pages: ``/api/v1/reporting/…``.

``GET periods`` / ``POST periods`` (open or sync a period), ``GET tasks`` (my
tasks; ``state``, ``period``, ``page``, ``per_page``), ``GET tasks/{id}`` (figures,
findings, history, questions, my actions), ``POST tasks/{id}/actions`` (``action``,
``version`` read — a stale one is 409 ``conflict`` — and ``reason``), ``POST
tasks/{id}/questions`` and ``…/questions/{qid}`` (answer), ``GET review`` (my review
queue with finding counts) and ``POST review`` (bulk approve/return: moved ids
and the refused ones with their reason).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.reporting.tasks import Action
from jieneng.services.workflow import access as workflow_access
from jieneng.services.workflow import periods as workflow_periods
from jieneng.services.workflow import questions as workflow_questions
from jieneng.services.workflow import review as workflow_review
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.pages.reporting import PeriodQ, QuestionId, StateQ, TaskId

router = APIRouter(prefix="/api/v1/reporting", tags=["reporting"], responses=API_ERRORS)

PageQ = Annotated[int, Query(ge=1, le=100000)]
PerPageQ = Annotated[int, Query(ge=1, le=workflow_access.MAX_PER_PAGE)]


class PeriodIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$", examples=["450300"])
    period: str = Field(max_length=12, examples=["2024-12", "2024"])
    deadline: date | None = None
    department_step: bool = False


class ActionIn(BaseModel):
    action: str = Field(max_length=20, examples=["submit", "approve", "return"])
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    reason: str | None = Field(default=None, max_length=2000)


class QuestionIn(BaseModel):
    month: int = Field(ge=1, le=12)
    carrier: str = Field(max_length=24, examples=["electricity"])
    question: str = Field(max_length=2000)


class AnswerIn(BaseModel):
    answer: str = Field(max_length=2000)


class ReviewItem(BaseModel):
    id: int = Field(ge=1, le=2**31 - 1)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ReviewIn(BaseModel):
    decision: Literal["approve", "return"]
    reason: str | None = Field(default=None, max_length=2000)
    tasks: list[ReviewItem] = Field(max_length=workflow_access.MAX_BULK)


class TaskInstitutionOut(BaseModel):
    credit_code: str = Field(description="统一社会信用代码")
    name: str
    region_code: str
    category: str = Field(description="单位类别")


class TaskOut(BaseModel):
    """A reporting task (填报任务) with its finding counts and what I may do with it."""

    id: int
    period_id: int
    period: str = Field(examples=["2024-12", "2024"])
    period_label: str
    kind: str = Field(description="monthly or annual")
    deadline: str | None = Field(description="截止日期 (ISO date)")
    institution: TaskInstitutionOut
    state: str = Field(examples=["submitted"])
    state_zh: str
    state_en: str
    version: int = Field(description="send it back with an action (optimistic lock)")
    locked: bool = Field(description="the figures may not be changed in this state")
    department_step: bool = Field(description="a 主管部门 reviews before the office")
    updated_at: str | None
    submitted_at: str | None
    approved_at: str | None
    errors: int = Field(description="blocking findings")
    unexplained_warnings: int
    actions: list[str] = Field(description="the actions I may take now")


class TasksOut(BaseModel):
    items: list[TaskOut]
    total: int
    page: int
    per_page: int


class ReviewQueueOut(TasksOut):
    reviewer: str | None = Field(description="department or office; None: I review nothing")


class TaskFigureOut(BaseModel):
    """A carrier's figures over the task's period (current records)."""

    carrier: str
    name_zh: str
    name_en: str
    unit: str = Field(description="canonical unit")
    quantity: float = Field(description="Σ quantity")
    cost_yuan: float | None = Field(description="Σ cost [元]; None: no cost given")
    months: int = Field(description="months with a figure")


class TaskFindingOut(BaseModel):
    """A data-quality finding on the task's figures."""

    id: int
    year: int
    month: int
    carrier: str
    rule: str = Field(description="the quality rule's code")
    severity: str
    state: str
    value: float | None
    expected: float | None
    suggested: float | None
    explanation: str | None


class TransitionOut(BaseModel):
    from_state: str
    to_state: str
    action: str
    actor: str | None = Field(description="username; None: a deleted account or the system")
    actor_role: str
    at: str | None
    reason: str | None


class QuestionOut(BaseModel):
    """A reviewer's question on one figure, and the answer."""

    id: int
    month: int
    carrier: str
    question: str
    asked_at: str | None
    answer: str | None
    answered_at: str | None


class TaskDetailOut(TaskOut):
    figures: list[TaskFigureOut]
    findings: list[TaskFindingOut]
    history: list[TransitionOut]
    questions: list[QuestionOut]
    can_ask: bool
    can_answer: bool


class TaskMovedOut(BaseModel):
    id: int
    from_state: str
    state: str
    version: int = Field(description="the task's new version")


class PeriodOut(BaseModel):
    id: int
    region_code: str
    period: str = Field(examples=["2024-12", "2024"])
    label: str
    kind: str
    deadline: str
    department_step: bool
    opened_at: str | None
    counts: dict[str, int] = Field(description="my visible tasks per state")
    tasks: int


class PeriodsOut(BaseModel):
    items: list[PeriodOut]
    can_open: bool


class PeriodOpenedOut(BaseModel):
    id: int
    region_code: str
    period: str
    created: bool
    tasks_added: int


class QuestionRefOut(BaseModel):
    id: int
    task_id: int


@router.get("/periods", response_model=PeriodsOut)
def periods(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The periods of my scope with the counts of my tasks per state."""
    return {"items": workflow_periods.list_periods(engine, user),
            "can_open": workflow_periods.can_open_periods(user)}


@router.post("/periods", dependencies=[requires(Capability.OPEN_PERIODS)],
             response_model=PeriodOpenedOut)
def open_period(body: PeriodIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Open (or sync) a 月报/年报 period for a region's subtree (offices, administrators)."""
    return workflow_periods.open_period(engine, user, region_code=body.region_code,
                                        period=body.period, deadline=body.deadline,
                                        department_step=body.department_step)


@router.get("/tasks", response_model=TasksOut)
def tasks(user: CurrentUser, engine: EngineDep, state: StateQ = None, period: PeriodQ = None,
          page: PageQ = 1, per_page: PerPageQ = 50) -> dict[str, Any]:
    """My tasks (own, or of my scope) with finding counts and my actions."""
    return workflow_tasks.list_tasks(engine, user, period_id=period,
                                     states=[state] if state else None, page=page,
                                     per_page=per_page)


@router.get("/tasks/{task_id}", response_model=TaskDetailOut)
def task(task_id: TaskId, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """A task: figures, findings, history, questions, my actions."""
    return workflow_tasks.task_detail(engine, user, task_id)


@router.post("/tasks/{task_id}/actions", dependencies=[requires(Capability.SUBMIT)],
             response_model=TaskMovedOut)
def task_action(task_id: TaskId, body: ActionIn, user: CurrentUser,
                engine: EngineDep) -> dict[str, Any]:
    """Submit, withdraw, approve, return, dept_approve, dept_return or reopen."""
    return workflow_tasks.act(engine, user, task_id, _action(body.action), version=body.version,
                              reason=body.reason)


def _action(text: str) -> Action:
    try:
        return Action(text)
    except ValueError:
        raise ValidationFailed(f"未知操作“{text}”", f"unknown action {text!r}",
                                         field="action") from None


@router.post("/tasks/{task_id}/questions", dependencies=[requires(Capability.REVIEW)],
             response_model=QuestionRefOut)
def ask(task_id: TaskId, body: QuestionIn, user: CurrentUser,
        engine: EngineDep) -> dict[str, Any]:
    """A reviewer's question on one figure (month, carrier) of the task."""
    return workflow_questions.ask(engine, user, task_id, month=body.month, carrier=body.carrier,
                                  question=body.question)


@router.post("/tasks/{task_id}/questions/{question_id}", dependencies=[requires(Capability.SUBMIT)],
             response_model=QuestionRefOut)
def answer(task_id: TaskId, question_id: QuestionId, body: AnswerIn, user: CurrentUser,
           engine: EngineDep) -> dict[str, Any]:
    """The filer's answer to a question."""
    return workflow_questions.answer(engine, user, task_id, question_id, text=body.answer)


@router.get("/review", response_model=ReviewQueueOut)
def review(user: CurrentUser, engine: EngineDep, period: PeriodQ = None, page: PageQ = 1,
           per_page: PerPageQ = 50) -> dict[str, Any]:
    """My review queue (first page, total) with the finding counts of each task."""
    return workflow_review.review_queue(engine, user, period_id=period, page=page,
                                        per_page=per_page)


class RefusalOut(BaseModel):
    id: int
    #: the refusal's specific code (docs/messages.md) and its general class
    code: str
    kind: str
    message_zh: str
    message_en: str


class BulkReviewOut(BaseModel):
    decision: str
    moved: list[int]
    refused: list[RefusalOut]


@router.post("/review", dependencies=[requires(Capability.REVIEW)],
             response_model=BulkReviewOut)
def review_bulk(body: ReviewIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Approve or return many tasks: one update for those whose version and state allow."""
    return workflow_review.bulk_review(engine, user, body.decision,
                                       [(t.id, t.version) for t in body.tasks], reason=body.reason)
