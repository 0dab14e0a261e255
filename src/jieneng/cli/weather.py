"""Weather: ``jieneng import weather FILE --station CODE [--unit C|F]`` and
``jieneng weather stations | add-station`` (:mod:`jieneng.services.weather`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import DryRun, FileArg, Fmt, FormatOpt, engine, handles_errors, state

weather_app = typer.Typer(help="气象站与气温 Weather stations and temperatures.",
                          no_args_is_help=True)

StationOpt = Annotated[str, typer.Option("--station", help="气象站代码 station code")]
UnitOpt = Annotated[str | None, typer.Option(
    "--unit", help="气温单位 C|F (默认取列名中的单位 default: the header's)")]


def register(parent: typer.Typer, root: typer.Typer | None = None) -> None:
    """Add ``weather`` to the import commands ``parent`` and, given the full app
    ``root``, the ``weather`` command group (called by :mod:`jieneng.cli.main`)."""
    parent.command("weather")(import_weather)
    if root is not None:
        root.add_typer(weather_app, name="weather")


@handles_errors
def import_weather(file: FileArg, station: StationOpt, unit: UnitOpt = None,
                   dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """气温 A station's temperatures: daily means (日期, 气温) or hourly values (时间, 气温),
    °C or °F, all or nothing; a day imported again is replaced."""
    from jieneng.core.caller import command_line_user
    from jieneng.core.exceptions import ImportRejected
    from jieneng.services.weather import import_weather as run

    try:
        report = run(engine(), command_line_user(), Path(file), station=station, unit=unit,
                     dry_run=dry_run, max_bytes=state.settings.max_upload_bytes)
    except ImportRejected as err:
        output.print_error(err)
        raise typer.Exit(1) from None
    if fmt is Fmt.json:
        output.print_json(report.to_dict())
        return
    key = "weather.import_checked" if dry_run else "weather.import_done"
    output.console.print(output.say(key, **{k: v for k, v in report.to_dict().items()
                                            if k != "warnings"}))


@weather_app.command("stations")
@handles_errors
def stations(fmt: FormatOpt = Fmt.table) -> None:
    """气象站列表 The weather stations: regions served, days stored, first and last day."""
    from jieneng.services.weather import list_stations

    found = list_stations(engine())
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("code", "name", "regions", "days", "first_day", "last_day")
    output.print_table(output.say("weather.stations_title"),
                       [output.say(f"weather.col.{k}") for k in keys],
                       [[s["code"], s["name"], " ".join(s["regions"]), s["days"],
                         s["first_day"] or "", s["last_day"] or ""] for s in found])


@weather_app.command("add-station")
@handles_errors
def add_station(
    code: Annotated[str, typer.Argument(help="气象站代码 station code (e.g. 57957)")],
    name: Annotated[str, typer.Option("--name", help="名称 name")],
    region: Annotated[list[str] | None, typer.Option(
        "--region", help="服务的行政区划代码（可多次）region served (repeatable)")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="纬度 latitude")] = None,
    lon: Annotated[float | None, typer.Option("--lon", help="经度 longitude")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """登记气象站 Register a weather station (or update it) and the regions it serves;
    a region without its own station takes its nearest ancestor's."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.weather import add_station as run

    saved = run(engine(), command_line_user(), code=code, name=name,
                regions_served=region or (), latitude=lat, longitude=lon)
    if fmt is Fmt.json:
        output.print_json(saved)
        return
    output.console.print(output.say("weather.station_saved", code=saved["code"],
                                    name=saved["name"], regions=" ".join(saved["regions"])
                                    or "—"))
