"""A performance assessment run (绩效考核, issue 14 §4):

- ``/assessments/{run_id}`` — the ranking: rank, subject, every block's score, total,
  grade, ★ veto, with the grade counts and each subject's items (figure, score, note);
  recompute and confirm forms; twin ``/api/v1/assessments/{run_id}``; the workbook
  ``/assessments/{run_id}.xlsx`` (formula-safe) and the 公文 ``/assessments/{run_id}.docx``.
- ``/assessments/{run_id}/score`` — the hand-scoring form (every checklist item of every
  subject, with notes; what was typed is kept on a refusal); twin ``GET/POST
  /api/v1/assessments/{run_id}/score``.

The runs are the assessing offices' (capability ``manage_assessments``, inside their
scope); once confirmed, the assessed read their own.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, NotFound
from jieneng.core.permissions import Capability
from jieneng.reports.performance_document import performance_docx, performance_xlsx
from jieneng.services.assessments import runs
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["assessments"], responses=API_ERRORS)
NEEDS = [requires(Capability.MANAGE_ASSESSMENTS)]
RESULT, SCORE = "assessments/result.html", "assessments/score.html"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RunP = Annotated[int, Path(ge=1, le=2_000_000_000, description="考核编号 run id")]
#: the hand-scoring form's fields: a score and a note per subject of the page and hand
#: item (100 subjects × a few items), over Starlette's default of 1,000
MAX_FIELDS = 10_000
#: subjects a page of the ranking and of the hand-scoring form lists (a province's
#: units are 50,000; the workbook and the 公文 keep every row)
PER_PAGE = 100
PageQ = Annotated[int, Query(ge=1, le=100_000, alias="page", description="页码 page, from 1")]


def _page_of(request: Request) -> int:
    got = request.query_params.get("page", "1")
    return int(got) if got.isdigit() and 1 <= int(got) <= 100_000 else 1


# ---------------------------------------------------------------- downloads (before /{run_id})

def _download(request: Request, engine: Any, user: User, run_id: int, ext: str
              ) -> tuple[str, dict[str, Any], str, str]:
    """The language of a download, the run's result, its file name and an ASCII one."""
    lang = workbook_lang(request)
    data = runs.result(engine, user, run_id)
    run, sheet = data["run"], data["sheet"]
    ascii_name = f"assessment-{run['region_code']}-{run['year']}-{run['id']}.{ext}"
    name = (f"{run['region_name']}{run['year']}年度{sheet['name_zh']}.{ext}" if lang != "en"
            else ascii_name)
    return lang, data, name, ascii_name


@router.get("/assessments/{run_id}.xlsx")
def result_xlsx(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                ) -> Response:
    """The ranking and every subject's items as a workbook (values never formulas)."""
    lang, data, name, ascii_name = _download(request, engine, user, run_id, "xlsx")
    lines = notes(engine, user, lang, count=len(data["rows"]), period=str(data["run"]["year"]),
                  basis=data["sheet"]["source"])
    return xlsx_response(performance_xlsx(data, lang, notes=lines), name, ascii_name)


@router.get("/assessments/{run_id}.docx")
def result_docx(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                ) -> Response:
    """The run as a 公文 in the page's language."""
    lang, data, name, ascii_name = _download(request, engine, user, run_id, "docx")
    return Response(performance_docx(data, lang=lang), media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                               f"filename*=UTF-8''{quote(name)}"})


# ---------------------------------------------------------------- the ranking

def _decorate(data: dict[str, Any]) -> dict[str, Any]:
    counts = {g["code"]: g for g in data["grades"]}
    data["grade_names"] = {c: g for c, g in counts.items()}
    data["hand_items"] = [i for i in data["items"] if i["hand"]]
    data["unavailable"] = [i for i in data["items"] if not i["available"]]
    return data


@router.get("/assessments/{run_id}")
def result_page(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP,
                page_no: PageQ = 1) -> Response:
    data = _decorate(runs.result(engine, user, run_id, page=page_no, per_page=PER_PAGE))
    done = request.query_params.get("done", "")
    return page(request, RESULT, {"data": data, "done": done if done in (
        "scored", "computed", "confirmed") else ""})


class RunOut(BaseModel):
    run: dict[str, Any]
    sheet: dict[str, Any]
    blocks: list[dict[str, Any]]
    items: list[dict[str, Any]]
    grades: list[dict[str, Any]]
    available: dict[str, bool]
    rows: list[dict[str, Any]]
    view: str
    total: int
    page: int
    per_page: int


@api.get("/assessments/{run_id}", response_model=RunOut)
def result_json(user: CurrentUser, engine: EngineDep, run_id: RunP, page_no: PageQ = 1
                ) -> dict[str, Any]:
    """The run's ranking, 100 subjects a page: every subject's rank (ties share), total,
    block and item scores (with the figure and the hand scorer's note), ★ veto and
    grade; the grade counts; which figures are not available. The assessors read every
    subject; once confirmed, the assessed read their own (``view``: ``own``)."""
    return runs.result(engine, user, run_id, page=page_no, per_page=PER_PAGE)


def _after(request: Request, engine: Any, user: User, run_id: int, action: Any,
           done: str) -> Response:
    try:
        action(engine, user, run_id)
    except DomainError as err:
        data = _decorate(runs.result(engine, user, run_id, page=1, per_page=PER_PAGE))
        return form_error(request, RESULT, {"data": data, "done": ""}, err)
    return RedirectResponse(f"/assessments/{run_id}?done={done}", status_code=303)


@router.post("/assessments/{run_id}/compute", dependencies=NEEDS)
def result_compute(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                   ) -> Response:
    return _after(request, engine, user, run_id, runs.compute_run, "computed")


@router.post("/assessments/{run_id}/confirm", dependencies=NEEDS)
def result_confirm(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                   ) -> Response:
    return _after(request, engine, user, run_id, runs.confirm_run, "confirmed")


class ActionOut(BaseModel):
    id: int
    state: str | None = None
    subjects: int | None = None
    scores: int | None = None


@api.post("/assessments/{run_id}/compute", response_model=ActionOut, dependencies=NEEDS)
def result_compute_json(user: CurrentUser, engine: EngineDep, run_id: RunP) -> dict[str, Any]:
    """Recompute an open run's figures from the platform's data."""
    got = runs.compute_run(engine, user, run_id)
    return {"id": got["id"], "subjects": got["subjects"]}


@api.post("/assessments/{run_id}/confirm", response_model=ActionOut, dependencies=NEEDS)
def result_confirm_json(user: CurrentUser, engine: EngineDep, run_id: RunP) -> dict[str, Any]:
    """Confirm an open run (its figures and hand scores no longer change)."""
    return runs.confirm_run(engine, user, run_id)


# ---------------------------------------------------------------- hand scores

def score_data(engine: Any, user: User, run_id: int, page_no: int = 1) -> dict[str, Any]:
    """The hand items and, per subject of the page (100 a page, in the subjects'
    order), the score and note given so far."""
    data = runs.result(engine, user, run_id, page=page_no, per_page=PER_PAGE,
                       order="position")
    if data["view"] != "all":
        raise NotFound.of("assessment_run_not_found", run_id=run_id)
    hand = [i for i in data["items"] if i["hand"]]
    subjects = data["rows"]
    return {"run": data["run"], "sheet": data["sheet"], "items": hand,
            "total": data["total"], "page": data["page"], "per_page": data["per_page"],
            "subjects": [{"subject_key": r["subject_key"], "name": r["name"],
                          "scores": {i["code"]: {"score": None if r["items"][i["code"]]["missing"]
                                                 else r["items"][i["code"]]["score"],
                                                 "note": r["items"][i["code"]]["note"]}
                                     for i in hand}} for r in subjects]}


def _typed(data: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in data["subjects"]:
        for code, got in s["scores"].items():
            out[f"score__{s['subject_key']}__{code}"] = "" if got["score"] is None else \
                f"{got['score']:g}"
            out[f"note__{s['subject_key']}__{code}"] = got["note"] or ""
    return out


@router.get("/assessments/{run_id}/score", dependencies=NEEDS)
def score_page(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP,
               page_no: PageQ = 1) -> Response:
    data = score_data(engine, user, run_id, page_no)
    return page(request, SCORE, {"data": data, "form": _typed(data)})


class HandScoreOut(BaseModel):
    run: dict[str, Any]
    sheet: dict[str, Any]
    items: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    total: int
    page: int
    per_page: int


@api.get("/assessments/{run_id}/score", response_model=HandScoreOut, dependencies=NEEDS)
def score_json(user: CurrentUser, engine: EngineDep, run_id: RunP, page_no: PageQ = 1
               ) -> dict[str, Any]:
    """The hand-scored items of the run and, 100 subjects a page, every subject's score
    and note so far."""
    return score_data(engine, user, run_id, page_no)


def _save_scores(request: Request, engine: Any, user: User, run_id: int,
                 form: dict[str, str]) -> Response:
    given = []
    for key, value in form.items():
        if not key.startswith("score__"):
            continue
        _, subject, item = key.split("__", 2)
        given.append({"subject_key": subject, "item_code": item, "score": value[:20],
                      "note": form.get(f"note__{subject}__{item}", "")[:2000]})
    try:
        runs.score_hand(engine, user, run_id, given)
    except DomainError as err:
        data = score_data(engine, user, run_id, _page_of(request))
        return form_error(request, SCORE, {"data": data, "form": form}, err)
    return RedirectResponse(f"/assessments/{run_id}?done=scored", status_code=303)


@router.post("/assessments/{run_id}/score", dependencies=NEEDS)
async def score_form(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                     ) -> Response:
    raw = await request.form(max_fields=MAX_FIELDS)
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str) and k.count("__") == 2}
    return await run_in_threadpool(_save_scores, request, engine, user, run_id, form)


class HandScoreIn(BaseModel):
    subject_key: str = Field(max_length=16)
    item_code: str = Field(max_length=64)
    score: str | float | None = None
    note: str | None = Field(default=None, max_length=2000)


class HandScoresIn(BaseModel):
    scores: list[HandScoreIn] = Field(max_length=5000)


@api.post("/assessments/{run_id}/score", response_model=ActionOut, dependencies=NEEDS)
def score_json_post(body: HandScoresIn, user: CurrentUser, engine: EngineDep, run_id: RunP
                    ) -> dict[str, Any]:
    """Hand scores with notes, all or nothing (a score over the item's maximum is
    refused naming sheet, subject and item)."""
    return runs.score_hand(engine, user, run_id, [s.model_dump() for s in body.scores])


__all__ = ["score_data"]
