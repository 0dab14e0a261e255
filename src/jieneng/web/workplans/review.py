"""The mid-year and year-end review of a plan (issue 14 §1; 渠县: "年初布置、年中督促、
年底检查"): ``/workplans/{plan_id}/review?stage=mid|end`` — the figures at 30 June or
31 December of the plan's year (items, done, in progress, not started, overdue,
completion rate, mean share complete), the quantified targets with their values, the
overdue items and every item by section; its JSON twin
``/api/v1/workplans/{plan_id}/review`` and the summary as a 公文
``/workplans/{plan_id}/summary.docx?stage=…``
(:func:`jieneng.reports.workplan_document.summary_docx`). Page, twin and document
read the same rows (:func:`review_data`) and the same counts
(:func:`jieneng.reports.workplan_document.counts`)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.reports.workplan_document import (
    STAGE_KEYS,
    PlanSummary,
    counts,
    share_text,
    summary_docx,
)
from jieneng.services.workplans.plans import get_plan
from jieneng.services.workplans.progress import plan_progress
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import workbook_lang
from jieneng.web.i18n import domain_lang
from jieneng.web.workplans.common import PlanP, StageQ, item_row, line_of

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["workplans"], responses=API_ERRORS)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def stage_date(stage: str, year: int) -> date:
    """The day a stage's figures stand at: 30 June (年中) or 31 December (年底)."""
    return date(year, 6, 30) if stage == "mid" else date(year, 12, 31)


def default_stage(year: int, today: date | None = None) -> str:
    """年中 until the year's 30 June has passed, then 年底."""
    day = today or date.today()
    return "mid" if day <= date(year, 6, 30) else "end"


def review_data(engine: Engine, user: User, plan_id: int, lang: str, stage: str = ""
                ) -> dict[str, Any]:
    """The review's rows and figures (the page, its twin and the document)."""
    plan = get_plan(engine, user, plan_id)
    year = int(plan["year"])
    stage = stage or default_stage(year)
    as_of = stage_date(stage, year)
    found = plan_progress(engine, user, plan_id, as_of=as_of)
    rows = [item_row(i, plan_id, lang) for i in found["items"]]
    lines = [line_of(r) for r in rows]
    figures = counts(lines)
    sections: dict[str, dict[str, Any]] = {}  # in the order first met, as the document
    for r in rows:
        sections.setdefault(r["section"], {"name": r["section"], "items": []})["items"].append(r)
    return {"plan": {k: plan.get(k) for k in ("id", "region_code", "region_name", "year",
                                              "title", "document_no")},
            "stage": stage, "stage_label": text(lang, f"workplans.web.stage.{stage}"),
            "as_of": as_of.isoformat(),
            "summary": {**figures, "share_text": share_text(figures["share"]),
                        "completion_rate": figures["done"] / figures["items"]
                        if figures["items"] else None},
            "quantified": [r for r in rows if r["target"]],
            "overdue": [r for r in rows if r["overdue"]], "sections": list(sections.values()),
            "items": rows}


@router.get("/workplans/{plan_id}/review")
def review_page(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
                stage: StageQ = "") -> Response:
    data = review_data(engine, user, plan_id, _lang(request), stage)
    return render_page(request, "workplans/review.html", {"data": data})


@router.get("/workplans/{plan_id}/summary.docx")
def summary_download(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
                     stage: StageQ = "") -> Response:
    lang = workbook_lang(request)
    data = review_data(engine, user, plan_id, domain_lang(lang), stage)
    plan = data["plan"]
    summary = PlanSummary(
        region_code=plan["region_code"], region_name=plan.get("region_name") or "",
        year=int(plan["year"]), title=plan["title"], stage=data["stage"],
        as_of=date.fromisoformat(data["as_of"]),
        addressees=text(lang, "workplans.doc.addressees"),
        items=tuple(line_of(r) for r in data["items"]))
    content = summary_docx(summary, lang=lang)
    name = text(lang, STAGE_KEYS[data["stage"]][0], region=summary.region_name,
                year=summary.year)
    return Response(content, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"workplan-{plan_id}-{data['stage']}"
                               f".docx\"; filename*=UTF-8''{quote(name)}.docx"})


class ReviewOut(BaseModel):
    model_config = {"extra": "allow"}
    plan: dict[str, Any]
    stage: str
    as_of: str
    summary: dict[str, Any]
    items: list[dict[str, Any]]


@api.get("/workplans/{plan_id}/review", response_model=ReviewOut)
def review_json(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
                stage: StageQ = "") -> dict[str, Any]:
    """The plan's mid-year (``stage=mid``, at 30 June) or year-end (``end``, at 31
    December) review: the figures, the quantified targets, the overdue items and
    every item by section — the figures of the Word summary."""
    return review_data(engine, user, plan_id, _lang(request), stage)
