"""Database templates: migrate (or build a small world) once per worker, copy per test.

Migrating a fresh database costs ~0.2 s on SQLite and ~1 s on PostgreSQL, and the
web tests' 桂林 world adds four imports and six accounts on top: paid by every test,
that was most of the suite's time. Instead, each worker builds every template it
needs once, and a test's database starts as a copy of it:

* SQLite: the template is a file, copied byte for byte (closed cleanly first, so
  there is no ``-wal`` file beside it);
* PostgreSQL: the template is a schema of the worker's database. A test's schema
  gets the statements the migrations emitted (captured while building the first
  template, run again as the driver got them: the same schema, without Alembic's
  overhead) and then the template's rows (``INSERT … SELECT``, parents first) and
  sequence positions, all in one round trip (statement by statement, the
  migrations' DDL cost ~3x as much). ``CREATE DATABASE … TEMPLATE`` would copy in
  one statement, but ``DROP DATABASE`` forces a checkpoint: seconds per test.

Each copy gets a new random data version (``meta.data_version``), as a database
migrated on its own would. A *seed* is a template with data: :func:`register_seed`
names a fixture (``world``) and the function that builds its data on a migrated
database; a test that uses that fixture gets its database copied from the seed's
template, and the fixture reads what the builder returned with :func:`seeded`.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

#: a seed's builder: (migrated engine, its URL, a scratch folder) → what the fixture needs
Builder = Callable[[Engine, str, Path], Any]

#: (fixture name, the folder or module whose tests it seeds) → its builder
SEEDS: dict[tuple[str, Path], Builder] = {}
MIGRATED = "migrated"

_SEEDED = pytest.StashKey[tuple[str, Any]]()
DATABASE = pytest.StashKey["Database"]()


def register_seed(fixture: str, folder: Path, builder: Builder) -> None:
    """Tests under ``folder`` using ``fixture`` start from a copy of a database
    ``builder`` filled (other folders may have fixtures of the same name)."""
    SEEDS[(fixture, folder)] = builder


def seeded(request: pytest.FixtureRequest, fixture: str) -> Any | None:
    """What the seed's builder returned, when this test's database is its copy."""
    found = request.node.stash.get(_SEEDED, None)
    return found[1] if found is not None and found[0] == fixture else None


@dataclass(frozen=True)
class Database:
    """Where a test's database is: a SQLite file or a PostgreSQL schema."""

    url: str
    path: Path | None = None  # SQLite
    schema: str | None = None  # PostgreSQL


@dataclass
class _Template:
    payload: Any
    path: Path | None = None
    schema: str | None = None
    copy_rows: list[str] = field(default_factory=list)


@dataclass
class Templates:
    """The templates of one worker (built lazily, PostgreSQL schemas dropped at the end)."""

    directory: Path
    pg_url: str
    ddl: list[str] | None = None  # the migrations' statements, as they ran
    built: dict[tuple[str, tuple[str, Path] | str], _Template] = field(default_factory=dict)

    def fill(self, request: pytest.FixtureRequest, db: Database) -> None:
        """Copy the right template into ``db`` unless something already wrote to it."""
        if not _is_empty(db):
            return
        seed = next((key for key in SEEDS if key[0] in request.fixturenames
                     and request.path.is_relative_to(key[1])), MIGRATED)
        backend = "sqlite" if db.path is not None else "postgresql"
        template = self.built.get((backend, seed))
        if template is None:
            template = self.built[(backend, seed)] = self._build(backend, seed)
        if db.path is not None:
            assert template.path is not None
            shutil.copyfile(template.path, db.path)
        engine = create_engine(db.url)
        try:
            with engine.begin() as conn:
                if db.path is None:
                    assert self.ddl is not None
                    with conn.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
                        cursor.execute(";\n".join(
                            [*self.ddl, *template.copy_rows,
                             f"UPDATE meta SET value = '{uuid.uuid4().hex}' "
                             "WHERE key = 'data_version'"]))
                else:
                    _new_data_version(conn)
        finally:
            engine.dispose()
        if seed != MIGRATED:
            request.node.stash[_SEEDED] = (seed[0], template.payload)

    def _build(self, backend: str, seed: tuple[str, Path] | str) -> _Template:
        from jieneng.services.database import open_database
        from jieneng.storage.engine import make_engine

        name = seed if isinstance(seed, str) else seed[0]
        scratch = self.directory / f"{backend}-{name}-{uuid.uuid4().hex[:8]}"
        scratch.mkdir(parents=True)
        if backend == "sqlite":
            path = scratch / "template.db"
            url = f"sqlite:///{path}"
            schema = None
        else:
            path = None
            schema = f"tpl_{name}_{uuid.uuid4().hex[:8]}"
            with self._admin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{self.pg_url}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
        engine = make_engine(url)
        if backend == "postgresql" and self.ddl is None:
            self.ddl = _capture_ddl(engine)
        engine.dispose()
        engine = open_database(url)
        try:
            payload = None if isinstance(seed, str) else SEEDS[seed](engine, url, scratch)
            copy_rows = _copy_rows(engine, schema) if schema and seed != MIGRATED else []
            if path is not None:
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        return _Template(payload, path, schema, copy_rows)

    def _admin(self) -> Connection:
        return create_engine(self.pg_url, isolation_level="AUTOCOMMIT",
                             poolclass=_null_pool()).connect()

    def close(self) -> None:
        schemas = [t.schema for t in self.built.values() if t.schema]
        if schemas:
            with self._admin() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _capture_ddl(engine: Engine) -> list[str]:
    """Migrate ``engine``'s empty database, returning every statement that wrote
    (none takes parameters: they are replayed as one script)."""
    from jieneng.storage.migrate import upgrade

    statements: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        head = statement.lstrip().upper()
        if head.startswith(("SELECT", "WITH", "SHOW")):
            return
        if executemany or parameters or "%" in statement:
            raise RuntimeError(f"a migration statement takes parameters: {statement[:80]}")
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        upgrade(engine)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return statements


def _copy_rows(engine: Engine, schema: str) -> list[str]:
    """Statements copying the rows and sequence positions of ``schema`` into the
    schema first on a connection's search path."""
    from jieneng.storage.schema import metadata

    out: list[str] = []
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names()) - {"alembic_version"}
        ordered = [t.name for t in metadata.sorted_tables if t.name in present]
        ordered += sorted(present - set(ordered))  # parents first
        # what the migrations wrote (meta) is replaced by the template's rows
        out.extend(f'DELETE FROM "{table}"' for table in reversed(ordered))
        for table in ordered:
            if conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{table}")')).scalar():
                out.append(f'INSERT INTO "{table}" SELECT * FROM "{schema}"."{table}"')
        for name, last in conn.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = :s AND last_value IS NOT NULL"), {"s": schema}):
            out.append(f"SELECT setval('\"{name}\"', {int(last)}, true)")
    return out


def _is_empty(db: Database) -> bool:
    if db.path is not None:
        return not db.path.exists() or db.path.stat().st_size == 0
    engine = create_engine(db.url, poolclass=_null_pool())
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def _new_data_version(conn: Connection) -> None:
    conn.execute(text("UPDATE meta SET value = :v WHERE key = 'data_version'"),
                 {"v": uuid.uuid4().hex})


@dataclass
class DemoCity:
    """The 桂林市 demo city (演示数据) in SQLite, built once per test run — by the first
    xdist worker that asks, under a file lock, the others waiting for it — and copied
    for each test module that serves or reads it (the build costs ~10 s; the browser
    tests, the API fuzzing and the demo pages each built their own, on each worker)."""

    shared: Path  # a folder every worker of the run sees

    def copy(self, directory: Path) -> str:
        """A fresh copy of the demo city in ``directory/demo.db`` (its own data
        version); its URL."""
        import fcntl

        self.shared.mkdir(parents=True, exist_ok=True)
        built = self.shared / "demo.db"
        with (self.shared / "demo.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (self.shared / "demo.built").exists():
                self._build(built)
                (self.shared / "demo.built").touch()
        target = directory / "demo.db"
        shutil.copyfile(built, target)
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.begin() as conn:
                _new_data_version(conn)
        finally:
            engine.dispose()
        return f"sqlite:///{target}"

    def _build(self, built: Path) -> None:
        from jieneng.services.demo import build_demo
        from jieneng.services.demo_metering import hours_ago

        with pytest.MonkeyPatch.context() as mp:  # the generated files stay in the run's folder
            mp.setenv("XDG_DATA_HOME", str(self.shared / "data"))
            build_demo(f"sqlite:///{built}", metered_since=hours_ago(36))  # a short history
        engine = create_engine(f"sqlite:///{built}")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
