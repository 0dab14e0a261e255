"""``jieneng`` — the command-line interface: the Typer app, its root option and the
registration of every feature's commands (one module per feature under ``jieneng.cli``).

Every command is thin: parse options, call one service, print. Domain errors
are printed in Chinese and English and end with exit status 1 (:mod:`jieneng.cli.common`).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from jieneng.cli import (
    accounts,
    alerts,
    db,
    demo,
    imports,
    notify,
    output,
    reporting,
    serve,
    statistics,
)
from jieneng.cli.common import state
from jieneng.core.exceptions import DomainError
from jieneng.settings import load_settings

app = typer.Typer(
    help="jieneng 节能 — 公共机构能源资源消费统计平台 / public-institution energy statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.db_app, name="db")
app.add_typer(imports.import_app, name="import")
app.add_typer(accounts.users_app, name="users")
app.add_typer(reporting.report_app, name="report")
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(notify.notify_app, name="notify")
app.command("template")(imports.template)
app.command("indicators")(statistics.indicators)
app.command("history")(statistics.history)
app.command("factor-sets")(statistics.factor_sets)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("remind")(reporting.remind)


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="数据库 URL (sqlite:///file.db, postgresql://…); "
            "default JIENENG_DATABASE_URL or a SQLite file in the user data directory.",
        ),
    ] = None,
) -> None:
    try:
        state.settings = load_settings(database_url=db)
    except DomainError as err:  # e.g. a weak JIENENG_SECRET_KEY in production
        output.print_error(err)
        raise typer.Exit(1) from None
    state.explicit_db = db is not None or "JIENENG_DATABASE_URL" in os.environ


def main() -> None:
    app()
