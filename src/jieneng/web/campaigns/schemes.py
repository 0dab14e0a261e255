"""Evaluation scheme pages (评价方案, issue 14 §2).

- ``/campaigns/schemes`` — the shipped schemes and every stored version (code, name,
  version, origin, region, total points, source status, source); twin
  ``/api/v1/campaigns/schemes``.
- ``/campaigns/schemes/{code}?version=N`` — one version's indicator tree (points, rule,
  measure, bands, ★, evidence, source and status of every row), its parameters, pass
  rules and grades; twin ``/api/v1/campaigns/schemes/{code}``; the version as a
  loadable workbook ``/campaigns/schemes/{code}.xlsx`` (the canonical columns with the
  Chinese headers the loader reads: edit and load it back as a local variant).
- ``/campaigns/schemes/load`` — the load form for a local variant (capability
  ``manage_schemes``; dry run; every problem by sheet, row and column in zh and en;
  nothing half-stored: :func:`jieneng.services.campaigns.schemes.load_scheme` checks
  and stores in one transaction), its twin ``POST /api/v1/campaigns/schemes/load`` and
  the template ``/campaigns/schemes/template.csv``.

Schemes are reference data: every signed-in role reads them (no scope).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.campaigns.scheme import COLUMNS
from jieneng.core.campaigns.shipped import rows_of, shipped_text
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.ingest.campaign_schemes import SPECS, template_csv
from jieneng.reports.spreadsheet import new_workbook, write_row
from jieneng.services.campaigns.schemes import get_scheme, list_schemes, load_scheme
from jieneng.services.database import reading
from jieneng.storage import campaigns as store
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import xlsx_response
from jieneng.web.load_forms import START, load_page
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["campaigns"], responses=API_ERRORS)
LIST, DETAIL, LOAD = ("campaigns/schemes.html", "campaigns/scheme.html",
                      "campaigns/scheme_load.html")
NEEDS = [requires(Capability.MANAGE_SCHEMES)]
CodeP = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$",
                            description="方案编号 scheme code")]
VersionQ = Annotated[int | None, Query(ge=1, le=1_000_000,
                                       description="版本 (default: the newest)")]
#: the Chinese header of each canonical column (the loader's first name for it)
HEADERS: dict[str, str] = {s.key: s.names[0] for s in SPECS}


def _en(request: Request) -> bool:
    return lang_of(request) == "en"


def _name(row: Mapping[str, Any], en: bool) -> str:
    return str((row.get("name_en") if en else row.get("name_zh")) or row.get("name_zh") or "")


# ---------------------------------------------------------------- the list


def schemes_data(engine: Any) -> dict[str, Any]:
    """Every stored version and each shipped scheme not stored yet (with its source)."""
    rows = list_schemes(engine)
    sources = _sources(engine)
    items = [{**{k: v for k, v in r.items() if k != "sha256"},
              "source": sources.get((r["code"], r.get("version")), "")} for r in rows]
    return {"items": items, "total": len(items)}


def _sources(engine: Any) -> dict[tuple[str, int | None], str]:
    """The scheme row's ``source`` of each version (read from its canonical table)."""
    out: dict[tuple[str, int | None], str] = {}
    with reading(engine) as conn:
        for v in store.versions(conn):
            row = store.version_row(conn, v["code"], v["version"])
            if row is not None:
                out[(v["code"], v["version"])] = _scheme_source(row.content)
    from jieneng.core.campaigns.shipped import SHIPPED

    for code in SHIPPED:
        out.setdefault((code, None), _scheme_source(shipped_text(code)))
    return out


def _scheme_source(content: str) -> str:
    for row in rows_of(content):
        if (row.get("kind") or "").strip() == "scheme":
            return str(row.get("source") or "")
    return ""


@router.get("/campaigns/schemes")
def schemes_page(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
    return render_page(request, LIST, {"data": schemes_data(engine)})


class SchemeVersionOut(BaseModel):
    code: str
    id: int | None
    version: int | None
    origin: str
    region_code: str | None
    name_zh: str
    name_en: str
    total: float
    status: str
    stored: bool
    source: str
    file_name: str | None = None
    created_by: str | None = None
    created_at: str | None = None


class SchemeListOut(BaseModel):
    items: list[SchemeVersionOut]
    total: int


@api.get("/campaigns/schemes", response_model=SchemeListOut)
def schemes_json(user: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Every stored scheme version and the shipped schemes not stored yet."""
    return schemes_data(engine)


# ---------------------------------------------------------------- load a local variant


@router.get("/campaigns/schemes/load", dependencies=NEEDS)
def scheme_load_page(request: Request, user: CurrentUser) -> Response:
    return render_page(request, LOAD, {"form": dict(START)})


@router.get("/campaigns/schemes/template.csv", dependencies=NEEDS)
def scheme_template(user: CurrentUser) -> Response:
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename*=UTF-8''scheme-template.csv"})


def _load(engine: Any, user: User, name: str, content: bytes, region: str | None,
          dry_run: bool) -> Any:
    return saved_upload(name, content, lambda path: load_scheme(
        engine, user, path, region_code=region, dry_run=dry_run,
        max_bytes=len(content) + 1))


@router.post("/campaigns/schemes/load", dependencies=upload_requires(Capability.MANAGE_SCHEMES))
async def scheme_load(request: Request, _size: SizeChecked, user: CurrentUser,
                      engine: EngineDep, settings: SettingsDep) -> Response:
    def load(name: str, content: bytes, region: str | None, dry_run: bool) -> dict[str, Any]:
        return dict(_load(engine, user, name, content, region, dry_run).to_dict())

    return await load_page(request, settings, LOAD, load)


class SchemeLoadOut(BaseModel):
    file: str
    code: str
    version: int | None
    items: int
    total: float
    region_code: str | None
    dry_run: bool
    unchanged: bool


@api.post("/campaigns/schemes/load", response_model=SchemeLoadOut,
          dependencies=upload_requires(Capability.MANAGE_SCHEMES), openapi_extra=UPLOAD_BODY)
async def scheme_load_json(request: Request, _size: SizeChecked, user: CurrentUser,
                           engine: EngineDep, settings: SettingsDep, dry_run: bool = False,
                           region_code: Annotated[str, Query(max_length=6,
                                                             pattern=r"^(\d{6})?$")] = "",
                           ) -> dict[str, Any]:
    """Load a scheme file (.xlsx/.csv) as the next version of its code (all or nothing;
    422 with every issue by sheet, row and column)."""
    content, name, _fields = await read_upload(request, settings)
    report = await run_in_threadpool(_load, engine, user, name, content, region_code or None,
                                     dry_run)
    return dict(report.to_dict())


# ---------------------------------------------------------------- one version


def scheme_data(engine: Any, code: str, version: int | None) -> dict[str, Any]:
    """The version with each node's depth in the tree (for the page's indentation)."""
    data = get_scheme(engine, code, version)
    depth: dict[str | None, int] = {None: -1, "": -1}
    for node in data["nodes"]:
        depth[node["code"]] = depth.get(node["parent"], -1) + 1
        node["depth"] = depth[node["code"]]
    data["versions"] = [{"version": v["version"], "origin": v["origin"],
                         "region_code": v["region_code"]}
                        for v in _versions(engine, code)]
    return data


def _versions(engine: Any, code: str) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        return store.versions(conn, code)


def bands_text(bands: Sequence[Mapping[str, Any]], compare: str | None) -> str:
    """``(−∞, 0.9] → 7; (0.9, 1] → 6 …`` ([lower, upper) when ``compare = lower``)."""
    lower_closed = compare == "lower"
    out = []
    for b in bands:
        lo = "−∞" if b["lower"] is None else _n(b["lower"])
        hi = "+∞" if b["upper"] is None else _n(b["upper"])
        left = "[" if lower_closed and b["lower"] is not None else "("
        right = ")" if lower_closed or b["upper"] is None else "]"
        out.append(f"{left}{lo}, {hi}{right} → {_n(b['points'])}")
    return "; ".join(out)


def _n(value: float) -> str:
    return f"{value:g}"


@router.get("/campaigns/schemes/{code}.xlsx")
def scheme_xlsx(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                version: VersionQ = None) -> Response:
    """The version as the loader's table (first sheet), ready to edit and load back."""
    data = get_scheme(engine, code, version)
    content = _canonical(engine, code, data.get("version"))
    title = f"{data['name_en'] if _en(request) else data['name_zh']}"
    stamp = f"v{data['version']}" if data.get("version") else "shipped"
    return xlsx_response(scheme_workbook(rows_of(content), _notes(request, data)),
                         f"{title} {stamp}.xlsx", f"scheme-{code}.xlsx")


@router.get("/campaigns/schemes/{code}")
def scheme_page(request: Request, user: CurrentUser, engine: EngineDep, code: CodeP,
                version: VersionQ = None) -> Response:
    data = scheme_data(engine, code, version)
    for node in data["nodes"]:
        node["bands_text"] = bands_text(node["bands"], node["compare"])
        node["bands_list"] = node["bands_text"].split("; ") if node["bands_text"] else []
    return render_page(request, DETAIL, {"data": data, "version": version})


class BandOut(BaseModel):
    lower: float | None
    upper: float | None
    points: float


class NodeOut(BaseModel):
    code: str
    parent: str | None
    block: bool
    depth: int
    name_zh: str
    name_en: str | None
    points: float
    rule: str | None
    measure: str | None
    basis: str
    compare: str | None
    veto: bool
    full_if: str | None
    applies: str | None
    evidence: str | None
    source: str | None
    status: str
    note: str | None
    bands: list[BandOut]


class PassRuleOut(BaseModel):
    kind: str
    target: str | None
    value: float | None
    status: str


class GradeOut(BaseModel):
    code: str
    name_zh: str
    name_en: str | None
    lower: float


class VersionRefOut(BaseModel):
    version: int
    origin: str
    region_code: str | None


class SchemeOut(BaseModel):
    code: str
    id: int | None
    version: int | None
    origin: str
    region_code: str | None
    stored: bool
    name_zh: str
    name_en: str | None
    total: float
    source: str | None
    status: str
    note: str | None
    params: dict[str, Any]
    nodes: list[NodeOut]
    pass_rules: list[PassRuleOut]
    grades: list[GradeOut]
    versions: list[VersionRefOut]


@api.get("/campaigns/schemes/{code}", response_model=SchemeOut)
def scheme_json(user: CurrentUser, engine: EngineDep, code: CodeP,
                version: VersionQ = None) -> dict[str, Any]:
    """One version of a scheme (default: the newest stored, else the shipped one): its
    tree with bands, pass rules, grades and parameters, each row with source and status."""
    return scheme_data(engine, code, version)


def _canonical(engine: Any, code: str, version: int | None) -> str:
    if version is None:
        return shipped_text(code)
    with reading(engine) as conn:
        row = store.version_row(conn, code, version)
    return shipped_text(code) if row is None else str(row.content)


def _notes(request: Request, data: Mapping[str, Any]) -> list[str]:
    lang = "en" if _en(request) else "zh-CN"
    return [text(lang, "campaigns.schemes.xlsx_note", code=data["code"],
                 version=data.get("version") or "—", origin=data["origin"],
                 region=data.get("region_code") or "—")]


def scheme_workbook(rows: Sequence[Mapping[str, Any]], notes: Sequence[str]) -> bytes:
    """Sheet 1: the canonical columns under the loader's Chinese headers, one row per
    line of the scheme (formula-safe cells); sheet 2: what the file is."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    bold = book.add_format({"bold": True, "bg_color": "#EEF3EF", "border": 1})
    sheet = book.add_worksheet("方案 scheme")
    write_row(sheet, 0, [HEADERS.get(c, c) for c in COLUMNS], bold)
    for at, row in enumerate(rows, start=1):
        write_row(sheet, at, [row.get(c) or None for c in COLUMNS])
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 2, 14)
    sheet.set_column(3, 4, 30)
    sheet.set_column(17, 19, 40)
    about = book.add_worksheet("说明 about")
    for at, line in enumerate(notes):
        write_row(about, at, [line])
    about.set_column(0, 0, 100)
    book.close()
    return buffer.getvalue()


__all__ = ["bands_text", "scheme_data", "scheme_workbook", "schemes_data"]
