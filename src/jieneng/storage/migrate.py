"""Run the Alembic migrations of :mod:`jieneng.storage.migrations` programmatically.

No ``alembic.ini`` is needed at run time: the configuration is built here and the
connection is handed to ``env.py`` through ``Config.attributes``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, select, text

from .engine import make_engine, write_waiting

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Alembic is imported only where a migration runs or the fast version check below
# does not apply: importing it costs about half a second, paid by every command that
# opens a database (``jieneng import …`` among them) just to compare two revisions.
_REVISION = re.compile(r'^revision(?::[^=]*)?=\s*["\']([^"\']+)["\']', re.M)
_DOWN = re.compile(r'^down_revision(?::[^=]*)?=\s*(None|["\']([^"\']+)["\'])\s*$', re.M)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic :class:`Config` pointing at the packaged migrations."""
    from alembic.config import Config

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
#: How long an upgrade waits for another one to commit [ms]: creating the schema holds
#: the write lock for seconds, tens of seconds on a loaded machine.
MIGRATION_WAIT_MS = 300_000


def upgrade(target: Engine | str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest) in one transaction.

    Simultaneous upgrades (several commands opening a new database at once) take
    turns — SQLite: the write lock of ``BEGIN IMMEDIATE``; PostgreSQL: an advisory
    lock — and each reads the revision only once it has its turn, so the later ones
    find the schema made and do nothing. A command waits up to
    :data:`MIGRATION_WAIT_MS` for another's migration, longer than for a write.
    """
    # What env.py and the revisions import (Alembic, the table metadata: seconds on a
    # loaded machine), imported before the write lock rather than while holding it.
    from alembic import command

    from . import meter_readings, schema  # noqa: F401

    engine, owned = _engine(target)
    try:
        with write_waiting(engine, MIGRATION_WAIT_MS) as conn:
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
            from alembic import command

            command.downgrade(alembic_config(conn), revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: Engine | str | Connection) -> str | None:
    """The revision the database is at, ``None`` if it was never migrated."""
    if isinstance(target, Connection):
        return _current(target)
    engine, owned = _engine(target)
    try:
        with engine.connect() as conn:
            return _current(conn)
    finally:
        if owned:
            engine.dispose()


def _current(conn: Connection) -> str | None:
    """One row in ``alembic_version`` is read directly; anything else (no table,
    several heads) is Alembic's to answer."""
    from sqlalchemy import inspect

    if inspect(conn).has_table("alembic_version"):
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(rows) == 1:
            return str(rows[0])
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of jieneng.

    Read from the revision files' ``revision`` / ``down_revision`` lines when they
    form one chain with one head; otherwise Alembic's script directory decides."""
    fast = _head_from_files()
    if fast is not None:
        return fast
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _head_from_files() -> str | None:
    """The one revision no other revision names as its ``down_revision``, or None
    when the files do not form a simple chain."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.findall(source), _DOWN.findall(source)
        if len(rev) != 1 or len(down) != 1:
            return None
        revisions.add(rev[0])
        if down[0][1]:
            downs.add(down[0][1])
    heads = revisions - downs
    if len(heads) != 1 or len(downs) != len(revisions) - 1 or not downs <= revisions:
        return None
    return heads.pop()
