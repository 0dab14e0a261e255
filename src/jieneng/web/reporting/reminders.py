"""催报 from the web: ``POST /reporting/remind`` — a reviewer reminds one unit's task
(``task_id``, the button beside a task or a not-reported unit) or every overdue unit
of a period (``period``, the "remind all overdue" button of ``/reporting/rate``),
through :func:`jieneng.services.workflow.reminders.remind` (in-app, the region's
channels, never twice a day on the same channel, recorded). The page answers with
what was sent; JSON twin ``POST /api/v1/reporting/remind``. Only roles holding
:attr:`~jieneng.core.permissions.Capability.REVIEW` reach either (the buttons are
drawn from the same table); a refusal shows the result page with the message and
the twin's status (:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound
from jieneng.core.permissions import Capability
from jieneng.services.workflow import reminders
from jieneng.settings import Settings
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/reporting", tags=["reporting"], responses=API_ERRORS)
TEMPLATE = "pages/reporting_remind.html"
#: where the result page's "back" link may point (the page the button was on)
BACK_PREFIXES = ("/reporting/", "/review")


class RemindIn(BaseModel):
    task_ids: list[int] = Field(default_factory=list, max_length=reminders.MAX_REMIND,
                                description="the tasks to remind (each still owed)")
    period_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                  description="without task_ids: every overdue task of "
                                              "this period in my scope")


class RemindLineOut(BaseModel):
    channel: str = Field(description="app, or ch:<id> (a region channel)")
    kind: str
    target: str = Field(description="masked")
    tasks: int
    recipients: int
    status: str = Field(description="sent, failed or skipped")
    attempts: int
    error: str | None


class RemindOut(BaseModel):
    day: str
    tasks: int = Field(description="tasks asked for")
    reminded: int = Field(description="tasks reminded on at least one channel now")
    already: int = Field(description="tasks already reminded today on every channel")
    unreachable: int = Field(description="tasks whose unit has no account and no channel")
    recipients: int = Field(description="in-app recipients")
    sent: list[RemindLineOut]


def _ids(form: Mapping[str, Any], name: str) -> list[int]:
    values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    return [int(v) for v in values[:reminders.MAX_REMIND]
            if isinstance(v, str) and v.isdigit() and len(v) <= 10]


def _back(form: Mapping[str, Any]) -> str:
    raw = form.get("back")
    if isinstance(raw, str) and raw.startswith(BACK_PREFIXES) and "//" not in raw:
        return raw[:300]
    return "/reporting/rate"


def _remind(request: Request, engine: Engine, settings: Settings, user: User,
            form: Mapping[str, Any]) -> Response:
    period = _ids(form, "period")
    context: dict[str, Any] = {"result": None, "back": _back(form), "error": None}
    try:
        context["result"] = reminders.remind(engine, settings, user,
                                             task_ids=_ids(form, "task_id"),
                                             period_id=period[0] if period else None)
    except NotFound:
        raise
    except DomainError as err:
        return form_error(request, TEMPLATE, context, err)
    return page(request, TEMPLATE, context)


@router.post("/reporting/remind", dependencies=[requires(Capability.REVIEW)])
async def remind_form(request: Request, user: CurrentUser, engine: EngineDep,
                      settings: SettingsDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_remind, request, engine, settings, user, form)


@api.post("/remind", dependencies=[requires(Capability.REVIEW)], response_model=RemindOut)
def remind(body: RemindIn, user: CurrentUser, engine: EngineDep,
           settings: SettingsDep) -> dict[str, Any]:
    """催报: remind the given tasks, or every overdue task of ``period_id`` in my scope
    (in-app and the region channels; once a day per task and channel)."""
    return reminders.remind(engine, settings, user, task_ids=body.task_ids,
                            period_id=body.period_id)
