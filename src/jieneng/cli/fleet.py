"""``jieneng fleet …`` — vehicles, charging spaces and coal (issue 14 §5): ``import FILE
[--kind] [--dry-run]``, ``template KIND FILE``, ``list KIND``, ``summary --region --year``,
``charging-target REGION SHARE`` (:mod:`jieneng.services.fleet`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import (
    DryRun,
    FileArg,
    Fmt,
    FormatOpt,
    engine,
    file_import,
    handles_errors,
    state,
)

fleet_app = typer.Typer(help="公务用车、充电车位与燃煤 Vehicles, charging spaces and coal.",
                        no_args_is_help=True)


class Kind(StrEnum):
    vehicles = "vehicles"
    parking = "parking"
    coal_equipment = "coal_equipment"


KindOpt = Annotated[Kind | None, typer.Option(
    "--kind", help="文件类型 kind of file (默认按表头识别 from the headers)")]
KindArg = Annotated[Kind, typer.Argument(help="vehicles | parking | coal_equipment")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="行政区划代码 region code")]
YearOpt = Annotated[int, typer.Option("--year", help="年度 year")]


@fleet_app.command("import")
@handles_errors
def import_file(file: FileArg, kind: KindOpt = None, dry_run: DryRun = False,
                fmt: FormatOpt = Fmt.table) -> None:
    """导入 Import vehicles, parking spaces or coal-fired equipment (.xlsx/.csv), all or
    nothing; a row replaces the stored row of the same institution and number (or year)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.fleet import import_fleet

    report = file_import(lambda: import_fleet(
        engine(), command_line_user(), Path(file), kind=kind.value if kind else None,
        dry_run=dry_run, max_bytes=state.settings.max_upload_bytes), fmt)
    if report is None:
        return
    key = "fleet.import_checked" if dry_run else "fleet.import_done"
    output.console.print(output.say(key, file=report.file, rows=report.stored,
                                    kind=output.say(f"fleet.kind.{report.kind}")))


@fleet_app.command("template")
@handles_errors
def template(kind: KindArg, out: Annotated[Path, typer.Argument(help="输出文件 .csv")],
             ) -> None:
    """模板 Write a blank file of a kind (UTF-8 CSV with BOM: headers and one example)."""
    from jieneng.ingest.fleet import template_csv

    out.write_bytes(template_csv(kind.value).encode("utf-8-sig"))
    output.console.print(str(out))


@fleet_app.command("list")
@handles_errors
def list_rows(kind: KindArg, region: RegionOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """列表 The stored vehicles, parking figures or coal-fired equipment in scope."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.fleet import list_fleet

    rows = list_fleet(engine(), command_line_user(), kind.value, region_code=region)
    if fmt is Fmt.json:
        output.print_json(rows)
        return
    if not rows:
        output.console.print(output.say("fleet.none"))
        return
    keys = [k for k in rows[0] if k not in {"id", "institution_id", "institution_name"}]
    output.print_table(output.say(f"fleet.kind.{kind.value}"), keys,
                       [[_cell(r[k]) for k in keys] for r in rows])


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


@fleet_app.command("summary")
@handles_errors
def summary(year: YearOpt, region: RegionOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """汇总 NEV share of the fleet and of the year's purchases, charging-space share, and
    the institutions not cleared of coal, against the targets."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.fleet import fleet_summary

    found = fleet_summary(engine(), command_line_user(), region_code=region, year=year)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    v, c, coal = found["vehicles"], found["charging"], found["coal"]
    rows = [
        [output.say("fleet.row.fleet_share"), f"{v['fleet_nev']} / {v['fleet']}",
         _pct(v["fleet_share"]), "", ""],
        [output.say("fleet.row.statistics_share"),
         f"{found['statistics']['nev']} / {found['statistics']['total']}",
         _pct(found["statistics"]["nev_share"]), "", ""],
        [output.say("fleet.row.purchase_share"), f"{v['bought_nev']} / {v['bought']}",
         _pct(v["purchase_share"]), f"≥ {_pct(v['target'])}", _met(v["meets_target"])],
        [output.say("fleet.row.charging_share"),
         f"{c['charging_spaces']} / {c['parking_spaces']}", _pct(c["share"]),
         f"≥ {_pct(c['target'])}", _met(c["meets_target"])],
        [output.say("fleet.row.coal_cleared"), f"{coal['cleared']} / {coal['institutions']}",
         "", "", ""],
    ]
    title = output.say("fleet.summary_title", region=region or "—", year=year)
    output.print_table(title, [output.say(f"fleet.col.{k}") for k in
                               ("item", "count", "share", "target", "met")], rows)
    if coal["list"]:
        output.print_table(output.say("fleet.coal_title"),
                           [output.say(f"fleet.col.{k}") for k in
                            ("credit_code", "name", "coal_t", "heating_coal_t",
                             "equipment")],
                           [[r["credit_code"], r["name"], output.fmt(r["coal_t"], 3),
                             output.fmt(r["heating_coal_t"], 3), r["equipment"]]
                            for r in coal["list"]])


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _met(value: bool | None) -> str:
    return "—" if value is None else output.say("fleet.met" if value else "fleet.not_met")


@fleet_app.command("charging-target")
@handles_errors
def charging_target(region: Annotated[str, typer.Argument(help="行政区划代码 region")],
                    share: Annotated[float, typer.Argument(help="占比 share 0–1, e.g. 0.1")],
                    ) -> None:
    """充电车位目标 Set a region's charging-space target (inherited below it)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.fleet import set_charging_target

    done = set_charging_target(engine(), command_line_user(), region, share)
    output.console.print(output.say("fleet.target_set", region=done["region_code"],
                                    share=_pct(done["value"])))
