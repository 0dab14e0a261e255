"""``/datacentre/summary?region=&year=&month=``: the review and summary view of NY202 /
NY203 — every room inside the caller's scope with its PUE, the region's weighted PUE,
the rooms above their target (listed and warned), the heating summary; JSON twin
``GET /api/v1/datacentre/summary``, Excel ``/datacentre/summary.xlsx`` (the house
builder). ``target_new`` / ``target_existing`` set other PUE targets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Engine
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.messages import text
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.forms_ny import summaries
from jieneng.web.common import page
from jieneng.web.deps import CurrentUser, EngineDep
from jieneng.web.errors import API_ERRORS, lang_of
from jieneng.web.exporting import notes, workbook_lang, xlsx_response
from jieneng.web.i18n import domain_lang

from .common import (
    HEATING_COLUMNS,
    SUMMARY,
    SUMMARY_ROOM_COLUMNS,
    MonthQ,
    RegionQ,
    TargetQ,
    YearQ,
    labelled,
    period_of,
    targets_of,
)
from .schemas import SummaryOut

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["datacentre"], responses=API_ERRORS)


def _summary(request: Request, engine: Engine, user: User, region: str, year: int | None,
             month: int | None, target_new: float | None,
             target_existing: float | None) -> dict[str, Any]:
    if year is None and month is None:  # open on the latest period reported
        year, month = (summaries.latest_period(engine, user, region_code=region or None)
                       or (None, None))
    y, m = period_of(year, month)
    data = summaries.summary(engine, user, region_code=region or None, year=y, month=m,
                             targets=targets_of(target_new, target_existing))
    lang = domain_lang(lang_of(request))
    data["rooms"] = labelled(lang, data["rooms"])
    data["above"] = labelled(lang, data["above"])
    return data


@router.get("/datacentre/summary")
def datacentre_summary_page(request: Request, user: CurrentUser, engine: EngineDep,
                            region: RegionQ = "", year: YearQ = None, month: MonthQ = None,
                            target_new: TargetQ = None,
                            target_existing: TargetQ = None) -> Response:
    data = _summary(request, engine, user, region, year, month, target_new, target_existing)
    query = f"region={region}&year={data['period']['year']}&month={data['period']['month']}"
    return page(request, SUMMARY, {"data": data, "region": region,
                                   "columns": SUMMARY_ROOM_COLUMNS,
                                   "heating_columns": HEATING_COLUMNS,
                                   "export_href": f"/datacentre/summary.xlsx?{query}"})


@router.get("/datacentre/summary.xlsx")
def datacentre_summary_xlsx(request: Request, user: CurrentUser, engine: EngineDep,
                            region: RegionQ = "", year: YearQ = None, month: MonthQ = None,
                            target_new: TargetQ = None,
                            target_existing: TargetQ = None) -> Response:
    data = _summary(request, engine, user, region, year, month, target_new, target_existing)
    lang = workbook_lang(request)
    title = text(lang, "forms_ny.summary.title")
    p = data["period"]
    period = f"{p['year']}-{p['month']:02d}"
    totals = data["totals"]
    pue = "—" if totals["pue"] is None else f"{totals['pue']:.2f}"
    basis = f"{text(lang, 'forms_ny.weighted_pue')} {pue}"
    rooms = Sheet(text(lang, "forms_ny.rooms"), title, SUMMARY_ROOM_COLUMNS, data["rooms"],
                  notes=notes(engine, user, lang, count=len(data["rooms"]), period=period,
                              basis=basis, filters=(("forms_ny.region", region),)))
    above = Sheet(text(lang, "forms_ny.above_list"), text(lang, "forms_ny.above_list"),
                  SUMMARY_ROOM_COLUMNS, data["above"])
    heating = Sheet(text(lang, "forms_ny.heating_summary"),
                    text(lang, "forms_ny.heating_summary"), HEATING_COLUMNS,
                    data["heating_rows"])
    return xlsx_response(table_xlsx([rooms, above, heating], lang), f"{title}-{period}.xlsx",
                         "datacentre-summary.xlsx")


@api.get("/datacentre/summary", response_model=SummaryOut)
def datacentre_summary_json(request: Request, user: CurrentUser, engine: EngineDep,
                            region: RegionQ = "", year: YearQ = None, month: MonthQ = None,
                            target_new: TargetQ = None,
                            target_existing: TargetQ = None) -> dict[str, Any]:
    """Rooms with PUE, the weighted region PUE, rooms above target, heating summary."""
    return _summary(request, engine, user, region, year, month, target_new, target_existing)
