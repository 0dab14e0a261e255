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
- ``/assessments/sheets/load`` — the load form for a local sheet version (capability
  ``manage_assessments``, like ``jieneng assessments load``; region, dry run, the
  example file ``/assessments/sheets/template.csv``; a refusal is 422 with every issue
  by sheet, row and column and nothing stored); twin ``POST
  /api/v1/assessments/sheets/load``.
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

from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected, NotFound
from jieneng.core.permissions import Capability, allows
from jieneng.reports.performance_document import performance_docx, performance_xlsx
from jieneng.services.assessments import runs, sheets
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    rejected,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["assessments"], responses=API_ERRORS)
NEEDS = [requires(Capability.MANAGE_ASSESSMENTS)]
LIST, RESULT, SCORE, SHEET = ("assessments/list.html", "assessments/result.html",
                              "assessments/score.html", "assessments/sheet.html")
LOAD = "assessments/load.html"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RunP = Annotated[int, Path(ge=1, le=2_000_000_000, description="考核编号 run id")]
CodeP = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$",
                            description="考核表编号 sheet code")]
Short = Annotated[str, Form(max_length=64)]
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


def _manages(user: User) -> bool:
    return allows(user, Capability.MANAGE_ASSESSMENTS)


# ---------------------------------------------------------------- the list and the open form

def list_data(engine: Any, user: User) -> dict[str, Any]:
    """The sheets and the runs the caller reads (the assessing offices' runs, the
    confirmed runs where the caller is assessed)."""
    return {"sheets": sheets.list_sheets(engine), "runs": runs.list_runs(engine, user)}


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
    view: str


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


# ------------------------------------------------ load a local sheet (before sheets/{code})

def _load(engine: Any, user: User, name: str, content: bytes, region: str | None,
          dry_run: bool) -> dict[str, Any]:
    return saved_upload(name, content, lambda path: sheets.load_sheet(
        engine, user, path, region_code=region, dry_run=dry_run,
        max_bytes=len(content) + 1))


@router.get("/assessments/sheets/load", dependencies=NEEDS)
def sheet_load_page(request: Request, user: CurrentUser) -> Response:
    return page(request, LOAD, {"form": {"region_code": "", "dry_run": True}})


@router.get("/assessments/sheets/template.csv", dependencies=NEEDS)
def sheet_template(user: CurrentUser) -> Response:
    """The shipped region sheet as an example file to edit and load."""
    return Response(sheets.template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''assessment-sheet-template.csv"})


@router.post("/assessments/sheets/load",
             dependencies=upload_requires(Capability.MANAGE_ASSESSMENTS))
async def sheet_load(request: Request, _size: SizeChecked, user: CurrentUser,
                     engine: EngineDep, settings: SettingsDep) -> Response:
    context: dict[str, Any] = {"form": {"region_code": "", "dry_run": True}}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        region = (fields.get("region_code") or "").strip()[:6] or None
        dry_run = fields.get("dry_run") == "1"
        context["form"] = {"region_code": region or "", "dry_run": dry_run}
        context["report"] = await run_in_threadpool(_load, engine, user, name, content,
                                                    region, dry_run)
    except ImportRejected as err:
        status = 422
        context.update(rejected(request, err))
    except DomainError as err:
        return await run_in_threadpool(form_error, request, LOAD, context, err)
    return await run_in_threadpool(page, request, LOAD, context, status_code=status)


class SheetLoadOut(BaseModel):
    file: str
    code: str
    subject: str
    version: int | None
    items: int
    total: float
    region_code: str | None
    dry_run: bool
    unchanged: bool


@api.post("/assessments/sheets/load", response_model=SheetLoadOut,
          dependencies=upload_requires(Capability.MANAGE_ASSESSMENTS),
          openapi_extra=UPLOAD_BODY)
async def sheet_load_json(request: Request, _size: SizeChecked, user: CurrentUser,
                          engine: EngineDep, settings: SettingsDep, dry_run: bool = False,
                          region_code: Annotated[str, Query(max_length=6,
                                                            pattern=r"^(\d{6})?$")] = "",
                          ) -> dict[str, Any]:
    """Load a sheet file (.xlsx/.csv, the scheme format with the parameter ``subject``)
    as the next version of its code (all or nothing; 422 with every issue by sheet, row
    and column; nothing stored on a dry run)."""
    content, name, _fields = await read_upload(request, settings)
    return await run_in_threadpool(_load, engine, user, name, content, region_code or None,
                                   dry_run)


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


@router.get("/assessments/{run_id}.xlsx")
def result_xlsx(request: Request, user: CurrentUser, engine: EngineDep, run_id: RunP
                ) -> Response:
    """The ranking and every subject's items as a workbook (values never formulas)."""
    lang = workbook_lang(request)
    data = runs.result(engine, user, run_id)
    name, ascii_name = _file_name(data, lang, "xlsx")
    lines = notes(engine, user, lang, count=len(data["rows"]), period=str(data["run"]["year"]),
                  basis=data["sheet"]["source"])
    return xlsx_response(performance_xlsx(data, lang, notes=lines), name, ascii_name)


@router.get("/assessments/{run_id}.docx")
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


__all__ = ["list_data", "score_data"]
