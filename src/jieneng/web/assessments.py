"""Performance assessment pages (绩效考核, issue 14 §4).

- ``/assessments`` — the sheets (shipped and stored versions) and the runs of the
  caller's scope, with the form to open a run (sheet, region, year); twin
  ``/api/v1/assessments``; ``POST /assessments/open`` (twin ``POST
  /api/v1/assessments/open``).
- ``/assessments/{run_id}`` — the ranking: rank, subject, every block's score, total,
  grade, ★ veto, with the grade counts and each subject's items (figure, score, note);
  recompute and confirm forms; twin ``/api/v1/assessments/{run_id}``; the workbook
  ``/assessments/{run_id}.xlsx`` (formula-safe) and the 公文 ``/assessments/{run_id}.docx``.
- ``/assessments/{run_id}/score`` — the hand-scoring form (every checklist item of every
  subject, with notes; what was typed is kept on a refusal); twin ``GET/POST
  /api/v1/assessments/{run_id}/score``.
- ``/assessments/sheets/{code}`` — one sheet's rows with source and status; twin
  ``/api/v1/assessments/sheets/{code}``.

The runs are the assessing offices' (capability ``manage_assessments``, inside their
scope); the sheets are reference data every role reads. The 目标考核 of
``/targets/assessment`` (targets met or not) is a different page, linked from here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Capability, allows
from jieneng.reports.performance_document import performance_docx, performance_xlsx
from jieneng.services.assessments import runs, sheets
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["assessments"], responses=API_ERRORS)
NEEDS = [requires(Capability.MANAGE_ASSESSMENTS)]
LIST, RESULT, SCORE, SHEET = ("assessments/list.html", "assessments/result.html",
                              "assessments/score.html", "assessments/sheet.html")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RunP = Annotated[int, Path(ge=1, le=2_000_000_000, description="考核编号 run id")]
CodeP = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$",
                            description="考核表编号 sheet code")]
Short = Annotated[str, Form(max_length=64)]
#: the hand-scoring form's fields: a score and a note per subject and hand item (a
#: province's units × a few items), over Starlette's default of 1,000
MAX_FIELDS = 100_000


def _manages(user: User) -> bool:
    return allows(user, Capability.MANAGE_ASSESSMENTS)


# ---------------------------------------------------------------- the list and the open form

def list_data(engine: Any, user: User) -> dict[str, Any]:
    """The sheets and (for the assessing offices) the runs of the caller's scope."""
    return {"sheets": sheets.list_sheets(engine),
            "runs": runs.list_runs(engine, user) if _manages(user) else []}


def _default_form(engine: Any, user: User) -> dict[str, str]:
    """The open form's defaults: the caller's region, last year, the region sheet where
    the region has child regions (else the units' sheet)."""
    code = "county_energy" if user.region_code and sheets.has_children(
        engine, user.region_code) else "unit_energy"
    return {"code": code, "region_code": user.region_code or "",
            "year": str(date.today().year - 1)}


@router.get("/assessments")
def assessments_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return page(request, LIST, {"data": list_data(engine, user),
                                "form": _default_form(engine, user)})


class SheetRefOut(BaseModel):
    code: str
    id: int | None
    version: int | None
    origin: str
    subject: str
    region_code: str | None
    name_zh: str
    name_en: str
    total: float
    stored: bool


class RunRefOut(BaseModel):
    id: int
    code: str
    version: int
    subject: str
    name_zh: str
    name_en: str
    region_code: str
    year: int
    state: str
    opened_by: str
    opened_at: str | None
    computed_at: str | None
    confirmed_by: str | None
    confirmed_at: str | None


class ListOut(BaseModel):
    sheets: list[SheetRefOut]
    runs: list[RunRefOut]


@api.get("/assessments", response_model=ListOut)
def assessments_json(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """The assessment sheets (shipped and stored versions) and the runs of the caller's
    scope (for holders of ``manage_assessments``)."""
    return list_data(engine, user)


def _year(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0


@router.post("/assessments/open", dependencies=NEEDS)
def assessments_open(request: Request, user: CurrentUser, engine: EngineDep, code: Short = "",
                     region_code: Short = "", year: Short = "") -> Response:
    form = {"code": code, "region_code": region_code, "year": year}
    try:
        got = runs.open_run(engine, user, code=code.strip(), region_code=region_code.strip(),
                            year=_year(year))
    except DomainError as err:
        return form_error(request, LIST, {"data": list_data(engine, user), "form": form}, err)
    return RedirectResponse(f"/assessments/{got['id']}", status_code=303)


class OpenIn(BaseModel):
    code: str = Field(max_length=64)
    region_code: str = Field(max_length=6, pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    version: int | None = Field(default=None, ge=1)


class OpenOut(BaseModel):
    id: int
    created: bool


@api.post("/assessments/open", response_model=OpenOut, dependencies=NEEDS)
def assessments_open_json(body: OpenIn, user: CurrentUser, engine: EngineDep
                          ) -> dict[str, Any]:
    """Open (or find) the run of a sheet for a region and year, and compute it."""
    return runs.open_run(engine, user, code=body.code, region_code=body.region_code,
                         year=body.year, version=body.version)


# ---------------------------------------------------------------- one sheet

@router.get("/assessments/sheets/{code}")
def sheet_page(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP) -> Response:
    return page(request, SHEET, {"data": sheets.get_sheet(engine, code)})


class SheetOut(BaseModel):
    code: str
    version: int | None
    origin: str
    subject: str
    name_zh: str
    name_en: str
    total: float
    source: str
    status: str
    note: str
    params: dict[str, str]
    rows: list[dict[str, str]]


@api.get("/assessments/sheets/{code}", response_model=SheetOut)
def sheet_json(user: CurrentUser, engine: EngineDep, code: CodeP) -> dict[str, Any]:
    """One sheet (newest stored version, else the shipped file): its rows — blocks,
    items, bands, pass rules, grades — each with source and status."""
    return sheets.get_sheet(engine, code)


# ---------------------------------------------------------------- downloads (before /{run_id})

def _file_name(data: dict[str, Any], lang: str, ext: str) -> tuple[str, str]:
    run, sheet = data["run"], data["sheet"]
    ascii_name = f"assessment-{run['region_code']}-{run['year']}-{run['id']}.{ext}"
    name = (f"{run['region_name']}{run['year']}年度{sheet['name_zh']}.{ext}" if lang != "en"
            else ascii_name)
    return name, ascii_name


@router.get("/assessments/{run_id}.xlsx", dependencies=NEEDS)
def result_xlsx(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                ) -> Response:
    """The ranking and every subject's items as a workbook (values never formulas)."""
    lang = workbook_lang(request)
    data = runs.result(engine, user, run_id)
    name, ascii_name = _file_name(data, lang, "xlsx")
    lines = notes(engine, user, lang, count=len(data["rows"]), period=str(data["run"]["year"]),
                  basis=data["sheet"]["source"])
    return xlsx_response(performance_xlsx(data, lang, notes=lines), name, ascii_name)


@router.get("/assessments/{run_id}.docx", dependencies=NEEDS)
def result_docx(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                ) -> Response:
    """The run as a 公文 in the page's language."""
    lang = workbook_lang(request)
    data = runs.result(engine, user, run_id)
    name, ascii_name = _file_name(data, lang, "docx")
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


@router.get("/assessments/{run_id}", dependencies=NEEDS)
def result_page(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                ) -> Response:
    data = _decorate(runs.result(engine, user, run_id))
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


@api.get("/assessments/{run_id}", response_model=RunOut, dependencies=NEEDS)
def result_json(user: CurrentUser, engine: EngineDep, run_id: RunP) -> dict[str, Any]:
    """The run's ranking: every subject's rank (ties share), total, block and item scores
    (with the figure and the hand scorer's note), ★ veto and grade; the grade counts;
    which figures are not available."""
    return runs.result(engine, user, run_id)


def _after(request: Request, engine: Any, user: User, run_id: int, action: Any,
           done: str) -> Response:
    try:
        action(engine, user, run_id)
    except DomainError as err:
        data = _decorate(runs.result(engine, user, run_id))
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

def score_data(engine: Any, user: User, run_id: int) -> dict[str, Any]:
    """The hand items and, per subject, the score and note given so far."""
    data = runs.result(engine, user, run_id)
    hand = [i for i in data["items"] if i["hand"]]
    subjects = sorted(data["rows"], key=lambda r: r["subject_key"])
    return {"run": data["run"], "sheet": data["sheet"], "items": hand,
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
def score_page(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
               ) -> Response:
    data = score_data(engine, user, run_id)
    return page(request, SCORE, {"data": data, "form": _typed(data)})


class HandScoreOut(BaseModel):
    run: dict[str, Any]
    sheet: dict[str, Any]
    items: list[dict[str, Any]]
    subjects: list[dict[str, Any]]


@api.get("/assessments/{run_id}/score", response_model=HandScoreOut, dependencies=NEEDS)
def score_json(user: CurrentUser, engine: EngineDep, run_id: RunP) -> dict[str, Any]:
    """The hand-scored items of the run and every subject's score and note so far."""
    return score_data(engine, user, run_id)


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
        data = score_data(engine, user, run_id)
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


__all__ = ["list_data", "score_data"]
