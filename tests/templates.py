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
  Replaying the DDL and dropping the schema afterwards still cost ~1–2 s per test
  (every table and index is a file created and unlinked), so a test's schema is
  kept after it when its structure is still the template's (same tables, columns,
  constraints, indexes, triggers, types, functions, Alembic revision: one catalogue
  query) and the next test that uses ``engine`` gets it back, reset by deleting
  every row and copying the template's rows and sequence positions (~20 ms). A test
  that changed the structure (a downgrade, a table of its own) or never migrated
  gets its schema dropped.

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
from sqlalchemy.exc import DBAPIError

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
    prepared: bool = False  # already a copy of its template (PostgreSQL, pooled)


@dataclass
class _Template:
    payload: Any
    path: Path | None = None
    schema: str | None = None
    copy_rows: list[str] = field(default_factory=list)
    reset_rows: list[str] = field(default_factory=list)  # also for a used schema


@dataclass
class Templates:
    """The templates of one worker (built lazily, PostgreSQL schemas dropped at the end)."""

    directory: Path
    pg_url: str
    ddl: list[str] | None = None  # the migrations' statements, as they ran
    built: dict[tuple[str, tuple[str, Path] | str], _Template] = field(default_factory=dict)
    #: PostgreSQL schemas of finished tests whose structure is the template's
    pool: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # pooled, but could not be reset
    structure: str | None = None  # the template's catalogue fingerprint
    admin_engine: Engine | None = None

    def _template(self, backend: str, seed: tuple[str, Path] | str) -> _Template:
        template = self.built.get((backend, seed))
        if template is None:
            template = self.built[(backend, seed)] = self._build(backend, seed)
        return template

    def checkout(self, request: pytest.FixtureRequest) -> Database:
        """A PostgreSQL schema holding a copy of the test's template: a pooled one
        reset to it, or a new one (the migrations' DDL, then the rows)."""
        seed = _seed_of(request)
        template = self._template("postgresql", seed)
        assert self.ddl is not None
        rows = [*template.reset_rows,
                f"UPDATE meta SET value = '{uuid.uuid4().hex}' WHERE key = 'data_version'"]
        schema = None
        while self.pool and schema is None:
            schema = self.pool.pop()
            try:
                self._run([f'SET LOCAL search_path TO "{schema}"', *rows])
            except DBAPIError:  # something still holds a lock on it: dropped at the end
                self.stale.append(schema)
                schema = None
        if schema is None:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            self._run([f'CREATE SCHEMA "{schema}"', f'SET LOCAL search_path TO "{schema}"',
                       *self.ddl, *rows])
        if seed != MIGRATED:
            request.node.stash[_SEEDED] = (seed[0], template.payload)
        return Database(schema_url(self.pg_url, schema), schema=schema, prepared=True)

    def _run(self, script: list[str]) -> None:
        """``script`` in one transaction and one round trip."""
        with self._admin() as conn, \
                conn.connection.dbapi_connection.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(";\n".join([
                "BEGIN", "SET LOCAL lock_timeout = '20s'", "SET LOCAL synchronous_commit = off",
                *script, "COMMIT"]))

    def checkin(self, schema: str) -> None:
        """Keep ``schema`` for the next test if its structure is the template's, else drop it."""
        with self._admin() as conn:
            if self.structure is not None and _structure(conn, schema) == self.structure:
                self.pool.append(schema)
                return
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def fill(self, request: pytest.FixtureRequest, db: Database) -> None:
        """Copy the right template into ``db`` unless something already wrote to it."""
        if db.prepared or not _is_empty(db):
            return
        seed = _seed_of(request)
        backend = "sqlite" if db.path is not None else "postgresql"
        template = self._template(backend, seed)
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
            url = schema_url(self.pg_url, schema)
        engine = make_engine(url)
        if backend == "postgresql" and self.ddl is None:
            self.ddl = _capture_ddl(engine)
        engine.dispose()
        engine = open_database(url)
        try:
            payload = None if isinstance(seed, str) else SEEDS[seed](engine, url, scratch)
            copy_rows = _copy_rows(engine, schema) if schema and seed != MIGRATED else []
            reset_rows = _copy_rows(engine, schema, reset=True) if schema else []
            if schema and self.structure is None:
                with self._admin() as conn:
                    self.structure = _structure(conn, schema)
            if path is not None:
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        return _Template(payload, path, schema, copy_rows, reset_rows)

    def _admin(self) -> Connection:
        """A connection of this worker's administration engine (one kept open)."""
        if self.admin_engine is None:
            self.admin_engine = create_engine(self.pg_url, isolation_level="AUTOCOMMIT",
                                              pool_size=1, max_overflow=4)
        return self.admin_engine.connect()

    def close(self) -> None:
        schemas = [t.schema for t in self.built.values() if t.schema] + self.pool + self.stale
        self.pool = []
        if schemas:
            with self._admin() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if self.admin_engine is not None:
            self.admin_engine.dispose()


def schema_url(pg_url: str, schema: str) -> str:
    """The URL of ``schema`` of the database at ``pg_url`` (no wait for the WAL on commit)."""
    return f"{pg_url}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"


def _seed_of(request: pytest.FixtureRequest) -> tuple[str, Path] | str:
    """The seed of the test: of the seeds it uses, the one of the nearest folder or
    module (a module's seed may build on its folder's)."""
    found = [key for key in SEEDS if key[0] in request.fixturenames
             and request.path.is_relative_to(key[1])]
    return max(found, key=lambda key: len(key[1].parts)) if found else MIGRATED


_STRUCTURE = text("""
SELECT md5(coalesce(string_agg(replace(item, :s, ''), ','
                                  ORDER BY replace(item, :s, '')), '')) FROM (
  SELECT concat_ws(':', 'c', relname, relkind::text) AS item FROM pg_class
   WHERE relnamespace = to_regnamespace(:s)
  UNION ALL
  SELECT concat_ws(':', 'a', c.relname, a.attname, a.atttypid::text, a.attnotnull::text,
                   a.atthasdef::text, a.attnum::text)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = to_regnamespace(:s) AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT concat_ws(':', 'k', conname, contype::text, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = to_regnamespace(:s)
  UNION ALL
  SELECT concat_ws(':', 'd', c.relname, d.adnum::text, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
   WHERE c.relnamespace = to_regnamespace(:s)
  UNION ALL
  SELECT concat_ws(':', 'i', c.relname, pg_get_indexdef(i.indexrelid)) FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = to_regnamespace(:s)
  UNION ALL
  SELECT concat_ws(':', 't', c.relname, t.tgname, t.tgenabled::text) FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = to_regnamespace(:s) AND NOT t.tgisinternal
  UNION ALL
  SELECT concat_ws(':', 'y', typname) FROM pg_type WHERE typnamespace = to_regnamespace(:s)
  UNION ALL
  SELECT concat_ws(':', 'p', proname, md5(prosrc)) FROM pg_proc
   WHERE pronamespace = to_regnamespace(:s)
  UNION ALL
  SELECT concat_ws(':', 'q', c.relname, q.seqincrement::text, q.seqmin::text,
                   q.seqmax::text)
    FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid
   WHERE c.relnamespace = to_regnamespace(:s)
) AS parts
""")


def _structure(conn: Connection, schema: str) -> str:
    """A fingerprint of ``schema``'s structure (without the schema's own name, which
    definitions may quote) and of its Alembic revision."""
    found = conn.execute(_STRUCTURE, {"s": schema}).scalar_one()
    if conn.execute(text("SELECT to_regclass(:t)"),
                    {"t": f'"{schema}".alembic_version'}).scalar() is None:
        return f"{found}:unmigrated"
    versions = conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version '
                                 "ORDER BY 1")).scalars().all()
    return f"{found}:{','.join(versions)}"


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


def _copy_rows(engine: Engine, schema: str, *, reset: bool = False) -> list[str]:
    """Statements copying the rows and sequence positions of ``schema`` into the
    schema first on a connection's search path (``reset``: also the position of
    every sequence the template never used, for a schema a test used)."""
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
        for name, last, start in conn.execute(text(
            "SELECT sequencename, last_value, start_value FROM pg_sequences "
            "WHERE schemaname = :s"), {"s": schema}):
            if last is not None:
                out.append(f"SELECT setval('\"{name}\"', {int(last)}, true)")
            elif reset:
                out.append(f"SELECT setval('\"{name}\"', {int(start)}, false)")
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
