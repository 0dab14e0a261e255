"""The weather page (issue 13 §3, the temperatures M&V reads): ``/weather`` lists the
stations the platform holds — regions served, first and last day, days stored, the
months with their share of days stored, mean temperature, HDD18 / CDD26 and where
the days came from — with the import form for those who may import
(capability ``import_weather``: a station's daily-mean or hourly file, °C or °F,
dry run first, all or nothing; the same service as ``jieneng import weather``).

Its JSON twin ``/api/v1/weather`` (the same figures), the workbook ``/weather.xlsx``
(stations and their months, units in the headers) and the upload's twin
``POST /api/v1/weather/import``. Weather is public reference data: every signed-in
role reads it (:mod:`jieneng.services.weather`); the service decides who writes
which station.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from jieneng.core.caller import User
from jieneng.core.exceptions import DomainError, ImportRejected
from jieneng.core.listing import Column
from jieneng.core.messages import text
from jieneng.core.permissions import Capability
from jieneng.reports.tables import Sheet, table_xlsx
from jieneng.services.weather import WeatherImport, import_weather, station_months
from jieneng.settings import Settings
from jieneng.web.common import page as render_page
from jieneng.web.deps import CurrentUser, EngineDep, SettingsDep
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
api = APIRouter(prefix="/api/v1", tags=["weather"], responses=API_ERRORS)
TEMPLATE = "pages/weather.html"
UNITS = ("", "C", "F")
StationQ = Annotated[str, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]{0,32}$",
                                description="气象站代码 (empty: every station)")]

STATION_COLUMNS = (
    Column("code", "weather.col.code", "code"), Column("name", "weather.col.name"),
    Column("regions", "weather.col.regions"), Column("first_day", "weather.col.first_day"),
    Column("last_day", "weather.col.last_day"), Column("days", "weather.col.days", "int"),
    Column("share", "weather.web.col.share", "percent"),
    Column("months_stored", "weather.web.col.months_stored", "int"),
    Column("months_complete", "weather.web.col.months_complete", "int"),
    Column("sources", "weather.web.col.sources"))
MONTH_COLUMNS = (
    Column("station", "weather.col.code", "code"), Column("month", "weather.web.col.month"),
    Column("days", "weather.col.days", "int"),
    Column("days_in_month", "weather.web.col.days_in_month", "int"),
    Column("share", "weather.web.col.share", "percent"),
    Column("mean_c", "weather.web.col.mean", "number", 1, unit="°C"),
    Column("hdd18", "weather.web.col.hdd18", "number", 1, unit="°C·d"),
    Column("cdd26", "weather.web.col.cdd26", "number", 1, unit="°C·d"),
    Column("hour_coverage", "weather.web.col.hour_coverage", "percent"),
    Column("sources", "weather.web.col.sources"))


def _lang(request: Request) -> str:
    return domain_lang(lang_of(request))


def _sources(counts: dict[str, int], lang: str) -> str:
    """``日平均值文件 30、逐时文件 1`` — days per source, in the page's language."""
    sep = ", " if lang == "en" else "、"
    return sep.join(f"{text(lang, f'weather.web.source.{k}')} {v}"
                    for k, v in sorted(counts.items()))


def weather_data(engine: Engine, user: User, lang: str, station: str = "") -> dict[str, Any]:
    """Everything the page shows (the page, its twin and the workbook call this)."""
    stations = station_months(engine, station or None)
    for s in stations:
        s["sources_label"] = _sources(s["sources"], lang)
        for m in s["months"]:
            m["sources_label"] = _sources(m["sources"], lang)
    return {"stations": stations, "station": station or None,
            "can_import": user.can(Capability.IMPORT_WEATHER)}


def _context(engine: Engine, user: User, lang: str, station: str = "",
             form: dict[str, str] | None = None) -> dict[str, Any]:
    return {"data": weather_data(engine, user, lang, station), "units": UNITS,
            "station_columns": STATION_COLUMNS, "month_columns": MONTH_COLUMNS[1:],
            "export_href": "/weather.xlsx" + (f"?station={station}" if station else ""),
            "form": form or {}, "errors": {}, "report": None, "issues": None}


@router.get("/weather")
def weather_page(request: Request, user: CurrentUser, engine: EngineDep,
                 station: StationQ = "") -> Response:
    return render_page(request, TEMPLATE, _context(engine, user, _lang(request), station))


@router.get("/weather.xlsx")
def weather_xlsx(request: Request, user: CurrentUser, engine: EngineDep,
                 station: StationQ = "") -> Response:
    lang = workbook_lang(request)
    data = weather_data(engine, user, _lang(request), station)
    stations = [{**s, "regions": "、".join(s["region_names"]), "sources": s["sources_label"]}
                for s in data["stations"]]
    months = [{**m, "station": s["code"], "sources": m["sources_label"]}
              for s in data["stations"] for m in s["months"]]
    lines = notes(engine, user, lang, count=len(stations),
                  filters=(("weather.col.code", station),))[1:]  # public data: no scope
    book = table_xlsx([
        Sheet(text(lang, "weather.web.sheet_stations"), text(lang, "weather.web.title"),
              STATION_COLUMNS, stations, notes=lines),
        Sheet(text(lang, "weather.web.sheet_months"), text(lang, "weather.web.months_title"),
              MONTH_COLUMNS, months,
              notes=[*lines, text(lang, "weather.web.degree_days_note")])], lang)
    title = text(lang, "weather.web.title")
    return xlsx_response(book, f"{title}.xlsx", "weather.xlsx")


def _import(engine: Engine, user: User, settings: Settings, name: str, content: bytes,
            fields: dict[str, str]) -> WeatherImport:
    unit = (fields.get("unit") or "").strip() or None
    return saved_upload(name, content, lambda path: import_weather(
        engine, user, path, station=(fields.get("station") or "").strip(), unit=unit,
        dry_run=fields.get("dry_run") == "1", max_bytes=settings.max_upload_bytes))


@router.post("/weather/import", dependencies=upload_requires(Capability.IMPORT_WEATHER))
async def weather_import(request: Request, _size: SizeChecked, user: CurrentUser,
                         engine: EngineDep, settings: SettingsDep) -> Response:
    """The import form: the page again with what was stored (or would be, for a dry
    run), or with every issue of a refused file; the choices typed are kept."""
    lang = _lang(request)
    fields: dict[str, str] = {}
    status = 200
    report: dict[str, Any] | None = None
    issues: list[dict[str, Any]] | None = None
    try:
        content, name, fields = await read_upload(request, settings)
        done = await run_in_threadpool(_import, engine, user, settings, name, content, fields)
        report = done.to_dict()
        report["message"] = text(lang, "weather.import_checked" if done.dry_run
                                 else "weather.import_done",
                                 **{k: v for k, v in report.items() if k != "warnings"})
    except ImportRejected as err:
        status = 422
        issues = [{**i.to_dict(), "message": i.message_en if lang == "en" else i.message_zh}
                  for i in err.issues[:200]]
        context = await run_in_threadpool(_context, engine, user, lang, "", fields)
        context["error"] = err.message(lang)
        context["issues"] = issues
        return await run_in_threadpool(render_page, request, TEMPLATE, context,
                                       status_code=status)
    except DomainError as err:
        context = await run_in_threadpool(_context, engine, user, lang, "", fields)
        return await run_in_threadpool(form_error, request, TEMPLATE, context, err,
                                       at="import")
    form = {k: v for k, v in fields.items() if k != "csrf_token"}
    if report and not report["dry_run"]:
        form.pop("dry_run", None)
    context = await run_in_threadpool(_context, engine, user, lang, "", form)
    context["report"] = report
    return await run_in_threadpool(render_page, request, TEMPLATE, context,
                                   status_code=status)


# ---------------------------------------------------------------- JSON
class MonthOut(BaseModel):
    month: str
    days: int
    days_in_month: int
    share: float
    mean_c: float | None
    hdd18: float | None
    cdd26: float | None
    hour_coverage: float | None
    sources: dict[str, int]


class StationOut(BaseModel):
    code: str
    name: str
    latitude: float | None
    longitude: float | None
    regions: list[str]
    #: the served regions' names, in the order of ``regions``
    region_names: list[str]
    days: int
    first_day: str | None
    last_day: str | None
    share: float | None
    months_stored: int
    months_complete: int
    sources: dict[str, int]
    months: list[MonthOut]


class WeatherOut(BaseModel):
    stations: list[StationOut]
    station: str | None
    can_import: bool


class WeatherImportOut(BaseModel):
    file: str
    station: str
    shape: str
    unit: str
    rows: int
    days: int
    new: int
    replaced: int
    unchanged: int
    dry_run: bool
    first_day: str | None
    last_day: str | None
    batch_id: int | None
    warnings: list[dict[str, Any]]


@api.get("/weather", response_model=WeatherOut)
def weather_json(request: Request, user: CurrentUser, engine: EngineDep,
                 station: StationQ = "") -> dict[str, Any]:
    """The weather stations and their months: days stored, share of the month, mean
    °C, HDD18 / CDD26 [°C·d], hour coverage, days per source (404 for an unknown
    ``station``)."""
    return weather_data(engine, user, _lang(request), station)


@api.post("/weather/import", response_model=WeatherImportOut,
          dependencies=upload_requires(Capability.IMPORT_WEATHER), openapi_extra=UPLOAD_BODY)
async def weather_import_json(request: Request, _size: SizeChecked, user: CurrentUser,
                              engine: EngineDep, settings: SettingsDep,
                              station: Annotated[str, Query(max_length=32)],
                              unit: Annotated[str, Query(max_length=1,
                                                         pattern=r"^[CF]?$")] = "",
                              dry_run: bool = False) -> dict[str, Any]:
    """Import a station's temperatures (.xlsx/.csv, daily means or hourly values; all
    or nothing: 422 with every issue; 404 for an unknown station; 403 for a station
    outside the caller's regions)."""
    content, name, _fields = await read_upload(request, settings)
    fields = {"station": station, "unit": unit, "dry_run": "1" if dry_run else ""}
    done = await run_in_threadpool(_import, engine, user, settings, name, content, fields)
    return done.to_dict()
