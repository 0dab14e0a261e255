"""Run the Alembic migrations of :mod:`jieneng.storage.migrations` programmatically.

No ``alembic.ini`` is needed at run time: the configuration is built here and the
connection is handed to ``env.py`` through ``Config.attributes``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, select

from .engine import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic :class:`Config` pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _engine(target: Engine | str) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True


#: PostgreSQL advisory lock held by an upgrade to commit ("jnmg").
MIGRATION_LOCK_KEY = 0x6A6E_6D67


def upgrade(target: Engine | str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest) in one transaction.

    Simultaneous upgrades (several commands opening a new database at once) take
    turns — SQLite: the write lock of ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
    lock — and each reads the revision only once it has its turn, so the later ones
    find the schema made and do nothing.
    """
    engine, owned = _engine(target)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            command.upgrade(alembic_config(conn), revision)
    finally:
        if owned:
            engine.dispose()


def downgrade(target: Engine | str, revision: str) -> None:
    """Migrate the database back to ``revision`` (``"base"`` drops everything)."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: Engine | str | Connection) -> str | None:
    """The revision the database is at, ``None`` if it was never migrated."""
    if isinstance(target, Connection):
        return MigrationContext.configure(target).get_current_revision()
    engine, owned = _engine(target)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with this version of jieneng."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
