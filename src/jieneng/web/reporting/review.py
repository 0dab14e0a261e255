"""The review queue (审核): ``GET /review`` — my queue with finding counts, each
task's figures and 同比, filters (region, 主管部门, category, state, findings) and
pages of up to 200; check tasks (or all of the page) and approve or return them in
bulk (``POST /review``, a return needs its reason). JSON twin
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
from jieneng.core.listing import Column, indicator_column, pick
from jieneng.core.permissions import Capability
from jieneng.services.workflow import access as workflow_access
from jieneng.services.workflow import review as workflow_review
from jieneng.web.common import blank, page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, get_settings, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.forms import form_error, form_int, form_text
from jieneng.web.reporting.schemas import (
    BulkReviewOut,
    CategoryQ,
    DepartmentQ,
    FindingsQ,
    PageQ,
    PeriodQ,
    PerPageQ,
    RegionQ,
    ReviewIn,
    ReviewQueueOut,
    StateQ,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/reporting", tags=["reporting"], responses=API_ERRORS)


REVIEW = "pages/review.html"



FILTERS = ("region", "department", "category", "state", "findings")


#: The queue's columns (the page's table, the export)
COLUMNS: tuple[Column, ...] = (
    Column("credit_code", "pages.credit_code", "code"),
    Column("name", "reporting.unit"),
    Column("region_code", "export.col.region_code", "code"),
    Column("period_label", "reporting.period"),
    Column("state_label", "pages.rate.state"),
    Column("submitted_at", "export.col.submitted_at", "code"),
    Column("errors", "reporting.errors", "int"),
    Column("unexplained_warnings", "reporting.warnings", "int"),
    Column("energy_tce", "queue.energy_tce", "number",
           decimals=indicator_column("energy_tce").decimals),
    Column("previous_energy_tce", "queue.previous", "number",
           decimals=indicator_column("energy_tce").decimals),
    Column("yoy_energy_tce", "queue.yoy", "change"),
    Column("electricity_kwh", "queue.electricity", "number", decimals=0),
    Column("yoy_electricity_kwh", "queue.yoy", "change"),
    Column("water_m3", "pages.water_m3", "number", decimals=0),
    Column("yoy_water_m3", "queue.yoy", "change"),
)


def queue_line(item: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A task of the queue as a row of the page and of the workbook (its figures and
    同比 beside its unit, state and period in ``lang``)."""
    institution = item.get("institution") or {}
    return {**item, **(item.get("totals") or {}),
            "credit_code": institution.get("credit_code"), "name": institution.get("name"),
            "region_code": institution.get("region_code"),
            "state_label": item.get("state_en") if lang == "en" else item.get("state_zh"),
            "period_label": item.get("period") if lang == "en" else item.get("period_label"),
            "submitted_at": (item.get("submitted_at") or "")[:16].replace("T", " ")}


#: the page's table: some of the export's columns (the same header and formats)
PAGE_COLUMNS = pick(COLUMNS, "period_label", "name", "state_label", "energy_tce",
                    "previous_energy_tce", "yoy_energy_tce", "electricity_kwh",
                    "yoy_electricity_kwh", "errors", "unexplained_warnings")


def review_context(engine: Engine, user: User, *, period: int | None = None,
                   page_no: int = 1, per_page: int = 50,
                   filters: Mapping[str, str | None] | None = None,
                   factor_set: str | None = None,
                   result: dict[str, Any] | None = None) -> dict[str, Any]:
    chosen = {k: blank(v) for k, v in (filters or {}).items() if k in FILTERS}
    data = workflow_review.review_queue(engine, user, period_id=period, page=page_no,
                                        per_page=per_page, default_factor_set=factor_set,
                                        **chosen)
    params = {"period": period, "per_page": per_page if per_page != 50 else None,
              **data["filters"]}
    return {"data": data, "period": period, "result": result, "error": None,
            "params": params, "per_page": per_page,
            "can_decide": user.can(Capability.REVIEW) and data["reviewer"] is not None,
            "columns": PAGE_COLUMNS, "queue_line": queue_line}


@router.get("/review")
def review_page(request: Request, user: CurrentUser, engine: EngineDep, settings: SettingsDep,
                period: PeriodQ = None, region: RegionQ = None, department: DepartmentQ = None,
                category: CategoryQ = None, state: StateQ = None, findings: FindingsQ = None,
                page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1,
                per_page: PerPageQ = 50) -> Response:
    filters = {"region": region, "department": department, "category": category,
               "state": state, "findings": findings}
    return page(request, REVIEW, review_context(
        engine, user, period=period, page_no=page_no, per_page=per_page, filters=filters,
        factor_set=settings.factor_set))


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
        result = workflow_review.bulk_review(engine, user, form_text(form, "decision", 10) or "",
                                             chosen, reason=form_text(form, "reason"),
                                             settings=get_settings(request))
    except DomainError as err:
        return form_error(request, REVIEW, _again(request, engine, user, form), err)
    return page(request, REVIEW, _again(request, engine, user, form, result))


def _again(request: Request, engine: Engine, user: User, form: Any,
           result: dict[str, Any] | None = None) -> dict[str, Any]:
    """The queue again after a decision, with the filters the form carried."""
    filters = {k: form_text(form, k, 20) for k in FILTERS}
    factor_set = get_settings(request).factor_set
    try:
        return review_context(engine, user, period=form_int(form, "period"), filters=filters,
                              factor_set=factor_set, result=result)
    except DomainError:  # a tampered filter: the whole queue
        return review_context(engine, user, factor_set=factor_set, result=result)


@router.post("/review", dependencies=[requires(Capability.REVIEW)])
async def review_bulk_form(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, engine, user, form)


# ---------------------------------------------------------------- JSON twin
@api.get("/review", response_model=ReviewQueueOut)
def review(user: CurrentUser, engine: EngineDep, settings: SettingsDep, period: PeriodQ = None,
           region: RegionQ = None, department: DepartmentQ = None, category: CategoryQ = None,
           state: StateQ = None, findings: FindingsQ = None, page: PageQ = 1,
           per_page: PerPageQ = 50) -> dict[str, Any]:
    """My review queue (one page, total) with each task's finding counts, its figures
    and 同比; filtered by region, 主管部门, category, state and findings."""
    return workflow_review.review_queue(
        engine, user, period_id=period, page=page, per_page=per_page, region=blank(region),
        department=blank(department), category=blank(category), state=blank(state),
        findings=blank(findings), default_factor_set=settings.factor_set)


@api.post("/review", dependencies=[requires(Capability.REVIEW)],
             response_model=BulkReviewOut)
def review_bulk(body: ReviewIn, user: CurrentUser, engine: EngineDep,
                settings: SettingsDep) -> dict[str, Any]:
    """Approve or return many tasks: one update for those whose version and state allow
    (a return reaches each task's 统计员: in-app and the region's channels)."""
    return workflow_review.bulk_review(engine, user, body.decision,
                                       [(t.id, t.version) for t in body.tasks], reason=body.reason,
                                       settings=settings)
