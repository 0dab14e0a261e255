"""``jieneng db``: the database schema (Alembic migrations)."""

from __future__ import annotations

from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import handles_errors, state

db_app = typer.Typer(help="数据库 Database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
@handles_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="目标版本 target revision")] = "head",
) -> None:
    """升级数据库结构 Upgrade the schema to the newest (or given) migration."""
    from jieneng.storage.engine import make_engine
    from jieneng.storage.migrate import current_revision, upgrade

    engine = make_engine(state.settings.database_url)
    try:
        upgrade(engine, revision)
        output.console.print(output.say("cli.db_upgraded", revision=current_revision(engine)))
    finally:
        engine.dispose()


@db_app.command("current")
@handles_errors
def db_current() -> None:
    """显示数据库结构版本 Show the schema revision."""
    from jieneng.storage.engine import make_engine
    from jieneng.storage.migrate import current_revision

    engine = make_engine(state.settings.database_url)
    try:
        output.console.print(str(current_revision(engine)))
    finally:
        engine.dispose()
