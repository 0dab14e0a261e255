"""Utility files: ``jieneng import daily-kwh|bills`` (daily kWh per 户号, billing periods)."""

from __future__ import annotations

import typer

from jieneng.cli import output
from jieneng.cli.common import DryRun, FileArg, Fmt, FormatOpt, engine, handles_errors, state


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
    parent.command("daily-kwh")(daily_kwh)
    parent.command("bills")(bills)


@handles_errors
def daily_kwh(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """户号日电量 Daily quantity per utility account (户号, 日期, 电量, 尖/峰/平/谷), all or
    nothing; a later file for the same day replaces the value (the old one kept)."""
    _run("daily", file, dry_run, fmt)


@handles_errors
def bills(file: FileArg, dry_run: DryRun = False, fmt: FormatOpt = Fmt.table) -> None:
    """账期电费账单 Billing periods per account (户号, 账期起, 账期止, 电量, 电费), all or
    nothing; a bill imported again (same account and start) becomes a new revision."""
    _run("bills", file, dry_run, fmt)


def _run(kind: str, file: object, dry_run: bool, fmt: Fmt) -> None:
    from pathlib import Path

    from jieneng.core.caller import command_line_user
    from jieneng.core.exceptions import ImportRejected
    from jieneng.services.metering.utility import import_bills, import_days

    run = import_days if kind == "daily" else import_bills
    assert isinstance(file, Path)
    try:
        report = run(engine(), command_line_user(), file, dry_run=dry_run,
                     max_bytes=state.settings.max_upload_bytes)
    except ImportRejected as err:
        output.print_error(err)
        raise typer.Exit(1) from None
    if fmt is Fmt.json:
        output.print_json(report.to_dict())
        return
    key = "utility.import_checked" if dry_run else "utility.import_done"
    output.console.print(output.say(key, file=report.file, rows=report.rows, new=report.new,
                                    revised=report.revised, unchanged=report.unchanged))
