"""``jieneng notify …``: the outbox of channel messages (e-mail, group robots)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, FormatOpt, engine, handles_errors, state

notify_app = typer.Typer(help="通知 The outbox of e-mail and robot messages.",
                         no_args_is_help=True)

_COLUMNS = ["编号 id", "渠道 channel", "类型 kind", "标题 title", "结果 status",
            "尝试 attempts", "错误 error"]


def _rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    return [[i["id"], i["channel"], i["kind"], i["title"], i["status"], i["attempts"],
             i["error"] or ""] for i in items]


def deliver_due(fmt: Fmt | None = Fmt.table) -> list[dict[str, Any]]:
    """Deliver every row due now (passes of the outbox until none is left) and print
    them (``fmt`` None: print nothing)."""
    from jieneng.services.notifications.outbox import deliver_pending

    done: list[dict[str, Any]] = []
    while True:
        batch = deliver_pending(engine(), state.settings)
        done += batch
        if not batch:
            break
    if fmt is Fmt.json:
        output.print_json(done)
    elif fmt is not None:
        output.print_table(f"发送 delivered: {len(done)}", _COLUMNS, _rows(done))
    return done


@notify_app.command("deliver")
@handles_errors
def notify_deliver(fmt: FormatOpt = Fmt.table) -> None:
    """发送 Deliver the queued messages that are due (cron; the web app does it too)."""
    deliver_due(fmt)


@notify_app.command("list")
@handles_errors
def notify_list(
    status: Annotated[str | None, typer.Option(
        "--status", help="pending | sending | sent | failed | skipped")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 50,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """列出 The newest outbox rows, with every failed attempt's error."""
    from jieneng.services.notifications.outbox import entries

    items = entries(engine(), status=status, limit=limit)
    if fmt is Fmt.json:
        output.print_json(items)
        return
    output.print_table(f"通知发件箱 outbox: {len(items)}", _COLUMNS, _rows(items))
