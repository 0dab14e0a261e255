"""A plan's progress page (issue 14 §1): ``/workplans/{plan_id}`` — every item with
its responsible party, deadline, target, computed or reported value, status, share
complete and overdue mark; filters (status, responsible region, overdue only); the
workbook ``/workplans/{plan_id}.xlsx`` (the same columns,
:data:`jieneng.reports.workplan_document.ITEM_COLUMNS`) and the JSON twin
``/api/v1/workplans/{plan_id}``. A plan outside the caller's scope is 404. Service:
:func:`jieneng.services.workplans.progress.plan_progress` (indicators computed once per
indicator for every responsible region, never per item)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.workplan_document import ITEM_COLUMNS, counts, plan_xlsx, share_text
from jieneng.services.workplans.progress import plan_progress
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.i18n import domain_lang
from jieneng.web.workplans.common import (
    STATUSES,
    PlanP,
    ResponsibleQ,
    StatusQ,
    item_row,
    keeps,
    line_of,
    status_label,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["workplans"], responses=API_ERRORS)
OverdueQ = Annotated[str, Query(max_length=1, pattern=r"^(1)?$", description="1: overdue only")]
PageQ = Annotated[int, Query(ge=1, le=100_000)]
#: items a page shows (a province's plan assigned to its cities holds hundreds)
PER_PAGE = 50


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def progress_data(engine: Engine, user: User, plan_id: int, lang: str, *, status: str = "",
                  responsible: str = "", overdue: str = "", page: int = 1,
                  per_page: int = PER_PAGE) -> dict[str, Any]:
    """The plan, its figures over every item and the items the filters keep, a page of
    them (the page, the twin and the workbook call this)."""
    found = plan_progress(engine, user, plan_id)
    plan = found["plan"]
    rows = [item_row(i, plan_id, lang) for i in found["items"]]
    regions = sorted({(r["responsible_region"], r["region_name"])
                      for r in rows if r["responsible_region"]})
    kept = [r for r in rows if keeps(r, status)
            and (not responsible or r["responsible_region"] == responsible)
            and (not overdue or r["overdue"])]
    figures = counts([line_of(r) for r in rows])
    return {"plan": {k: plan.get(k) for k in (
        "id", "region_code", "region_name", "year", "title", "document_no", "issued_on",
        "source", "status")}, "as_of": found.get("as_of"),
        "summary": {**found.get("summary", {}), **figures,
                    "share_text": share_text(figures["share"])},
        "items": kept[(page - 1) * per_page:page * per_page], "total": len(kept),
        "page": page, "per_page": per_page, "regions": [
            {"code": c, "name": n} for c, n in regions],
        "can_manage": user.can(Capability.MANAGE_WORK_PLANS),
        "can_report": user.can(Capability.REPORT_PROGRESS)}


@router.get("/workplans/{plan_id}.xlsx")
def plan_xlsx_download(request: Request, user: CurrentUser, engine: EngineDep,
                       plan_id: PlanP, status: StatusQ = "", responsible: ResponsibleQ = "",
                       overdue: OverdueQ = "") -> Response:
    lang = workbook_lang(request)
    data = progress_data(engine, user, plan_id, domain_lang(lang), status=status,
                         responsible=responsible, overdue=overdue, per_page=100_000)
    rows = data["items"]
    title = data["plan"]["title"] or text(lang, "workplans.web.title")
    content = plan_xlsx(title, rows, lang=lang, notes=notes(
        engine, user, lang, count=len(rows), period=str(data["plan"]["year"]),
        filters=(("workplans.web.col.state", status_label(status, lang) if status else ""),
                 ("workplans.web.col.responsible", responsible),
                 ("workplans.web.col.overdue", text(lang, "pages.yes") if overdue else ""))))
    return xlsx_response(content, f"{title}.xlsx", f"workplan-{plan_id}.xlsx")


@router.get("/workplans/{plan_id}")
def plan_page(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
              status: StatusQ = "", responsible: ResponsibleQ = "",
              overdue: OverdueQ = "", page: PageQ = 1) -> Response:
    lang = _lang(request)
    params = {"status": status, "responsible": responsible, "overdue": overdue}
    data = progress_data(engine, user, plan_id, lang, status=status,
                         responsible=responsible, overdue=overdue, page=page)
    return render_page(request, "workplans/plan.html", {
        "data": data, "params": params, "columns": ITEM_COLUMNS,
        "statuses": [{"code": s, "label": status_label(s, lang)} for s in STATUSES]})


class PlanProgressOut(BaseModel):
    model_config = {"extra": "allow"}
    plan: dict[str, Any]
    as_of: str | None
    summary: dict[str, Any]
    items: list[dict[str, Any]]
    total: int


@api.get("/workplans/{plan_id}", response_model=PlanProgressOut)
def plan_json(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
              status: StatusQ = "", responsible: ResponsibleQ = "",
              overdue: OverdueQ = "", page: PageQ = 1) -> dict[str, Any]:
    """A plan's progress (inside the caller's scope, else 404): the figures over every
    item and the items the filters keep, 50 a page, each with target, value (computed
    or reported), status, share complete and overdue mark."""
    return progress_data(engine, user, plan_id, _lang(request), status=status,
                         responsible=responsible, overdue=overdue, page=page)
