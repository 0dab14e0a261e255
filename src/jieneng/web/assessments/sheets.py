"""Assessment sheets (绩效考核, issue 14 §4):

- ``/assessments/sheets/load`` — the load form for a local sheet version (capability
  ``manage_assessments``, like ``jieneng assessments load``; region, dry run, the example
  file ``/assessments/sheets/template.csv``; a refusal is 422 with every issue by sheet,
  row and column and nothing stored); twin ``POST /api/v1/assessments/sheets/load``;
- ``/assessments/sheets/{code}`` — one sheet's rows with source and status; twin
  ``/api/v1/assessments/sheets/{code}``.

The sheets are reference data every role reads.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.permissions import Capability
from jieneng.services.assessments import sheets
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS
from jieneng.web.load_forms import START, load_page
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["assessments"], responses=API_ERRORS)
NEEDS = [requires(Capability.MANAGE_ASSESSMENTS)]
SHEET, LOAD = "assessments/sheet.html", "assessments/load.html"
CodeP = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$",
                            description="考核表编号 sheet code")]


# ---------------------------------------------------------------- load (before sheets/{code})

def _load(engine: Any, user: User, name: str, content: bytes, region: str | None,
          dry_run: bool) -> dict[str, Any]:
    return saved_upload(name, content, lambda path: sheets.load_sheet(
        engine, user, path, region_code=region, dry_run=dry_run,
        max_bytes=len(content) + 1))


@router.get("/assessments/sheets/load", dependencies=NEEDS)
def sheet_load_page(request: Request, user: CurrentUser) -> Response:
    return page(request, LOAD, {"form": dict(START)})


@router.get("/assessments/sheets/template.csv", dependencies=NEEDS)
def sheet_template(user: CurrentUser) -> Response:
    """The shipped region sheet as an example file to edit and load."""
    return Response(sheets.template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''assessment-sheet-template.csv"})


@router.post("/assessments/sheets/load",
             dependencies=upload_requires(Capability.MANAGE_ASSESSMENTS))
async def sheet_load(request: Request, _size: SizeChecked, user: CurrentUser,
                     engine: EngineDep, settings: SettingsDep) -> Response:
    return await load_page(request, settings, LOAD, partial(_load, engine, user),
                           region_chars=6)


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
