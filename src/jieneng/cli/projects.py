"""``jieneng projects …`` — energy-saving projects: bulk import, list, lifecycle moves."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import (
    DryRun,
    FileArg,
    Fmt,
    FormatOpt,
    day_or_none,
    engine,
    file_import,
    handles_errors,
    state,
)

projects_app = typer.Typer(help="节能项目 / energy-saving projects.", no_args_is_help=True)

RegionOpt = Annotated[str | None, typer.Option("--region", help="行政区划代码 region code")]
YearOpt = Annotated[int | None, typer.Option("--year", help="年度 year")]


@projects_app.command("import")
@handles_errors
def projects_import(file: FileArg, dry_run: DryRun = False,
                    fmt: FormatOpt = Fmt.table) -> None:
    """批量登记 Register projects from a .xlsx/.csv file (all or nothing)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.projects.imports import import_projects

    report = file_import(lambda: import_projects(
        engine(), command_line_user(), file, dry_run=dry_run,
        max_bytes=state.settings.max_upload_bytes), fmt)
    if report is None:
        return
    key = "projects.import_checked" if dry_run else "projects.import_done"
    output.console.print(output.say(key, file=report.file, projects=report.projects))


@projects_app.command("template")
@handles_errors
def projects_template(out: Annotated[Path, typer.Argument(help="输出文件 .csv")]) -> None:
    """模板 Write the projects file's template (UTF-8 CSV with two example rows)."""
    from jieneng.ingest.projects import template_csv

    out.write_bytes(template_csv())
    output.console.print(str(out))


@projects_app.command("list")
@handles_errors
def projects_list(
    region: RegionOpt = None, year: YearOpt = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--type", help="项目类型 type (code or name; repeatable)")] = None,
    status: Annotated[list[str] | None, typer.Option(
        "--state", help="状态 state (code or name; repeatable)")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """项目清单 The projects in scope, filtered by region, year, type and state."""
    from jieneng.core.caller import command_line_user
    from jieneng.core.projects.lifecycle import parse_state
    from jieneng.core.projects.types import parse_type
    from jieneng.services.projects.registry import list_projects

    found = list_projects(engine(), command_line_user(), region_code=region, year=year,
                          types=[parse_type(k).value for k in kind or []],
                          states=[parse_state(s).value for s in status or []])
    if fmt is Fmt.json:
        output.print_json(found)
        return
    if fmt is Fmt.csv:
        output.print_csv([_flat(p) for p in found])
        return
    output.print_table(output.label("projects.list_title"),
                       [output.label(k) for k in (
                           "projects.col_code", "projects.col_name", "projects.col_type",
                           "projects.col_state", "projects.col_region", "projects.col_year",
                           "projects.col_owners")],
                       [[p["code"], p["name"], p["subtype_zh"] or p["type_zh"], p["state_zh"],
                         p["region_code"], p["year"], _owners(p)] for p in found])


def _owners(p: dict[str, Any]) -> str:
    return "、".join(o["name"] for o in p["owners"])


def _flat(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != "owners"} | {
        "owners": ";".join(o["credit_code"] for o in p["owners"])}


@projects_app.command("move")
@handles_errors
def projects_move(
    project: Annotated[str, typer.Argument(help="项目编号 project code")],
    target: Annotated[str, typer.Argument(help="目标状态 target state (code or name)")],
    reason: Annotated[str | None, typer.Option("--reason", help="原因 reason")] = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="实际日期 the move's past date YYYY-MM-DD (existing projects)")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """状态流转 Move a project along its lifecycle (audited; --at: a dated past move)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.projects.lifecycle import move_project

    done = move_project(engine(), command_line_user(), project, target, reason=reason,
                        at=day_or_none(at))
    if fmt is Fmt.json:
        output.print_json(done)
        return
    output.console.print(output.say("projects.moved", code=done["code"],
                                    source=done["from_zh"], target=done["to_zh"]))


@projects_app.command("declared-on")
@handles_errors
def projects_declared_on(
    project: Annotated[str, typer.Argument(help="项目编号 project code")],
    on: Annotated[str, typer.Argument(help="申报日期 date declared YYYY-MM-DD")],
    fmt: FormatOpt = Fmt.table,
) -> None:
    """申报日期 State when an existing project was declared (before any move; audited)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.projects.lifecycle import date_registration

    done = date_registration(engine(), command_line_user(), project, day_or_none(on) or date.min)
    if fmt is Fmt.json:
        output.print_json(done)
        return
    output.console.print(output.say("projects.declared_on", code=done["code"], at=done["at"]))


@projects_app.command("generation")
@handles_errors
def projects_generation(
    project: Annotated[str, typer.Argument(help="项目编号 project code")],
    month: Annotated[str | None, typer.Option(
        "--month", help="报送月份 report the month YYYY-MM")] = None,
    kwh: Annotated[float | None, typer.Option("--kwh", help="发电量 generation kWh")] = None,
    source: Annotated[str | None, typer.Option("--source", help="来源 source")] = None,
    self_consumed: Annotated[float | None, typer.Option(
        "--self-consumed", help="自用电量 kWh")] = None,
    exported: Annotated[float | None, typer.Option("--exported", help="上网电量 kWh")] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """光伏发电量 A PV project's generation per month (by source); --month/--kwh/--source
    report a month's figure."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.projects.generation import project_generation, report_generation

    who = command_line_user()
    if month is not None:
        if kwh is None:
            raise typer.BadParameter("--kwh", param_hint="--kwh")
        report_generation(engine(), who, project, month, kwh, source=source or "",
                          self_consumed_kwh=self_consumed, exported_kwh=exported)
    found = project_generation(engine(), who, project)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    names = ("generation_kwh", "self_consumed_kwh", "exported_kwh")
    if fmt is Fmt.csv:
        output.print_csv(found["months"])
        return
    output.print_table(
        output.label("projects.generation_title", code=found["project"]),
        [output.label(k) for k in ("projects.col_month", "projects.col_generation",
                                   "projects.col_self_consumed", "projects.col_exported",
                                   "projects.col_source")],
        [[m["label"], *(output.fmt(m[k]) for k in names), m["source"]]
         for m in found["months"]]
        + [[str(y["year"]), *(output.fmt(y[k]) for k in names), ""] for y in found["years"]])


@projects_app.command("counts")
@handles_errors
def projects_counts(region: RegionOpt = None, year: YearOpt = None,
                    fmt: FormatOpt = Fmt.table) -> None:
    """项目统计 What the notices count: area, PV kWp, heat pumps, EPC/托管, by type/state."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.projects.counts import region_counts

    found = region_counts(engine(), command_line_user(), region_code=region, year=year)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    reg, run = found["registered"], found["in_operation"]
    keys = [k for k in reg if k != "projects"]
    rows = [["projects", reg["projects"], run["projects"]]] + [
        [k, output.fmt(reg[k]), output.fmt(run[k])] for k in keys]
    if fmt is Fmt.csv:
        output.print_csv([{"figure": r[0], "registered": reg[r[0]],
                           "in_operation": run[r[0]]} for r in rows])
        return
    output.print_table(
        output.label("projects.counts_title", region=found["region_code"] or "",
                     year=found["year"] or ""),
        [output.label(k) for k in ("projects.col_figure", "projects.col_registered",
                                   "projects.col_in_operation")],
        rows)
