"""``jieneng import …`` and ``jieneng template``: files in, blank templates out."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import DryRun, FileArg, Fmt, FormatOpt, engine, handles_errors, state
from jieneng.core.messages import text

import_app = typer.Typer(
    help="导入 Import a .xlsx/.csv file; the whole file is validated first and stored "
    "all-or-nothing.",
    no_args_is_help=True,
)


def _import(
    kind: str, file: Path, dry_run: bool, fmt: Fmt, *, show: int = 20,
    errors_report: Path | None = None, report_lang: str = "zh-CN",
) -> None:
    from jieneng.core.exceptions import ImportRejected
    from jieneng.ingest.reader import finish_reading_ahead, read_ahead

    # the workbook is measured and read in a thread while the database layer is imported
    read_ahead(file, state.settings.max_upload_bytes)
    try:
        from jieneng.services.entry.imports import import_file

        with output.progress(output.say("cli.importing", file=file.name)) as step:
            report = import_file(
                engine(), kind, file, dry_run=dry_run,
                max_bytes=state.settings.max_upload_bytes, progress=step,
            )
    except ImportRejected as err:
        _rejected(err, show=show, errors_report=errors_report, report_lang=report_lang)
        raise typer.Exit(1) from None
    finally:
        finish_reading_ahead()
    if fmt is Fmt.json:
        output.print_json(report.to_dict())
        return
    key = "cli.import_checked" if dry_run else "cli.import_done"
    zh, en = (text(lang, key, file=file.name, rows=report.rows_read, records=report.records,
                   counts=_counts(lang, report.counts)) for lang in ("zh-CN", "en"))
    output.console.print(f"{zh} / {en}")
    if report.warnings:
        output.print_issues(report.warnings)


def _counts(lang: str, counts: dict[str, int]) -> str:
    """What was stored, in ``lang``: ``新增 12，修订 0`` / ``inserted 12, revised 0``."""
    sep = "，" if lang == "zh-CN" else ", "
    return sep.join(f"{text(lang, 'imports.count.' + k)} {n:,}" for k, n in counts.items())


def _rejected(err: Any, *, show: int, errors_report: Path | None, report_lang: str) -> None:
    """A rejected file: the first ``show`` errors, the counts by kind and by column,
    and (``--errors-report``) every issue written to a workbook."""
    total = err.details.get("total")
    err.issues = err.issues[:max(0, show)]
    output.print_error(err)
    if total is not None:
        counts = err.details.get("by_code", {})
        kinds = "，".join(f"{text('zh-CN', 'import.kind.' + c)} {n:,}" for c, n in counts.items())
        kinds_en = ", ".join(f"{text('en', 'import.kind.' + c)} {n:,}" for c, n in counts.items())
        by_column = err.details.get("by_column", {})
        columns = ", ".join(f"{c or '-'} {n:,}" for c, n in by_column.items())
        output.err_console.print(output.say("cli.import_errors_shown", shown=len(err.issues),
                                            total=total))
        output.err_console.print(f"{text('zh-CN', 'cli.import_by_kind', counts=kinds)}\n"
                                 f"{text('en', 'cli.import_by_kind', counts=kinds_en)}")
        output.err_console.print(output.say("cli.import_by_column", counts=columns))
    if err.report is None:
        return
    if errors_report is None:
        output.err_console.print(output.say("cli.import_report_hint"))
        return
    from jieneng.services.entry.error_reports import report_xlsx

    errors_report.write_bytes(report_xlsx(err.report, report_lang,
                                          max_rows=state.settings.import_report_max_rows))
    output.err_console.print(output.say("cli.import_report_written", path=errors_report))


IMPORT_KINDS: dict[str, str] = {
    "regions": "行政区划 Regions: 行政区划代码, 名称, 上级代码.",
    "institutions": "名录库 Institutions: 统一社会信用代码, 单位名称, 行政区划代码, 单位类别, …",
    "profiles": "年度基本信息 Yearly profiles: 用能人数, 建筑面积, 车辆 …",
    "consumption": "月度能耗 Monthly consumption, wide (电(千瓦时) …) or long "
    "(能源品种, 数量, 单位).",
}


ShowOpt = Annotated[int, typer.Option(
    "--show", min=0, help="列出前 N 处错误 print the first N errors of a rejected file")]
ReportOpt = Annotated[Path | None, typer.Option(
    "--errors-report", dir_okay=False,
    help="完整错误报告 write every issue of a rejected file to this .xlsx")]
LangOpt = Annotated[str, typer.Option(
    "--report-lang", help="错误报告语言 language of the error report: zh-CN | en")]


def _import_command(kind: str, doc: str) -> None:
    """Register ``jieneng import KIND FILE [--dry-run] [--format]``."""

    @handles_errors
    def command(
        file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table,
        show: ShowOpt = 20, errors_report: ReportOpt = None, report_lang: LangOpt = "zh-CN",
    ) -> None:
        _import(kind, file, dry_run, fmt, show=show, errors_report=errors_report,
                report_lang=report_lang)

    command.__doc__ = doc
    import_app.command(kind)(command)


for _kind, _doc in IMPORT_KINDS.items():
    _import_command(_kind, _doc)


@import_app.command("reference-prices")
@handles_errors
def import_reference_prices(file: FileArg) -> None:
    """参考单价 Reference unit prices per province and carrier (单价审核): replaces the
    provinces' prices in the file, all-or-nothing."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.quality.quality import import_reference_prices as run

    result = run(engine(), command_line_user(), file)
    output.console.print(output.say("cli.imported_rows", file=file.name, rows=result["rows"]))


@import_app.command("targets")
@handles_errors
def import_targets(file: FileArg) -> None:
    """双控目标 Targets: 行政区划代码, 年份, 指标, 目标值 (caps as quantities, reductions in
    %), 基准年; all-or-nothing, refused for a locked year."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.targets.targets import import_targets as run

    result = run(engine(), command_line_user(), file)
    output.console.print(output.say("cli.imported_rows", file=file.name, rows=result["rows"]))


@import_app.command("quotas")
@handles_errors
def import_quotas(
    file: FileArg,
    code: Annotated[str, typer.Option("--code", help="标准编号 standard code (DB37/T 2673)")],
    title: Annotated[str, typer.Option("--title", help="标准名称 title")],
    source: Annotated[str, typer.Option("--source", help="数值来源 where the figures come from")],
) -> None:
    """定额标准 A quota table: 指标, 机构类型, 气候区, 约束值, 基准值, 引导值, 单位."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.targets.quotas import import_table

    result = import_table(engine(), command_line_user(), file, code=code, title=title,
                          source=source)
    # the one bilingual line left as it was: tests/services/test_quotas.py reads "2 行 rows"
    output.console.print(f"{file.name}: 已导入 imported — {result['rows']} 行 rows "
                         f"({result['inserted']} new, {result['updated']} updated)")


class TemplateKind(StrEnum):
    regions = "regions"
    institutions = "institutions"
    profiles = "profiles"
    consumption = "consumption"
    consumption_long = "consumption-long"
    datacentre = "datacentre"
    heating = "heating"
    daily_kwh = "daily-kwh"
    bills = "bills"


@handles_errors
def template(
    kind: Annotated[TemplateKind, typer.Argument(help="模板类型 template kind")],
    out: Annotated[Path, typer.Option("-o", "--output", help="输出 .xlsx 文件 output file")],
) -> None:
    """生成空白导入模板 Write a blank import template (.xlsx) with examples and notes."""
    from jieneng.ingest.templates import write_template

    write_template(kind.value, out)
    output.console.print(output.say("cli.template_written", path=out))
