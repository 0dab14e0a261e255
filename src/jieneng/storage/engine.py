"""Engine factory: one place that knows the SQLite pragmas and the PostgreSQL driver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

#: How long a SQLite writer waits for another one before ``database is locked`` [ms].
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` → ``postgresql+psycopg://`` (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an :class:`~sqlalchemy.Engine` for a database URL.

    SQLite: creates the parent directory of the file; every connection gets
    ``journal_mode=WAL`` (files only), ``foreign_keys=ON``, ``synchronous=NORMAL``,
    a busy timeout, an in-memory temp store, and real transactions (``BEGIN`` is
    emitted by SQLAlchemy, not guessed by the ``sqlite3`` module).
    PostgreSQL: the psycopg 3 driver, with JIT compilation off for every session
    (see :func:`_postgresql`).

    Nothing connects until the engine is first used.
    """
    sa_url = make_url(normalise_url(url))
    if sa_url.get_backend_name() != "sqlite":
        return _postgresql(create_engine(sa_url, **kwargs))

    database = sa_url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(sa_url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see the "begin" listener below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB
            cursor.execute("PRAGMA mmap_size=1073741824")  # 1 GiB
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _postgresql(engine: Engine) -> Engine:
    """JIT off: the dashboard queries are many short aggregates for which the JIT's
    compile time (10–15 ms measured on the province dataset) exceeds what it saves;
    the bulk writes gain nothing measurable from it either."""
    if engine.dialect.name != "postgresql":
        return engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()

    return engine
