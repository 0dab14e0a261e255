"""The start page after login: the workbench (工作台) of the account's role.

``/`` (page) and its JSON twin ``/api/v1/workbench`` (the API root ``/api/v1/`` names
no resource; ``tests/web/test_twins.py`` lists the exception). For a 统计员: the tasks
to fill with their deadlines, the returned reports with their reasons, the reviewers'
questions; for a reviewer: the submissions waiting, the overdue units per period, the
open findings; for everyone the open alerts of the scope and the pages the role may
read. Each count carries the link of the list (with its filters) that shows it all.
The figures come from :mod:`jieneng.services.workbench` with the caller's scope.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.services.accounts.users import home_region
from jieneng.services.workbench import workbench as service
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS
from jieneng.web.i18n import translate
from jieneng.web.templating import nav_for

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["workbench"], responses=API_ERRORS)


def _task_links(task: dict[str, Any]) -> dict[str, Any]:
    code = task["institution"]["credit_code"]
    year, _, month = task["period"].partition("-")
    task["href"] = f"/reporting/tasks/{task['id']}"
    task["entry_href"] = f"/entry/{code}/{year}/{int(month)}" if month else None
    return task


def workbench_data(engine: Engine, user: User, lang: str) -> dict[str, Any]:
    """The workbench of the page and of its JSON twin, with the list links."""
    data = service.workbench(engine, user)
    links: dict[str, str] = {"alerts": "/alerts"}
    if data["kind"] == "filer":
        for task in (*data["to_fill"]["items"], *data["returned"]["items"]):
            _task_links(task)
        links.update(to_fill="/reporting/tasks", returned="/reporting/tasks?state=returned",
                     questions="/reporting/tasks")
    if data["kind"] == "reviewer":
        for task in (*data["waiting"]["items"], *(data.get("own") or {}).get("items", [])):
            _task_links(task)
        for period in data["overdue"]["periods"]:
            period["href"] = f"/reporting/rate?period={period['id']}"
        periods = data["overdue"]["periods"]
        links.update(waiting="/review", questions="/reporting/tasks",
                     overdue=periods[0]["href"] if periods else "/reporting/rate",
                     findings="/quality?state=open",
                     errors="/quality?state=open&severity=error")
    for question in data.get("questions", {}).get("items", []):
        question["href"] = f"/reporting/tasks/{question['task_id']}"
    for section in data["next"]:
        section["label"] = translate(lang, f"home.campaigns.{section['key']}")
    for alert in data["alerts"]["items"]:
        alert["href"] = f"/alerts?year={alert['year']}"
    data["links"] = links
    data["pages"] = [
        {"key": child.key, "label": translate(lang, child.key), "href": child.href}
        for item in nav_for(user, home_region(engine, user))
        for child in (item.children or (item,)) if child.href != "/"
    ]
    return data


@router.get("/")
def home(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    lang = getattr(request.state, "lang", "zh-CN")
    return page(request, "home.html", {"data": workbench_data(engine, user, lang)})


# ---------------------------------------------------------------- JSON twin


class InstitutionRef(BaseModel):
    credit_code: str
    name: str


class TaskItem(BaseModel):
    id: int
    period: str = Field(description="2025-03 (月报) or 2025 (年报)")
    period_label: str
    kind: str
    deadline: str | None
    institution: InstitutionRef
    state: str
    state_zh: str
    state_en: str
    href: str = Field(description="the task page")
    entry_href: str | None = Field(description="the entry form of a 月报")
    overdue: bool | None = None
    days_left: int | None = None
    reason: str | None = Field(default=None, description="the latest return's reason")
    returned_at: str | None = None
    returned_by: str | None = None


class TaskList(BaseModel):
    total: int
    items: list[TaskItem]


class QuestionItem(BaseModel):
    id: int
    task_id: int
    month: int
    carrier: str
    carrier_zh: str
    carrier_en: str
    question: str
    asked_at: str | None
    period: str
    period_label: str
    institution: InstitutionRef
    href: str


class Questions(BaseModel):
    total: int
    items: list[QuestionItem]


class Deadlines(BaseModel):
    overdue: int = Field(description="tasks to fill whose deadline has passed")
    next: str | None = Field(description="the nearest deadline still ahead (ISO date)")


class Waiting(TaskList):
    reviewer: str | None = Field(description="department or office")


class OverduePeriod(BaseModel):
    id: int
    period: str
    period_label: str
    kind: str
    deadline: str
    overdue: int = Field(description="tasks of the period not yet submitted")
    href: str = Field(description="the period's 上报率 with its 未上报单位")


class Overdue(BaseModel):
    total: int = Field(description="institutions with a task past its deadline, not submitted")
    periods: list[OverduePeriod]


class Findings(BaseModel):
    open: int
    errors: int = Field(description="open findings of severity error")


class AlertItem(BaseModel):
    id: int
    region_code: str
    region_name: str | None
    institution_id: int | None
    year: int
    level: str
    level_zh: str
    level_en: str
    state: str
    opened_at: str | None
    href: str


class AlertLevel(BaseModel):
    level: str
    level_zh: str
    level_en: str
    count: int


class Alerts(BaseModel):
    total: int = Field(description="alerts not yet closed")
    by_level: dict[str, int]
    levels: list[AlertLevel] = Field(description="the counts by level, 超限 first")
    items: list[AlertItem]


class NextItem(BaseModel):
    title: str
    title_en: str | None = None
    detail: str | None
    state: str
    href: str
    due: str | None = Field(description="due date / deadline (ISO)")
    overdue: bool
    days_left: int | None
    reason: str | None = Field(default=None, description="a returned self-assessment's reason")


class NextSection(BaseModel):
    key: str = Field(description="self_assessments | round_reviews | rectifications | "
                                 "plan_items | plan_reviews")
    label: str
    total: int
    items: list[NextItem]
    href: str = Field(description="the list page that shows them all")


class PageLink(BaseModel):
    key: str
    label: str
    href: str


class WorkbenchOut(BaseModel):
    kind: Literal["filer", "reviewer", "reader"]
    today: str
    to_fill: TaskList | None = None
    returned: TaskList | None = None
    deadlines: Deadlines | None = None
    waiting: Waiting | None = None
    own: TaskList | None = Field(default=None, description="a 主管机构's own tasks to fill")
    overdue: Overdue | None = None
    findings: Findings | None = None
    questions: Questions | None = None
    next: list[NextSection] = Field(default=[], description="evaluation rounds, 回头看 and "
                                    "work plans: what to do next")
    alerts: Alerts
    links: dict[str, str] = Field(description="section → the list page (with its filters)")
    pages: list[PageLink] = Field(description="the pages of the role's menu")


@api.get("/workbench", response_model=WorkbenchOut)
def workbench(request: Request, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """My workbench: what to act on in my scope, each count with the link of its list."""
    return workbench_data(engine, user, getattr(request.state, "lang", "zh-CN"))
