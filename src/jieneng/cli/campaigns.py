"""``jieneng campaigns …`` — evaluation schemes as versioned data (issue 14 §2):
``schemes``, ``scheme show CODE``, ``scheme load FILE [--dry-run]``, ``scheme install``,
``scheme template FILE`` (:mod:`jieneng.services.campaigns.schemes`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.campaign_checks import checks_app
from jieneng.cli.campaign_rounds import round_app
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

campaigns_app = typer.Typer(help="创建活动与评价 Campaigns and evaluations.",
                            no_args_is_help=True)
scheme_app = typer.Typer(help="评价方案 One evaluation scheme.", no_args_is_help=True)
campaigns_app.add_typer(scheme_app, name="scheme")
campaigns_app.add_typer(round_app, name="round")
campaigns_app.add_typer(checks_app, name="checks")

VersionOpt = Annotated[int | None, typer.Option("--version", help="版本 version (默认最新)")]
LoadRegionOpt = Annotated[str | None, typer.Option(
    "--region", help="本地版本适用的行政区划代码 region of a local variant")]


@campaigns_app.command("schemes")
@handles_errors
def schemes(fmt: FormatOpt = Fmt.table) -> None:
    """方案列表 Every stored scheme version, and the shipped schemes not stored yet."""
    from jieneng.services.campaigns.schemes import list_schemes

    found = list_schemes(engine())
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("code", "name", "version", "origin", "region", "total", "status")
    output.print_table(output.say("campaigns.schemes_title"),
                       [output.say(f"campaigns.col.{k}") for k in keys],
                       [[s["code"], s["name_zh"],
                         s["version"] if s["stored"] else output.say("campaigns.not_stored"),
                         s["origin"], s["region_code"] or "", output.fmt(s["total"], 1),
                         s["status"]] for s in found])


@scheme_app.command("show")
@handles_errors
def show(code: Annotated[str, typer.Argument(help="方案编号 scheme code")],
         version: VersionOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """方案内容 A scheme's tree: items, points, rules, bands, pass rules and grades."""
    from jieneng.services.campaigns.schemes import get_scheme

    found = get_scheme(engine(), code, version)
    if fmt is Fmt.json:
        output.print_json(found)
        return
    keys = ("code", "name", "points", "rule", "measure", "status")
    rows = []
    for n in found["nodes"]:
        bands = " ".join(f"{_bound(b['lower'])}–{_bound(b['upper'])}→{b['points']:g}"
                         for b in n["bands"])
        rows.append([("  " if n["parent"] else "") + n["code"], ("★" if n["veto"] else "")
                     + n["name_zh"], output.fmt(n["points"], 1),
                     n["rule"] or "—", " ".join(x for x in (n["measure"], n["compare"],
                                                           bands) if x), n["status"]])
    title = f"{found['code']} {found['name_zh']} ({output.fmt(found['total'], 1)})"
    output.print_table(title, [output.say(f"campaigns.col.{k}") for k in keys], rows)
    for rule in found["pass_rules"]:
        output.console.print(f"pass: {rule['kind']} {rule['target'] or '*'} "
                             f"{'' if rule['value'] is None else rule['value']}")
    for grade in found["grades"]:
        output.console.print(f"grade: {grade['code']} {grade['name_zh']} ≥ {grade['lower']}")


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@scheme_app.command("load")
@handles_errors
def load(file: FileArg, region: LoadRegionOpt = None, dry_run: DryRun = False,
         fmt: FormatOpt = Fmt.table) -> None:
    """加载方案 Load a scheme spreadsheet (.xlsx/.csv) as the next version of its code,
    all or nothing; ``--region`` makes it a local variant."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.schemes import load_scheme

    report = file_import(lambda: load_scheme(
        engine(), command_line_user(), Path(file), region_code=region, dry_run=dry_run,
        max_bytes=state.settings.max_upload_bytes), fmt)
    if report is None:
        return
    key = ("campaigns.scheme_checked" if dry_run else "campaigns.scheme_unchanged"
           if report.unchanged else "campaigns.scheme_loaded")
    output.console.print(output.say(key, code=report.code, version=report.version,
                                    items=report.items, total=output.fmt(report.total, 1)))


@scheme_app.command("install")
@handles_errors
def install(fmt: FormatOpt = Fmt.table) -> None:
    """内置方案入库 Store the shipped schemes (a new version only where one changed)."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.campaigns.schemes import install_shipped

    counts = install_shipped(engine(), command_line_user())
    if fmt is Fmt.json:
        output.print_json(counts)
        return
    output.console.print(output.say("campaigns.installed", **counts))


@scheme_app.command("template")
@handles_errors
def template(out: Annotated[Path, typer.Argument(help="输出文件 .csv")]) -> None:
    """模板 Write the scheme file's template (UTF-8 CSV: a small local scheme)."""
    from jieneng.ingest.campaign_schemes import template_csv

    out.write_bytes(template_csv())
    output.console.print(str(out))
