"""Metered figures into the monthly statistics (NY201): ``jieneng meters
fill-statistics`` (the derivation worker runs it at month end; see
``docs/metered-statistics.md``) and ``jieneng meters statistics-rule``."""

from __future__ import annotations

from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, FormatOpt, engine, handles_errors

YearOpt = Annotated[int, typer.Option("--year", help="年 year")]
MonthOpt = Annotated[int, typer.Option("--month", help="月 month (1–12)")]
RegionOpt = Annotated[str | None, typer.Option(
    "--region", help="行政区划代码 region code (default: every region)")]


def fill_statistics(year: YearOpt, month: MonthOpt, region: RegionOpt = None,
                    fmt: FormatOpt = Fmt.table) -> None:
    """计量数据填入月报 Fill the month's NY201 figures from accounts and meters."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.statistics import fill_from_metering

    result = fill_from_metering(engine(), command_line_user(), year, month, region)
    if fmt is Fmt.json:
        output.print_json(result)
        return
    output.console.print(output.say("metered.cli.filled", **result))


def statistics_rule(
    region: Annotated[str, typer.Option("--region", help="行政区划代码 region code")],
    precedence: Annotated[str, typer.Option(
        "--precedence", help="accounts_first | meters_first")] = "accounts_first",
    min_completeness: Annotated[float, typer.Option(
        "--min-completeness", help="最低完整率 least completeness (0–1)")] = 0.95,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """计量来源规则 Set a region's rule: which source first, the least completeness."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.metering.statistics import set_rule

    result = set_rule(engine(), command_line_user(), region, precedence, min_completeness)
    if fmt is Fmt.json:
        output.print_json(result)
        return
    output.console.print(output.say("metered.cli.rule_set", **result))


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
    parent.command("fill-statistics")(handles_errors(fill_statistics))
    parent.command("statistics-rule")(handles_errors(statistics_rule))
