"""Opening the database for a command: engine, schema check, one transaction; the
connection a reader reads through (:func:`reading`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, inspect

from jieneng.core.exceptions import Conflict
from jieneng.storage.engine import make_engine, read_snapshot
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
        raise Conflict.of("database.schema_missing", current=current, head=head)
    return engine


#: What a reader of several queries reads through: an engine (it opens its own
#: snapshot) or the connection of a caller's snapshot (an output of several parts).
Reader = Engine | Connection


@contextmanager
def reading(db: Reader) -> Iterator[Connection]:
    """The connection to read through: the caller's (left open, its snapshot shared
    by every part of a multi-part output such as the 通报) or, given an engine, a new
    one in its own snapshot (:func:`jieneng.storage.engine.read_snapshot`) so that the
    queries of one reader agree with each other."""
    if isinstance(db, Connection):
        yield db
        return
    with read_snapshot(db) as conn:
        yield conn
