"""``jieneng alerts …``: early warning on the targets' caps."""

from __future__ import annotations

from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import RegionOpt, YearOpt, engine, handles_errors, state

alerts_app = typer.Typer(help="预警 Early warning on targets.", no_args_is_help=True)


@alerts_app.command("evaluate")
@handles_errors
def alerts_evaluate(
    region: RegionOpt, year: YearOpt,
    month: Annotated[int | None, typer.Option(
        "--month", min=1, max=12, help="截至月份 as of month (default: the last with data)")
    ] = None,
) -> None:
    """评估预警 Open, raise, escalate or close the alerts of the region's caps."""
    from jieneng.core.caller import command_line_user
    from jieneng.services.targets.alerts import evaluate

    result = evaluate(engine(), state.settings, command_line_user(), region_code=region,
                      year=year, as_of_month=month)
    output.print_json(result)
