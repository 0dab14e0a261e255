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

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.permissions import Capability
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
    return {"items": workflow_periods.list_periods(engine, user),
            "can_open": workflow_periods.can_open_periods(user),
            "home_region": users.home_region(engine, user)}


def periods_context(engine: Engine, user: User, *, opened: dict[str, Any] | None = None,
                    form: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"data": periods_data(engine, user), "error": None, "opened": opened,
            "form": dict(form or {}), "states": STATES}


@router.get("/reporting")
def reporting_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return page(request, PERIODS, periods_context(engine, user))


def _open(request: Request, engine: Engine, user: User, form: Mapping[str, Any]) -> Response:
    deadline_text = form_text(form, "deadline", 10)
    try:
        deadline = date.fromisoformat(deadline_text) if deadline_text else None
    except ValueError:
        deadline = None
    try:
        if deadline_text and deadline is None:
            raise ValidationFailed.of("web.invalid_deadline", field="deadline")
        opened = workflow_periods.open_period(
            engine, user, region_code=form_text(form, "region", 6) or "",
            period=form_text(form, "period", 12) or "", deadline=deadline,
            department_step=form.get("department_step") == "1",
            region_step=form.get("region_step") == "1")
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


