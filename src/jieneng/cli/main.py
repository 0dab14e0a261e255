"""``jieneng`` — the command-line interface: the Typer app, its root option and the
registration of every feature's commands (one module per feature under ``jieneng.cli``).

Every command is thin: parse options, call one service, print. Domain errors
are printed in Chinese and English and end with exit status 1 (:mod:`jieneng.cli.common`).

The feature modules are imported when the app is built, not with this module:
``jieneng … import …`` builds an app of the import commands only (:func:`main`), so
that the import of a large file starts reading it while the database layer is still
being imported (:func:`jieneng.ingest.reader.read_ahead`); every other command line,
and :data:`app` (``from jieneng.cli.main import app``), gets every command.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import state
from jieneng.core.exceptions import DomainError
from jieneng.settings import load_settings

_HELP = "jieneng 节能 — 公共机构能源资源消费统计平台 / public-institution energy statistics."
_full: typer.Typer | None = None


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


def build_app(*, imports_only: bool = False) -> typer.Typer:
    """The Typer app with every command, or (``imports_only``) with ``import`` and
    ``template`` only."""
    from jieneng.cli import imports

    app = typer.Typer(help=_HELP, no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False)
    app.callback()(root)
    if imports_only:
        from jieneng.cli import forms_ny as forms_ny_imports

        forms_ny_imports.register(imports.import_app)  # import datacentre | heating
        from jieneng.cli import utility_files as utility_imports

        utility_imports.register(imports.import_app)  # import daily-kwh | bills
        from jieneng.cli import weather as weather_imports

        weather_imports.register(imports.import_app)  # import weather
        app.add_typer(imports.import_app, name="import")
        app.command("template")(imports.template)
        return app
    from jieneng.cli import (
        accounts,
        alerts,
        assessments,
        campaigns,
        carbon,
        db,
        demo,
        fleet,
        forms_ny,
        gateway,
        gateway_mqtt,
        gateway_serve,
        metered,
        meters,
        monitoring,
        mv,
        notify,
        projects,
        projects_mv,
        reporting,
        serve,
        statistics,
        utility_files,
        weather,
        workplans,
    )

    app.add_typer(db.db_app, name="db")
    app.add_typer(imports.import_app, name="import")
    app.add_typer(accounts.users_app, name="users")
    app.add_typer(reporting.report_app, name="report")
    app.add_typer(alerts.alerts_app, name="alerts")
    app.add_typer(notify.notify_app, name="notify")
    app.add_typer(meters.meters_app, name="meters")
    app.add_typer(gateway.gateway_app, name="gateway")
    app.add_typer(mv.mv_app, name="mv")
    app.add_typer(projects.projects_app, name="projects")
    app.add_typer(campaigns.campaigns_app, name="campaigns")
    app.add_typer(fleet.fleet_app, name="fleet")
    app.add_typer(carbon.carbon_app, name="carbon")
    app.add_typer(assessments.assessments_app, name="assessments")
    app.add_typer(workplans.plans_app, name="plans")
    projects_mv.register(projects.projects_app)  # baseline | statement | settle | adjust …
    gateway_mqtt.register(gateway.gateway_app)
    gateway_serve.register(gateway.gateway_app)
    utility_files.register(imports.import_app)
    forms_ny.register(imports.import_app)
    weather.register(imports.import_app, app)  # import weather; weather stations | add-station
    metered.register(meters.meters_app)
    monitoring.register(meters.meters_app)
    app.command("template")(imports.template)
    app.command("indicators")(statistics.indicators)
    app.command("history")(statistics.history)
    app.command("factor-sets")(statistics.factor_sets)
    app.command("serve")(serve.serve)
    app.command("demo")(demo.demo)
    app.command("remind")(reporting.remind)
    return app


def _command(argv: list[str]) -> str | None:
    """The command a command line names: its first word that is neither an option nor
    the value of ``--db``."""
    words = iter(argv)
    for word in words:
        if word == "--db":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the app with every command, built once on first use."""
    global _full
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _full is None:
        _full = build_app()
    return _full


def main() -> None:
    if _command(sys.argv[1:]) == "import":
        build_app(imports_only=True)()
        return
    __getattr__("app")()
