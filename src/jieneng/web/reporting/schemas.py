"""The shapes of the reporting workflow's pages and JSON twins: path and query
parameters, request bodies and response models (``/api/v1/reporting/…``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, Field

from jieneng.core.reporting.tasks import TaskState
from jieneng.services.workflow import access as workflow_access

#: the task states, in their order: the state filter's choices
STATES = [s.value for s in TaskState]

TaskId = Annotated[int, Path(ge=1, le=2**31 - 1, description="填报任务 task id")]
QuestionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="问题 question id")]
StateQ = Annotated[str | None, Query(max_length=20, description="任务状态 task state")]
PeriodQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="报告期 period id")]
PageQ = Annotated[int, Query(ge=1, le=100000)]
RegionQ = Annotated[str | None, Query(max_length=6, description="行政区划代码: its subtree")]
DepartmentQ = Annotated[str | None, Query(max_length=18,
                                          description="主管部门 credit code: its units")]
CategoryQ = Annotated[str | None, Query(max_length=4, description="单位类别 (02: all 事业单位)")]
FindingsQ = Annotated[str | None, Query(max_length=10,
                                        description="any / errors / warnings: open findings")]
PerPageQ = Annotated[int, Query(ge=1, le=workflow_access.MAX_PER_PAGE)]


class PeriodIn(BaseModel):
    region_code: str = Field(pattern=r"^\d{6}$", examples=["450300"])
    period: str = Field(max_length=12, examples=["2024-12", "2024"])
    deadline: date | None = None
    department_step: bool = False
    region_step: bool = Field(default=False, description="区县初审: the county office of a unit "
                              "below the region reviews before the region's office")


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
    overdue: bool = Field(False, description="past the deadline and not yet submitted (已逾期)")
    institution: TaskInstitutionOut
    state: str = Field(examples=["submitted"])
    state_zh: str
    state_en: str
    version: int = Field(description="send it back with an action (optimistic lock)")
    locked: bool = Field(description="the figures may not be changed in this state")
    department_step: bool = Field(description="a 主管部门 reviews before the office")
    region_step: bool = Field(default=False,
                              description="the county office reviews before the period's office")
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


class QueueTotalsOut(BaseModel):
    """A queue row's figures over the task's period and the same period a year before."""

    energy_tce: float | None = Field(description="综合能耗 [tce] (the overview's rule)")
    previous_energy_tce: float | None
    yoy_energy_tce: float | None = Field(description="同比, a fraction; None: no base")
    electricity_kwh: float | None
    previous_electricity_kwh: float | None
    yoy_electricity_kwh: float | None
    water_m3: float | None
    previous_water_m3: float | None
    yoy_water_m3: float | None


class QueueItemOut(TaskOut):
    totals: QueueTotalsOut


class QueueFiltersOut(BaseModel):
    region: str | None
    department: str | None
    category: str | None
    state: str | None
    findings: str | None


class ReviewQueueOut(BaseModel):
    items: list[QueueItemOut]
    total: int
    page: int
    per_page: int
    reviewer: str | None = Field(description="department or office; None: I review nothing")
    filters: QueueFiltersOut = Field(description="the filters applied")
    options: dict[str, list[Any]] = Field(description="the filters' choices in my scope")


class TaskFigureOut(BaseModel):
    """A carrier's figures over the task's period (current records)."""

    carrier: str
    name_zh: str
    name_en: str
    unit: str = Field(description="canonical unit")
    quantity: float = Field(description="Σ quantity")
    cost_yuan: float | None = Field(description="Σ cost [元]; None: no cost given")
    months: int = Field(description="months with a figure")
    previous_month: float | None = Field(
        default=None, description="上月: Σ quantity of the month before (a 月报 only)")
    last_year: float | None = Field(
        default=None, description="去年同期: Σ quantity of the same month (年报: year) last year")
    yoy: float | None = Field(default=None, description="同比 of the quantity, a fraction")


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
    asked_by: str | None = Field(description="the asker's username")
    asked_at: str | None
    answer: str | None
    answered_by: str | None = Field(description="the answerer's username")
    answered_at: str | None


class TaskRoomOut(BaseModel):
    """A data-centre room (NY202) of the task's period."""

    room_code: str
    room_name: str
    room_status: str = Field(description="new / existing")
    elec_total: float | None = Field(default=None, description="240 机房总用电量 kWh (form)")
    elec_it: float | None = Field(default=None, description="2401 IT设备用电量 kWh (form)")
    total_used: float | None = Field(default=None, description="the total kWh its PUE used")
    it_used: float | None = Field(default=None, description="the IT kWh its PUE used")
    pue: float | None = None
    pue_source: str | None = Field(default=None, description="meter / form; null: undefined")
    target: float | None = None
    above: bool = Field(description="PUE above its status's target")


class TaskHeatingOut(BaseModel):
    """The institution's heating (NY203) of the task's period."""

    heated_area: float | None = None
    area_independent: float | None = None
    area_central_by_area: float | None = None
    area_central_by_heat: float | None = None
    heating_days: int | None = None
    heating_energy: float | None = Field(default=None, description="kgce")
    energy_per_m2: float | None = Field(default=None, description="kgce per heated m²")


class TaskFormsPeriodOut(BaseModel):
    year: int
    month: int = Field(description="0 = the annual report")


class TaskFormsOut(BaseModel):
    """NY202 rooms and NY203 heating of the task's period, reviewed with it."""

    period: TaskFormsPeriodOut
    rooms: list[TaskRoomOut]
    above: int = Field(description="rooms above their PUE target")
    heating: TaskHeatingOut | None


class TaskDetailOut(TaskOut):
    figures: list[TaskFigureOut]
    forms_ny: TaskFormsOut | None = Field(
        default=None, description="机房 (NY202) and 采暖 (NY203) of the period; null: none")
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
    region_step: bool = False
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
