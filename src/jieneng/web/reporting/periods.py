"""Reporting periods (报告期): ``GET /reporting`` — the periods of my scope with their
task counts; an office (管理机构) or administrator opens one there (``POST
/reporting/periods``). JSON twin ``/api/v1/reporting/periods`` (``GET``, ``POST``).
A refused form shows the page again with what was typed and the twin's status
(:func:`jieneng.web.forms.form_error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core import chinatime
from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.reporting.periods import Period
from jieneng.services.accounts import users
from jieneng.services.workflow import periods as workflow_periods
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error, form_text
from jieneng.web.reporting.schemas import (
    STATES,
    PeriodIn,
    PeriodOpenedOut,
    PeriodsOut,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/reporting", tags=["reporting"], responses=API_ERRORS)


PERIODS = "pages/reporting.html"



def periods_data(engine: Engine, user: User) -> dict[str, Any]:
    items = workflow_periods.list_periods(engine, user)
    can_open = workflow_periods.can_open_periods(user)
    home = users.home_region(engine, user)
    to_open = workflow_periods.months_to_open(items, home, chinatime.today()) if can_open else []
    return {"items": items, "can_open": can_open, "home_region": home,
            "to_open": [p.format() for p in to_open]}


def periods_context(engine: Engine, user: User, *, opened: dict[str, Any] | None = None,
                    form: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"data": periods_data(engine, user), "error": None, "opened": opened,
            "form": dict(form or {}), "states": STATES}


@router.get("/reporting")
def reporting_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return page(request, PERIODS, periods_context(engine, user))


def _months(first: str, through: str) -> list[str]:
    """``first`` alone, or every month from ``first`` through ``through`` (月报 only,
    at most :data:`MAX_CATCH_UP <jieneng.services.workflow.periods.MAX_CATCH_UP>`)."""
    if not through or through == first:
        return [first]
    try:
        start, end = Period.parse(first), Period.parse(through)
    except DomainError:
        raise ValidationFailed.of("web.invalid_period_range", field="through") from None
    if start.month is None or end.month is None or end.sort_key() < start.sort_key():
        raise ValidationFailed.of("web.invalid_period_range", field="through")
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    if count > workflow_periods.MAX_CATCH_UP:
        raise ValidationFailed.of("web.invalid_period_range", field="through")
    return [Period.monthly(start.year + (start.month - 1 + k) // 12,
                           (start.month - 1 + k) % 12 + 1).format() for k in range(count)]


def _open(request: Request, engine: Engine, user: User, form: Mapping[str, Any]) -> Response:
    deadline_text = form_text(form, "deadline", 10)
    try:
        deadline = date.fromisoformat(deadline_text) if deadline_text else None
    except ValueError:
        deadline = None
    try:
        if deadline_text and deadline is None:
            raise ValidationFailed.of("web.invalid_deadline", field="deadline")
        months = _months(form_text(form, "period", 12) or "", form_text(form, "through", 12) or "")
        if len(months) > 1:
            deadline = None  # each month its own default deadline
        added = 0
        for month in months:  # one by one: each opening is its own audited transaction
            opened = workflow_periods.open_period(
                engine, user, region_code=form_text(form, "region", 6) or "",
                period=month, deadline=deadline,
                department_step=form.get("department_step") == "1",
                region_step=form.get("region_step") == "1")
            added += int(opened["tasks_added"])
        if len(months) > 1:
            opened = {**opened, "period": f"{months[0]} – {months[-1]}", "months": len(months),
                      "tasks_added": added}
    except NotFound:
        raise
    except DomainError as err:
        return form_error(request, PERIODS, periods_context(engine, user, form=form), err)
    return page(request, PERIODS, periods_context(engine, user, opened=opened))


@router.post("/reporting/periods", dependencies=[requires(Capability.OPEN_PERIODS)])
async def reporting_open(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_open, request, engine, user, form)


# ---------------------------------------------------------------- JSON twin
@api.get("/periods", response_model=PeriodsOut)
def periods(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The periods of my scope with the counts of my tasks per state."""
    return {"items": workflow_periods.list_periods(engine, user),
            "can_open": workflow_periods.can_open_periods(user)}


@api.post("/periods", dependencies=[requires(Capability.OPEN_PERIODS)],
             response_model=PeriodOpenedOut)
def open_period(body: PeriodIn, user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Open (or sync) a 月报/年报 period for a region's subtree (offices, administrators)."""
    return workflow_periods.open_period(engine, user, region_code=body.region_code,
                                        period=body.period, deadline=body.deadline,
                                        department_step=body.department_step,
                                        region_step=body.region_step)


