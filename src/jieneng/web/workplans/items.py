"""A plan item's page (issue 14 §1): ``/workplans/{plan_id}/items/{item_id}`` — the
item (text, responsible party, deadline, indicator and target, the notice's
sentence), where it stands (value computed or reported, status, share complete,
overdue), its history of progress reports with their evidence and reviews; the
progress report form for the responsible party (``report_progress``: state, value,
percent, comment, evidence files) and the review actions accept / return for the
plan's owner (``manage_work_plans``). A refusal shows the page again with the
reason at the form and what was typed kept, under the twin's status. Evidence
downloads ``/workplans/{plan_id}/evidence/{evidence_id}``. JSON twins under
``/api/v1/workplans/{plan_id}/…``. Services: :mod:`jieneng.services.workplans.items`,
``.review`` and ``.progress``."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound, ValidationFailed
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.core.regions import RegionTree
from jieneng.core.scope import ScopeKind
from jieneng.services.workplans.items import get_item
from jieneng.services.workplans.progress import plan_progress
from jieneng.services.workplans.review import get_evidence, report_progress, review_report
from jieneng.storage import regions as region_store
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import SizeChecked
from jieneng.web.workplans.common import (
    EvidenceP,
    ItemP,
    PlanP,
    item_row,
    review_label,
    status_label,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["workplans"], responses=API_ERRORS)
TEMPLATE = "workplans/item.html"
REPORT_NEEDS = [requires(Capability.REPORT_PROGRESS)]
REVIEW_NEEDS = [requires(Capability.MANAGE_WORK_PLANS)]
ReportP = Annotated[int, Path(ge=1, description="进展报告编号 report id")]
#: the most evidence files one report carries
MAX_FILES = 5
DONE = ("reported", "accepted", "returned")


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _history(reports: list[dict[str, Any]], plan_id: int, lang: str) -> list[dict[str, Any]]:
    return [{**r, "claimed_label": status_label(r.get("claimed_state"), lang),
             "review_label": review_label(r.get("review"), lang),
             "evidence": [{**e, "href": f"/workplans/{plan_id}/evidence/{e['id']}"}
                          for e in _files(r)]} for r in reports]


def _files(report: dict[str, Any]) -> list[dict[str, Any]]:
    """A report's evidence list (``files``; ``evidence`` when it is a list)."""
    found = report.get("files")
    if found is None and isinstance(report.get("evidence"), list):
        found = report["evidence"]
    return list(found or ())


def item_data(engine: Engine, user: User, plan_id: int, item_id: int, lang: str
              ) -> dict[str, Any]:
    """The item, where it stands and its history (the page and its twin call this)."""
    item = get_item(engine, user, item_id)
    if int(item["plan_id"]) != plan_id:
        raise NotFound.of("not_found")
    progress = plan_progress(engine, user, plan_id)
    found = next((i for i in progress["items"] if i["id"] == item_id), None)
    row = item_row(found or {**item, "status": item.get("state")}, plan_id, lang)
    plan = progress["plan"]
    return {"plan": {k: plan.get(k) for k in ("id", "region_code", "region_name", "year",
                                              "title")},
            "item": {**row, "source_quote": item.get("source_quote"),
                     "indicator_code": item.get("indicator_code"),
                     "children": item.get("children") or []},
            "reports": _history(list(item.get("reports") or ()), plan_id, lang),
            "can_report": user.can(Capability.REPORT_PROGRESS) and _answers(
                engine, user, item),
            "can_review": user.can(Capability.MANAGE_WORK_PLANS) and _covers(
                engine, user, str(plan["region_code"]))}


def _covers(engine: Engine, user: User, region: str) -> bool:
    """Whether the caller's scope holds the whole of ``region`` (the forms shown; the
    services decide)."""
    scope = user.scope
    if scope.kind is ScopeKind.ALL:
        return True
    if scope.kind is not ScopeKind.REGION or scope.region_code is None:
        return False
    with engine.connect() as conn:
        tree = RegionTree(region_store.load_regions(conn))
    return scope.region_code in tree.lineage(region)


def _answers(engine: Engine, user: User, item: dict[str, Any]) -> bool:
    """Whether the caller is the item's responsible party: an office over its region,
    or the institution (department) it names."""
    if user.scope.kind in (ScopeKind.INSTITUTION, ScopeKind.DEPARTMENT):
        return item.get("institution_id") is not None
    return _covers(engine, user, str(item.get("responsible_region") or ""))


def page_context(engine: Engine, user: User, plan_id: int, item_id: int, lang: str
                 ) -> dict[str, Any]:
    return {"data": item_data(engine, user, plan_id, item_id, lang), "form": {},
            "errors": {}, "message": None}


@router.get("/workplans/{plan_id}/items/{item_id}")
def item_page(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
              item_id: ItemP, done: str = "") -> Response:
    lang = _lang(request)
    context = page_context(engine, user, plan_id, item_id, lang)
    if done in DONE:
        context["message"] = text(lang, f"workplans.web.done.{done}")
    return render_page(request, TEMPLATE, context)


def _number(value: str, field: str, *, upper: float | None = None) -> float | None:
    cleaned = value.strip().replace(",", "").replace("，", "").rstrip("%")
    if not cleaned:
        return None
    try:
        number = float(cleaned)
    except ValueError:
        raise ValidationFailed.of("workplans_web.bad_number", field=field,
                                  value=value[:40]) from None
    if not math.isfinite(number) or number < 0 or (upper is not None and number > upper):
        raise ValidationFailed.of("workplans_web.bad_number", field=field, value=value[:40])
    return number


async def _report_form(request: Request, max_bytes: int
                       ) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    form = await request.form(max_files=MAX_FILES, max_fields=20)
    try:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        files = []
        for upload in form.getlist("evidence"):
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(max_bytes + 1)
                if content:
                    files.append((upload.filename, content))
        return fields, files
    finally:
        await form.close()


def _report(engine: Engine, user: User, item_id: int, fields: dict[str, str],
            files: list[tuple[str, bytes]]) -> dict[str, Any]:
    state = fields.get("state", "").strip()
    if state not in ("in_progress", "done"):
        raise ValidationFailed.of("workplans_web.bad_state", field="state", value=state[:20])
    return report_progress(engine, user, item_id, state=state,
                           comment=fields.get("comment", "").strip()[:2000],
                           value=_number(fields.get("value", ""), "value"),
                           percent=_number(fields.get("percent", ""), "percent", upper=100),
                           evidence=files)


def _check_plan(engine: Engine, user: User, plan_id: int, item_id: int) -> None:
    if int(get_item(engine, user, item_id)["plan_id"]) != plan_id:
        raise NotFound.of("not_found")


@router.post("/workplans/{plan_id}/items/{item_id}/report", dependencies=REPORT_NEEDS)
async def item_report(request: Request, _size: SizeChecked, user: CurrentUser,
                      engine: EngineDep, settings: SettingsDep, plan_id: PlanP,
                      item_id: ItemP) -> Response:
    fields, files = await _report_form(request, settings.max_upload_bytes)
    try:
        await run_in_threadpool(_check_plan, engine, user, plan_id, item_id)
        await run_in_threadpool(_report, engine, user, item_id, fields, files)
    except DomainError as err:
        return await run_in_threadpool(_again, request, engine, user, plan_id, item_id,
                                       fields, err, "report")
    return RedirectResponse(f"/workplans/{plan_id}/items/{item_id}?done=reported#history",
                            status_code=303)


def _again(request: Request, engine: Engine, user: User, plan_id: int, item_id: int,
           form: dict[str, Any], err: DomainError, at: str) -> Response:
    context = page_context(engine, user, plan_id, item_id, _lang(request))
    context["form"] = {k: v for k, v in form.items() if k != "csrf_token"}
    return form_error(request, TEMPLATE, context, err, at=at)


@router.post("/workplans/{plan_id}/items/{item_id}/reports/{report_id}/review",
             dependencies=REVIEW_NEEDS)
def item_review(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
                item_id: ItemP, report_id: ReportP,
                action: Annotated[str, Form(pattern=r"^(accept|return)$")],
                reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        _check_plan(engine, user, plan_id, item_id)
        review_report(engine, user, report_id, accept=action == "accept",
                      reason=reason.strip() or None)
    except DomainError as err:
        return _again(request, engine, user, plan_id, item_id,
                      {"reason": reason, "report_id": str(report_id)}, err, "review")
    done = "accepted" if action == "accept" else "returned"
    return RedirectResponse(f"/workplans/{plan_id}/items/{item_id}?done={done}#history",
                            status_code=303)


@router.get("/workplans/{plan_id}/evidence/{evidence_id}")
def evidence_download(user: CurrentUser, engine: EngineDep, plan_id: PlanP,
                      evidence_id: EvidenceP) -> Response:
    found = get_evidence(engine, user, evidence_id)
    if found.get("plan_id") is not None and int(found["plan_id"]) != plan_id:
        raise NotFound.of("not_found")
    return Response(found["content"], media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"evidence-{evidence_id}\"; "
                               f"filename*=UTF-8''{quote(str(found['file_name']))}",
        "X-Content-Type-Options": "nosniff"})


# ---------------------------------------------------------------- JSON twins


class ItemOut(BaseModel):
    model_config = {"extra": "allow"}
    plan: dict[str, Any]
    item: dict[str, Any]
    reports: list[dict[str, Any]]


@api.get("/workplans/{plan_id}/items/{item_id}", response_model=ItemOut)
def item_json(request: Request, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
              item_id: ItemP) -> dict[str, Any]:
    """A plan item (inside the caller's scope, else 404): where it stands and its
    progress reports, newest first, with their evidence and reviews."""
    return item_data(engine, user, plan_id, item_id, _lang(request))


class ReportOut(BaseModel):
    model_config = {"extra": "allow"}
    id: int
    item_id: int
    claimed_state: str
    review: str


@api.post("/workplans/{plan_id}/items/{item_id}/reports", status_code=201,
          response_model=ReportOut, dependencies=REPORT_NEEDS)
async def item_report_json(request: Request, _size: SizeChecked, user: CurrentUser,
                           engine: EngineDep, settings: SettingsDep, plan_id: PlanP,
                           item_id: ItemP) -> dict[str, Any]:
    """Report progress (multipart: ``state`` in_progress | done, ``comment``, ``value``,
    ``percent`` 0–100, up to five ``evidence`` files); 422 for a field refused, 404 for
    an item outside the caller's scope."""
    fields, files = await _report_form(request, settings.max_upload_bytes)
    await run_in_threadpool(_check_plan, engine, user, plan_id, item_id)
    return await run_in_threadpool(_report, engine, user, item_id, fields, files)


class ReviewIn(BaseModel):
    accept: bool
    reason: str | None = Field(default=None, max_length=2000)


@api.post("/workplans/{plan_id}/items/{item_id}/reports/{report_id}/review",
          response_model=ReportOut, dependencies=REVIEW_NEEDS)
def item_review_json(body: ReviewIn, user: CurrentUser, engine: EngineDep, plan_id: PlanP,
                     item_id: ItemP, report_id: ReportP) -> dict[str, Any]:
    """Accept or return (with a reason) a progress report of the item."""
    _check_plan(engine, user, plan_id, item_id)
    return review_report(engine, user, report_id, accept=body.accept, reason=body.reason)
