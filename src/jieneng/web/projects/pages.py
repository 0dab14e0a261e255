"""The project list (issue 13 §5): ``/projects`` with filters (type, state, region,
year, ESCO), what the notices count over the filter (projects, EPC/托管, area
retrofitted, PV capacity, heat pumps, investment), a map of the region's projects
(a treemap: one block per child region, one tile per project — the platform has no
geographic boundaries offline, so the map is schematic) and the table; its JSON twin
``/api/v1/projects`` and its workbook ``/projects.xlsx`` (the same columns,
:data:`jieneng.reports.projects_document.PROJECT_COLUMNS`). Services:
:mod:`jieneng.services.projects.registry`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.core.projects.lifecycle import State
from jieneng.core.regions import RegionTree
from jieneng.reports.projects_document import PROJECT_COLUMNS, projects_xlsx
from jieneng.services.accounts.users import home_region
from jieneng.services.projects.registry import list_projects
from jieneng.storage import regions as region_store
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import export_url, notes, workbook_lang, xlsx_response
from jieneng.web.i18n import domain_lang
from jieneng.web.projects.common import (
    STATE_COLOURS,
    EscoQ,
    PageQ,
    RegionQ,
    StateQ,
    TypeQ,
    YearQ,
    choices,
    list_row,
    state_choices,
)
from jieneng.web.projects.schemas import ProjectList

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["projects"], responses=API_ERRORS)
PER_PAGE = 50
#: the counts of the notices: key, the row's field, unit, decimals (None field: a count)
COUNTS: tuple[tuple[str, str | None, str, int], ...] = (
    ("projects", None, "", 0), ("epc", None, "", 0), ("area", "area_m2", "m²", 0),
    ("pv", "pv_kwp", "kWp", 1), ("heat_pumps", None, "", 0),
    ("investment", "investment", "万元", 2), ("expected", "expected_tce", "tce", 2))


def _regions(engine: Engine) -> RegionTree:
    with engine.connect() as conn:
        return RegionTree(region_store.load_regions(conn))


def _counts(rows: Sequence[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """What the notices count over the listed projects (a registry: hundreds of rows)."""
    out = []
    for key, fld, unit, digits in COUNTS:
        if key == "projects":
            value: float = len(rows)
        elif key == "epc":
            value = sum(1 for r in rows if r.get("type") in ("epc", "water_contract"))
        elif key == "heat_pumps":
            value = sum(1 for r in rows if r.get("type") == "heat_pump")
        else:
            value = sum(float(r.get(fld) or 0) for r in rows) if fld else 0.0
        shown = unit or text(lang, "projects.web.unit.projects")
        out.append({"key": key, "label": text(lang, f"projects.web.count.{key}"),
                    "value": value, "unit": shown if key != "investment"
                    else text(lang, "projects.web.wan_yuan"), "digits": digits})
    return out


def _map(rows: Sequence[dict[str, Any]], tree: RegionTree, region: str) -> dict[str, Any]:
    """The treemap: the child regions of ``region`` holding projects, each with its
    projects (tile size: investment in 万元, 1 without one)."""
    under = tree.child_under(region) if region in tree else {}
    blocks: dict[str, dict[str, Any]] = {}
    for r in rows:
        code = under.get(r["region_code"], r["region_code"])
        name = (tree.group_name(region, code) if code in tree else code)
        block = blocks.setdefault(code, {"code": code, "name": name, "count": 0,
                                         "value": 0.0, "projects": []})
        size = float(r.get("investment") or 0) or 1.0
        block["count"] += 1
        block["value"] += size
        block["projects"].append({
            "code": r["code"], "name": r["name"], "kind": r["kind_label"],
            "state": r["state_label"], "value": size,
            "color": STATE_COLOURS.get(State(r["state"]), "#9fb8a8")})
    return {"regions": sorted(blocks.values(), key=lambda b: -b["value"])}


def projects_data(engine: Engine, user: User, lang: str, *, region: str = "", type: str = "",
                  state: str = "", year: str = "", esco: str = "", page: int = 1,
                  per_page: int = PER_PAGE) -> dict[str, Any]:
    """The list, its counts and its map for the filters (the page, the twin and the
    workbook call this)."""
    found = list_projects(engine, user, region_code=region or None,
                          types=(type,) if type else (), states=(state,) if state else (),
                          year=int(year) if year else None)
    wanted = esco.strip().lower()
    tree = _regions(engine)
    rows = [{**list_row(p, lang), "region_name": tree.name(p["region_code"])
             if p["region_code"] in tree else None}
            for p in found if not wanted or wanted in (p.get("esco_name") or "").lower()]
    code = region or home_region(engine, user) or ""
    start = (page - 1) * per_page
    return {"region": {"code": code or None,
                       "name": tree.name(code) if code in tree else None},
            "items": rows[start:start + per_page], "total": len(rows), "page": page,
            "per_page": per_page, "counts": _counts(rows, lang), "map": _map(rows, tree, code),
            "all": rows}


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


@router.get("/projects")
def projects_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  type: TypeQ = "", state: StateQ = "", year: YearQ = "", esco: EscoQ = "",
                  page: PageQ = 1) -> Response:
    lang = _lang(request)
    params = {"region": region, "type": type, "state": state, "year": year, "esco": esco}
    data = projects_data(engine, user, lang, region=region, type=type, state=state, year=year,
                         esco=esco, page=page)
    return render_page(request, "projects/list.html", {
        "data": data, "params": params, "columns": PROJECT_COLUMNS,
        "kinds": choices("type", lang), "states": state_choices(lang),
        "export_href": export_url(user, "/projects.xlsx", params)})


@router.get("/projects.xlsx")
def projects_xlsx_download(request: Request, user: CurrentUser, engine: EngineDep,
                           region: RegionQ = "", type: TypeQ = "", state: StateQ = "",
                           year: YearQ = "", esco: EscoQ = "") -> Response:
    lang = workbook_lang(request)
    data = projects_data(engine, user, lang, region=region, type=type, state=state, year=year,
                         esco=esco, per_page=100_000)
    rows = data["all"]
    content = projects_xlsx(rows, lang=lang, notes=notes(
        engine, user, lang, count=len(rows), filters=(
            ("pages.region", region), ("projects.web.col.kind", type),
            ("projects.web.col.state", state), ("projects.web.col.year", year),
            ("projects.web.col.esco", esco))))
    title = text(lang, "projects.web.list_title")
    return xlsx_response(content, f"{title}.xlsx", "projects.xlsx")


@api.get("/projects", response_model=ProjectList)
def projects_json(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
                  type: TypeQ = "", state: StateQ = "", year: YearQ = "", esco: EscoQ = "",
                  page: PageQ = 1) -> dict[str, Any]:
    """The caller's projects (inside ``region`` when given) with the filters, the counts
    of the notices and the map's blocks; 50 a page."""
    return projects_data(engine, user, _lang(request), region=region, type=type, state=state,
                         year=year, esco=esco, page=page)


__all__ = ["projects_data"]
