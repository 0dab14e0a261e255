"""Live monitoring: silent meters, in-month over-use warnings.

``jieneng meters watch`` evaluates the live alerts once (for cron, every 15 minutes:
``*/15 * * * * jieneng --db … meters watch``); ``--loop`` keeps evaluating every
``--every`` seconds until stopped. See ``docs/monitoring.md``.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import engine, handles_errors, state


def register(parent: typer.Typer) -> None:
    """Add this module's commands to ``parent`` (called by :mod:`jieneng.cli.main`)."""
    parent.command("watch")(handles_errors(meters_watch))


def meters_watch(
    loop: Annotated[bool, typer.Option("--loop", help="一直运行 keep evaluating")] = False,
    every: Annotated[int, typer.Option("--every", min=10, help="间隔秒数 seconds between runs")
                     ] = 900,
    silent_after: Annotated[int, typer.Option(
        "--silent-after", min=1, help="无数据多少个时段算停报 intervals before a meter is silent")
    ] = 8,
    projection: Annotated[str, typer.Option(
        "--projection", help="月末预测 linear | weekday")] = "linear",
    runs: Annotated[int | None, typer.Option("--runs", min=1, hidden=True)] = None,
) -> None:
    """实时预警 Evaluate the live alerts: over-use projected to month end, silent meters."""
    from jieneng.services.targets.live import LiveAlertOptions, evaluate_live

    options = LiveAlertOptions(projection=projection, silent_after=silent_after)
    done = 0
    while True:
        result = evaluate_live(engine(), settings=state.settings, options=options)
        output.print_json(result)
        done += 1
        if not loop or (runs is not None and done >= runs):
            return
        time.sleep(every if runs is None else 0)
