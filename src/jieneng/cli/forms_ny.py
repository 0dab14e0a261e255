"""Forms NY202 (data-centre rooms) and NY203 (heating): ``jieneng import datacentre|heating
FILE [--dry-run]`` — validated whole, stored all-or-nothing (templates: ``jieneng
template datacentre|heating``)."""

from __future__ import annotations

import typer

from jieneng.cli import output
from jieneng.cli.common import DryRun, FileArg, Fmt, FormatOpt, engine, handles_errors, state
from jieneng.core.messages import text

_DOCS = {
    "datacentre": "数据中心机房 NY202, one row per room and period: 统一社会信用代码, 年, 月 "
    "(0 = 年报), 机房编号, 机房名称, 机房状态 (新建/既有), 机房总用电量(千瓦时), "
    "IT设备用电量(千瓦时) …",
    "heating": "采暖 NY203, one row per institution and period: 统一社会信用代码, 年, 月, "
    "采暖面积(平方米), 独立供暖面积 …, 采暖天数, the carriers and their costs.",
}


def _run(kind: str, file: FileArg, dry_run: bool, fmt: Fmt) -> None:
    from jieneng.cli.imports import _rejected
    from jieneng.core.exceptions import ImportRejected
    from jieneng.services.forms_ny.imports import import_form

    try:
        report = import_form(engine(), kind, file, dry_run=dry_run,
                             max_bytes=state.settings.max_upload_bytes)
    except ImportRejected as err:
        _rejected(err, show=20, errors_report=None, report_lang="zh-CN")
        raise typer.Exit(1) from None
    if fmt is Fmt.json:
        output.print_json(report.to_dict())
        return
    key = "cli.import_checked" if dry_run else "cli.import_done"
    zh, en = (text(lang, key, file=file.name, rows=report.rows_read, records=report.records,
                   counts="，".join(f"{text(lang, 'imports.count.' + k)} {n:,}"
                                   for k, n in report.counts.items()))
              for lang in ("zh-CN", "en"))
    output.console.print(f"{zh} / {en}")
    if report.warnings:
        output.print_issues(report.warnings)


def _command(parent: typer.Typer, kind: str) -> None:
    @handles_errors
    def command(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
        _run(kind, file, dry_run, fmt)

    command.__doc__ = _DOCS[kind]
    parent.command(kind)(command)


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
    for kind in _DOCS:
        _command(parent, kind)
