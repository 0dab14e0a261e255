"""Vehicles, charging spaces, coal (公务用车、充电车位、煤炭清零; issue 14 §5).

- ``/fleet?year=&region=`` — the region's figures in the caller's scope
  (:func:`jieneng.services.fleet.fleet_summary`): the fleet by fuel, the NEV share of
  the fleet and of the year's purchases against the 30 % target, the charging-space
  share against the region's target, 煤炭消费动态清零 (the institutions not cleared, each
  with its reason), and the stored vehicle, parking and coal-equipment rows
  (:func:`jieneng.services.fleet.list_fleet`); twin ``/api/v1/fleet``; every list in one
  workbook ``/fleet.xlsx`` (a sheet per list, :func:`jieneng.reports.tables.table_xlsx`).
- ``/fleet/import`` — the import form (capability ``import_data``; a dry run; every
  problem by row and column), its twin ``POST /api/v1/fleet/import`` and the blank files
  ``/fleet/template.csv?kind=vehicles|parking|coal_equipment``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core import fleet as core_fleet
from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.core.regions import RegionTree
from jieneng.ingest.fleet import template_csv
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.fleet import fleet_summary, import_fleet, list_fleet
from jieneng.storage import regions as region_store
from jieneng.storage.fleet import KINDS
from jieneng.web.common import default_year, region_for
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep, requires
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.forms import form_error
from jieneng.web.i18n import domain_lang
from jieneng.web.uploads import (
    UPLOAD_BODY,
    SizeChecked,
    read_upload,
    saved_upload,
    upload_requires,
)

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["fleet"], responses=API_ERRORS)
PAGE, IMPORT = "fleet/summary.html", "fleet/import.html"
RegionQ = Annotated[str, Query(max_length=6, pattern=r"^(\d{6})?$",
                               description="行政区划代码 (default: my own)")]
YearQ = Annotated[str, Query(max_length=4, pattern=r"^(\d{4})?$", description="年度")]
KindQ = Annotated[str, Query(pattern=r"^(vehicles|parking|coal_equipment)$",
                             description="vehicles | parking | coal_equipment")]
#: rows of each list a page shows (the workbook holds them all)
SHOWN = 200
MAX_ROWS = 200_000

_INSTITUTION = (Column("credit_code", "fleet.col.credit_code", "code"),
                Column("institution_name", "fleet.col.name"))
COLUMNS: dict[str, tuple[Column, ...]] = {
    "vehicles": (*_INSTITUTION, Column("vehicle_no", "fleet.web.col.vehicle_no", "code"),
                 Column("fuel_label", "fleet.web.col.fuel"), Column("nev", "fleet.web.col.nev",
                                                                    "bool"),
                 Column("purchase_year", "fleet.web.col.purchase_year", "code"),
                 Column("status_label", "fleet.web.col.status"),
                 Column("disposed_year", "fleet.web.col.disposed_year", "code")),
    "parking": (*_INSTITUTION, Column("year", "fleet.web.col.year", "code"),
                Column("parking_spaces", "fleet.web.col.parking_spaces", "int"),
                Column("charging_spaces", "fleet.web.col.charging_spaces", "int"),
                Column("share", "fleet.col.share", "percent")),
    "coal_equipment": (*_INSTITUTION, Column("equipment_no", "fleet.web.col.equipment_no", "code"),
                       Column("kind_label", "fleet.web.col.kind"),
                       Column("capacity", "fleet.web.col.capacity", "number"),
                       Column("capacity_unit", "fleet.web.col.capacity_unit"),
                       Column("status_label", "fleet.web.col.status"),
                       Column("removed_on", "fleet.web.col.removed_on", "code")),
    "not_cleared": (*(Column(c.key if c.key != "institution_name" else "name", c.label, c.kind)
                      for c in _INSTITUTION),
                    Column("region_code", "fleet.web.col.region", "code"),
                    Column("coal_t", "fleet.col.coal_t", "number"),
                    Column("heating_coal_t", "fleet.col.heating_coal_t", "number"),
                    Column("equipment", "fleet.col.equipment", "int"),
                    Column("reason", "fleet.web.col.reason")),
    "by_fuel": (Column("label", "fleet.web.col.fuel"), Column("nev", "fleet.web.col.nev", "bool"),
                Column("count", "fleet.web.col.fleet", "int"),
                Column("bought", "fleet.web.col.bought", "int")),
}


def _lang(request: Request) -> str:
    return "en" if lang_of(request) == "en" else "zh-CN"


def _label(en: bool, zh_name: str, en_name: str) -> str:
    return en_name if en else zh_name


def _rows(kind: str, rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The stored rows with the labels of fuel, kind and status in ``lang``."""
    en = lang == "en"
    fuels = {k.code: (k.name_zh, k.name_en, k.nev) for k in core_fleet.fuel_kinds()}
    kinds = {k.code: (k.name_zh, k.name_en) for k in core_fleet.equipment_kinds()}
    out = []
    for r in rows:
        row = {k: v for k, v in r.items() if k != "institution_id"}
        if kind == "vehicles":
            name = fuels.get(r["fuel"], (r["fuel"], r["fuel"], False))
            row.update(fuel_label=_label(en, name[0], name[1]), nev=name[2])
        if kind == "coal_equipment":
            name2 = kinds.get(r["kind"], (r["kind"], r["kind"]))
            row["kind_label"] = _label(en, *name2)
        if kind == "parking":
            row["share"] = core_fleet.share(r["charging_spaces"], r["parking_spaces"])
        if "status" in r:
            row["status_label"] = text(lang, f"fleet.web.status.{r['status']}")
        out.append(row)
    return out


def _reason(row: Mapping[str, Any], lang: str) -> str:
    parts = [text(lang, f"fleet.web.reason.{key}") for key, held in (
        ("coal", row["coal_t"] > 0), ("heating", row["heating_coal_t"] > 0),
        ("equipment", row["equipment"] > 0)) if held]
    return ("; " if lang == "en" else "；").join(parts)


def fleet_data(engine: Engine, user: User, lang: str, *, region: str = "", year: str = "",
               limit: int = SHOWN) -> dict[str, Any]:
    """The summary and the lists (the page, its twin and the workbook call this)."""
    code = region_for(engine, user, region)
    chosen = int(year) if year else default_year(engine, user.scope, code)
    summary = fleet_summary(engine, user, region_code=code, year=chosen)
    en = lang == "en"
    for f in summary["vehicles"]["by_fuel"]:
        f["label"] = _label(en, f["name_zh"], f["name_en"])
    coal = summary["coal"]
    coal["list"] = [{**{k: v for k, v in r.items() if k != "institution_id"},
                     "reason": _reason(r, lang)} for r in coal["list"]]
    lists = {kind: _rows(kind, list_fleet(engine, user, kind, region_code=code,
                                          limit=limit + 1), lang) for kind in KINDS}
    with engine.connect() as conn:
        tree = RegionTree(region_store.load_regions(conn))
    return {**summary, "region_code": code, "year": chosen,
            "region_name": tree.name(code) if code in tree else None,
            "lists": {k: {"items": v[:limit], "more": len(v) > limit}
                      for k, v in lists.items()}}


@router.get("/fleet")
def fleet_page(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
               year: YearQ = "") -> Response:
    data = fleet_data(engine, user, _lang(request), region=region, year=year)
    params = {"region": region, "year": year}
    return render_page(request, PAGE, {"data": data, "params": params, "columns": COLUMNS,
                                       "shown": SHOWN})


class FuelOut(BaseModel):
    fuel: str
    name_zh: str
    name_en: str
    label: str
    nev: bool
    count: int
    bought: int


class VehiclesOut(BaseModel):
    fleet: int
    fleet_nev: int
    bought: int
    bought_nev: int
    fleet_share: float | None
    purchase_share: float | None
    target: float
    target_source: str
    meets_target: bool | None
    by_fuel: list[FuelOut]


class ChargingOut(BaseModel):
    parking_spaces: int
    charging_spaces: int
    share: float | None
    target: float
    target_region: str | None
    target_source: str
    meets_target: bool | None


class NotClearedOut(BaseModel):
    credit_code: str
    name: str
    region_code: str
    coal_t: float
    heating_coal_t: float
    equipment: int
    reason: str


class CoalOut(BaseModel):
    institutions: int
    not_cleared: int
    cleared: int
    coal_t: float
    heating_coal_t: float
    list: list[NotClearedOut]


class RowsOut(BaseModel):
    items: list[dict[str, Any]]
    more: bool


class FleetOut(BaseModel):
    region_code: str
    region_name: str | None
    year: int
    vehicles: VehiclesOut
    statistics: dict[str, Any]
    charging: ChargingOut
    coal: CoalOut
    lists: dict[str, RowsOut]


@api.get("/fleet", response_model=FleetOut)
def fleet_json(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
               year: YearQ = "") -> dict[str, Any]:
    """The region's fleet by fuel, NEV shares vs the 30 % target, charging-space share vs
    the region's target, the institutions not cleared of coal (with why), and the first
    200 stored rows of each list (``more``: there are others; ``/fleet.xlsx`` has all)."""
    return fleet_data(engine, user, _lang(request), region=region, year=year)


@router.get("/fleet.xlsx")
def fleet_xlsx(request: Request, user: CurrentUser, engine: EngineDep, region: RegionQ = "",
               year: YearQ = "") -> Response:
    lang = workbook_lang(request)
    data = fleet_data(engine, user, lang, region=region, year=year, limit=MAX_ROWS)
    period = str(data["year"])
    sheets = [Sheet(text(lang, f"fleet.web.sheet.{key}"),
                    text(lang, f"fleet.web.sheet.{key}") + f" · {data['region_code']} {period}",
                    COLUMNS[key], rows, notes=notes(engine, user, lang, count=len(rows),
                                                    period=period))
              for key, rows in (("by_fuel", data["vehicles"]["by_fuel"]),
                                ("not_cleared", data["coal"]["list"]),
                                *((k, data["lists"][k]["items"]) for k in KINDS))]
    title = text(lang, "fleet.web.title")
    return xlsx_response(table_xlsx(sheets, lang=lang), f"{title} {period}.xlsx", "fleet.xlsx")


# ---------------------------------------------------------------- import

NEEDS = [requires(Capability.IMPORT_DATA)]


@router.get("/fleet/import", dependencies=NEEDS)
def fleet_import_page(request: Request, user: CurrentUser) -> Response:
    return render_page(request, IMPORT, {"kinds": KINDS, "form": {"kind": "", "dry_run": True}})


@router.get("/fleet/template.csv", dependencies=NEEDS)
def fleet_template(user: CurrentUser, kind: KindQ = "vehicles") -> Response:
    body = "\ufeff" + template_csv(kind)
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''fleet-{kind}-template.csv"})


def _import(engine: Engine, user: User, name: str, content: bytes, kind: str | None,
            dry_run: bool) -> Any:
    return saved_upload(name, content, lambda path: import_fleet(
        engine, user, path, kind=kind, dry_run=dry_run, max_bytes=len(content) + 1))


@router.post("/fleet/import", dependencies=upload_requires(Capability.IMPORT_DATA))
async def fleet_import(request: Request, _size: SizeChecked, user: CurrentUser,
                       engine: EngineDep, settings: SettingsDep) -> Response:
    context: dict[str, Any] = {"kinds": KINDS, "form": {"kind": "", "dry_run": True}}
    status = 200
    try:
        content, name, fields = await read_upload(request, settings)
        kind = fields.get("kind") if fields.get("kind") in KINDS else None
        dry_run = fields.get("dry_run") == "1"
        context["form"] = {"kind": kind or "", "dry_run": dry_run}
        report = await run_in_threadpool(_import, engine, user, name, content, kind, dry_run)
        context["report"] = report.to_dict()
    except ImportRejected as err:
        status = 422
        context["error"] = err.message(domain_lang(lang_of(request)))
        context["issues"] = [i.to_dict() for i in err.issues[:200]]
    except DomainError as err:
        return await run_in_threadpool(form_error, request, IMPORT, context, err)
    return await run_in_threadpool(render_page, request, IMPORT, context, status_code=status)


class FleetImportOut(BaseModel):
    file: str
    kind: str
    rows: int
    stored: int
    dry_run: bool


@api.post("/fleet/import", response_model=FleetImportOut,
          dependencies=upload_requires(Capability.IMPORT_DATA), openapi_extra=UPLOAD_BODY)
async def fleet_import_json(request: Request, _size: SizeChecked, user: CurrentUser,
                            engine: EngineDep, settings: SettingsDep, dry_run: bool = False,
                            kind: Annotated[str, Query(
                                pattern=r"^(vehicles|parking|coal_equipment)?$")] = "",
                            ) -> dict[str, Any]:
    """Import a vehicle, parking or coal-equipment file (.xlsx/.csv; the kind told from
    its headers unless given; all or nothing; 422 with every issue by row and column)."""
    content, name, _fields = await read_upload(request, settings)
    report = await run_in_threadpool(_import, engine, user, name, content, kind or None,
                                     dry_run)
    return dict(report.to_dict())


__all__ = ["COLUMNS", "fleet_data"]
