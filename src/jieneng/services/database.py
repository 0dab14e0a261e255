"""Opening the database for a command: engine, schema check, one transaction."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from jieneng.core.exceptions import Conflict
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import current_revision, head_revision, upgrade


def open_database(url: str, *, create: bool = True) -> Engine:
    """An engine on ``url`` whose schema is at the newest migration.

    A new, empty database is created (migrated to head) when ``create``; an
    existing database at an older revision is refused with the command that
    upgrades it, so a production database is never migrated by surprise.
    """
    engine = make_engine(url)
    if not inspect(engine).has_table("alembic_version"):
        if create:
            upgrade(engine)
        return engine
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise Conflict(
            f"数据库结构版本 {current} 落后于 {head}，请先运行 jieneng db upgrade",
            f"database schema is at {current}, not {head}: run `jieneng db upgrade` first",
        )
    return engine
