"""``jieneng assessments …`` — performance assessment (绩效考核, issue 14 §4):
``sheets``, ``sheet CODE``, ``load FILE [--dry-run]``, ``open CODE --region --year``,
``compute RUN``, ``score RUN SUBJECT ITEM SCORE [--note]``, ``confirm RUN``,
``show RUN [--format json]``, ``export RUN FILE`` (.xlsx or .docx)
(:mod:`jieneng.services.assessments`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import DryRun, FileArg, Fmt, FormatOpt, engine, handles_errors

assessments_app = typer.Typer(help="绩效考核 Performance assessment.", no_args_is_help=True)

RunArg = Annotated[int, typer.Argument(help="考核编号 run id")]


def _user() -> Any:
    from jieneng.core.caller import command_line_user

    return command_line_user()


@assessments_app.command("sheets")
@handles_errors
def sheets(fmt: FormatOpt = Fmt.table) -> None:
    """考核表 Every stored sheet version, and the shipped sheets not stored yet."""
    from jieneng.services.assessments.sheets import list_sheets

    found = list_sheets(engine())
    if fmt is Fmt.json:
        output.print_json(found)
        return
    output.print_table(output.say("assessments.web.sheets"),
                       [output.say(f"assessments.col.{k}") for k in
                        ("code", "name", "version", "subject", "total")],
                       [[s["code"], s["name_zh"], s["version"] or "—", s["subject"],
                         output.fmt(s["total"], 1)] for s in found])


@assessments_app.command("sheet")
@handles_errors
def sheet(code: Annotated[str, typer.Argument(help="考核表编号 sheet code")],
          fmt: FormatOpt = Fmt.json) -> None:
    """考核表内容 A sheet's rows (blocks, items, bands, pass rules, grades) as JSON."""
    from jieneng.services.assessments.sheets import get_sheet

    output.print_json(get_sheet(engine(), code))


@assessments_app.command("load")
@handles_errors
def load(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """加载考核表 Load a sheet (.xlsx/.csv, the scheme format with ``subject``) as the
    next version of its code, all or nothing."""
    from jieneng.core.exceptions import ValidationFailed
    from jieneng.services.assessments.sheets import load_sheet

    try:
        report = load_sheet(engine(), _user(), Path(file), dry_run=dry_run)
    except ValidationFailed as err:
        output.print_error(err)
        raise typer.Exit(1) from None
    if fmt is Fmt.json:
        output.print_json(report)
        return
    output.console.print(output.say("assessments.cli.loaded", **report))


@assessments_app.command("open")
@handles_errors
def open_(code: Annotated[str, typer.Argument(help="考核表编号 sheet code")],
          region: Annotated[str, typer.Option("--region", help="考核地区 region code")],
          year: Annotated[int, typer.Option("--year", help="年度 year")],
          version: Annotated[int | None, typer.Option("--version")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """开启考核 Open (or find) the run of a sheet for a region and year, and compute it."""
    from jieneng.services.assessments.runs import open_run

    got = open_run(engine(), _user(), code=code, region_code=region, year=year,
                   version=version)
    if fmt is Fmt.json:
        output.print_json(got)
        return
    output.console.print(output.say("assessments.cli.opened", **got))


@assessments_app.command("compute")
@handles_errors
def compute(run: RunArg, fmt: FormatOpt = Fmt.table) -> None:
    """重新计算 Recompute an open run's figures from the platform's data."""
    from jieneng.services.assessments.runs import compute_run

    got = compute_run(engine(), _user(), run)
    output.print_json(got) if fmt is Fmt.json else output.console.print(
        output.say("assessments.cli.computed", id=run, subjects=got["subjects"]))


@assessments_app.command("score")
@handles_errors
def score(run: RunArg,
          subject: Annotated[str, typer.Argument(help="考核对象 subject (region code / unit id)")],
          item: Annotated[str, typer.Argument(help="评分项 item code")],
          value: Annotated[str, typer.Argument(help="得分 score (empty: remove)")],
          note: Annotated[str, typer.Option("--note", help="说明 note")] = "") -> None:
    """手工评分 Hand-score a checklist item for one subject."""
    from jieneng.services.assessments.runs import score_hand

    score_hand(engine(), _user(), run, [{"subject_key": subject, "item_code": item,
                                          "score": value, "note": note}])
    output.console.print(output.say("assessments.cli.scored", id=run))


@assessments_app.command("confirm")
@handles_errors
def confirm(run: RunArg) -> None:
    """确认 Confirm a run (no further change)."""
    from jieneng.services.assessments.runs import confirm_run

    confirm_run(engine(), _user(), run)
    output.console.print(output.say("assessments.cli.confirmed", id=run))


@assessments_app.command("show")
@handles_errors
def show(run: RunArg, fmt: FormatOpt = Fmt.table) -> None:
    """考核结果 The ranking: rank, subject, block scores, total, grade."""
    from jieneng.services.assessments.runs import result

    got = result(engine(), _user(), run)
    if fmt is Fmt.json:
        output.print_json(got)
        return
    grades = {g["code"]: g["name_zh"] for g in got["grades"]}
    blocks = got["blocks"]
    output.print_table(
        f"{got['run']['region_name']} {got['run']['year']} {got['sheet']['name_zh']}",
        [output.say("assessments.col.rank"), output.say("assessments.col.subject"),
         *[b["name_zh"] for b in blocks], output.say("assessments.col.total"),
         output.say("assessments.col.grade")],
        [[r["rank"], r["name"], *[output.fmt(r["blocks"][b["code"]], 1) for b in blocks],
          output.fmt(r["total"], 1), ("★ " if r["vetoed"] else "") + grades.get(r["grade"], "")]
         for r in got["rows"]])


@assessments_app.command("export")
@handles_errors
def export(run: RunArg, out: Annotated[Path, typer.Argument(help="输出文件 .xlsx / .docx")],
           lang: Annotated[str, typer.Option("--lang")] = "zh-CN") -> None:
    """导出 The ranking as a workbook (.xlsx) or a 公文 (.docx)."""
    from jieneng.reports.performance_document import performance_docx, performance_xlsx
    from jieneng.services.assessments.runs import result

    got = result(engine(), _user(), run)
    data = (performance_docx(got, lang=lang) if out.suffix.lower() == ".docx"
            else performance_xlsx(got, lang=lang))
    out.write_bytes(data)
    output.console.print(str(out))
