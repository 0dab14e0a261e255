"""Engine factory: one place that knows the SQLite pragmas and the PostgreSQL driver.

Transactions on SQLite: ``engine.begin()`` — the services' write transactions —
emits ``BEGIN IMMEDIATE`` and so takes the database's write lock up front, waiting
up to :data:`SQLITE_BUSY_TIMEOUT_MS` for another writer; ``engine.connect()`` — the
reads — autobegins a deferred ``BEGIN`` (WAL: readers never wait for the writer).
A deferred transaction that reads and then writes fails at once with ``database is
locked`` when another writer committed in between (SQLite cannot upgrade its stale
snapshot, the busy timeout does not apply), which is why writers begin immediate.
:func:`brief_write` is a write transaction that gives up quickly, for writes that
may be skipped (an API token's "last used").
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

#: How long a SQLite writer waits for another one before ``database is locked`` [ms].
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: How long :func:`brief_write` waits for the write lock [ms].
BRIEF_WRITE_WAIT_MS = 250
#: SQLite errors that mean "busy or unreachable", not a bug (matched on the message:
#: ``sqlite3`` exposes error codes only from Python 3.11 on, and not for every path).
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open",
                       "disk i/o error", "database or disk is full")
#: PostgreSQL SQLSTATE classes of a change that collided with another one (40: transaction
#: rollback — serialization failure, deadlock; 23: integrity constraint violation).
_PG_CONFLICT_CLASSES = ("40", "23")
#: Connection execution option set by ``engine.begin()`` on SQLite: ``BEGIN IMMEDIATE``.
_WRITE_OPTION = "jieneng_write"


class _SQLiteEngine(Engine):
    """An engine whose ``begin()`` starts ``BEGIN IMMEDIATE`` transactions.

    The writers of one process take turns on a lock of the engine first: a waiting
    writer starts the moment the previous one ends, instead of SQLite's busy handler
    polling with sleeps of up to 100 ms, which lets newcomers overtake it (seconds
    of tail latency under load). Writers in other processes still meet at SQLite's
    lock and busy timeout.
    """

    _writers: threading.RLock

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.write_turn(SQLITE_BUSY_TIMEOUT_MS), self.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def write_turn(self, wait_ms: int) -> Iterator[None]:
        """This process's turn to write; ``database is locked`` after ``wait_ms``."""
        if not self._writers.acquire(timeout=wait_ms / 1000):
            raise OperationalError("BEGIN IMMEDIATE", (),
                                   sqlite3.OperationalError("database is locked"))
        try:
            yield
        finally:
            self._writers.release()


def brief_write(engine: Engine,
                wait_ms: int = BRIEF_WRITE_WAIT_MS) -> AbstractContextManager[Connection]:
    """A write transaction that gives up after ``wait_ms`` (default: a quarter of a
    second) — for writes a caller may skip; see :func:`write_waiting`."""
    return write_waiting(engine, wait_ms)


@contextmanager
def write_waiting(engine: Engine, wait_ms: int) -> Iterator[Connection]:
    """A write transaction that waits at most ``wait_ms`` for the write lock (SQLite:
    the busy timeout of ``BEGIN IMMEDIATE``; PostgreSQL: ``lock_timeout``, which also
    bounds the wait for an advisory lock) and then raises
    :class:`sqlalchemy.exc.OperationalError`."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
            yield conn
        return
    turn = engine.write_turn(wait_ms) if isinstance(engine, _SQLiteEngine) else nullcontext()
    with turn, engine.connect() as conn:
        _pragma(conn, f"busy_timeout={int(wait_ms)}")  # outside any transaction
        try:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn
        finally:
            if not conn.invalidated:
                _pragma(conn, f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """One connection in one read transaction whose every query sees the same
    committed data — for an output made of several parts (the 通报, the 会审 report,
    the big screen), so that a write committed between two part reads cannot make
    the parts disagree.

    PostgreSQL: a ``REPEATABLE READ`` transaction (its snapshot is taken by the
    first query; not declared read-only: the readers fill temporary tables,
    :func:`jieneng.storage.bulk.ensure_temp`). SQLite: the deferred transaction
    ``engine.connect()`` begins; under WAL its snapshot is fixed by its first read.
    Either way the first query (the caller's first part) fixes it. No writes to the
    database's tables through this connection.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _pragma(conn: Connection, pragma: str) -> None:
    """A PRAGMA on the DBAPI connection itself (no ``BEGIN`` is emitted for it)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def database_trouble(exc: BaseException) -> Literal["conflict", "unavailable"] | None:
    """What a database error means for the one who asked, or None (a bug).

    ``"conflict"``: the change collided with a simultaneous one (an integrity
    violation, a PostgreSQL serialization failure or deadlock) — reload and retry.
    ``"unavailable"``: the database cannot be reached or is too busy (connection
    refused or lost, SQLite still locked after its busy timeout, the pool exhausted,
    a lock or statement timeout) — retry later.
    """
    if isinstance(exc, PoolTimeoutError):
        return "unavailable"
    if isinstance(exc, IntegrityError):
        return "conflict"
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return None
    if exc.connection_invalidated:
        return "unavailable"
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate[:2] in _PG_CONFLICT_CLASSES:
        return "conflict"
    if type(exc.orig).__module__.startswith("sqlite3"):
        text = str(exc.orig).lower()
        return "unavailable" if any(part in text for part in _SQLITE_UNAVAILABLE) else None
    return "unavailable"  # psycopg: refused, closed, admin shutdown, lock timeout …


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
    emitted by SQLAlchemy, not guessed by the ``sqlite3`` module): ``BEGIN IMMEDIATE``
    for ``engine.begin()``, a deferred ``BEGIN`` for ``engine.connect()`` (see the
    module docstring).
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
    engine.__class__ = _SQLiteEngine
    assert isinstance(engine, _SQLiteEngine)
    engine._writers = threading.RLock()

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
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

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
