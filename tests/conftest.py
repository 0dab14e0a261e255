"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

``JIENENG_TEST_DB`` = ``sqlite`` | ``postgresql`` | ``both`` (default ``both``).
PostgreSQL is the server on 127.0.0.1:5432 (``JIENENG_TEST_PG_URL`` overrides);
each xdist worker uses its own database (advisory locks are per database) and each
test gets a fresh schema in it (``synchronous_commit=off``: a commit does not wait for
the WAL to reach the disk), dropped afterwards, so tests are isolated and can
run in parallel. SQLite tests get a fresh file in ``tmp_path``.

``engine`` does not migrate each test's database: it copies a template migrated
once per worker, or the template of a seed fixture such as the web tests' ``world``
(:mod:`tests.templates`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from tests.sample import Files, make_files
from tests.templates import DATABASE, Database, DemoCity, Templates, schema_url

#: the apps the tests start derive no readings in the background (a pass at every app's
#: start took SQLite's write lock beside the test's own writes); the tests derive
#: explicitly (services.metering.derive). Subprocesses (a real `jieneng serve`) inherit it.
os.environ.setdefault("JIENENG_METERING_DERIVE_SECONDS", "0")

_BASE_PG_URL = os.environ.get(
    "JIENENG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _worker_database(base: str) -> str:
    """The URL of this pytest-xdist worker's own database (``test_gw0`` …), created
    when missing. PostgreSQL advisory locks are per database, not per schema: with
    one database, the consumption writes of two tests on different workers took the
    same lock keys and could deadlock each other. The base URL when not under xdist,
    when ``JIENENG_TEST_PG_URL`` is set, or when the server cannot be reached."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or "JIENENG_TEST_PG_URL" in os.environ:
        return base
    name = f"{base.rsplit('/', 1)[1]}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            known = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": name}).first()
            if known is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return base
    finally:
        admin.dispose()
    return f"{base.rsplit('/', 1)[0]}/{name}"


PG_URL = _worker_database(_BASE_PG_URL)


@pytest.hookimpl(trylast=True)  # after the browser tests' conftest marks its group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--dist loadgroup``: each item of an ``xdist_group`` gets its group in its node id
    (``…@group``), by which the controller sends a whole group to one worker.
    pytest-xdist 3.8 sets ``item._nodeid``, which pytest 9 no longer reads (the id is
    ``item._id``): every group — the browser tests' one server and browser, the demo
    modules — was spread over both workers, each building the group's fixtures."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                        for mark in item.iter_markers("xdist_group")})
        suffix = f"@{'_'.join(names)}"
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = type(item._id).parse(item.nodeid + suffix)


def _backends() -> list[str]:
    choice = os.environ.get("JIENENG_TEST_DB", "both")
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           templates: Templates) -> Iterator[str]:
    """A URL of an empty database of each backend under test — for a test using
    ``engine`` on PostgreSQL, already a copy of its template, in a schema another
    test left with the template's structure when there is one (:mod:`tests.templates`)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        request.node.stash[DATABASE] = Database(f"sqlite:///{path}", path=path)
        yield f"sqlite:///{path}"
        return
    if "engine" in request.fixturenames:
        db = templates.checkout(request)
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with templates._admin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(schema_url(PG_URL, schema), schema=schema)
    request.node.stash[DATABASE] = db
    assert db.schema is not None
    try:
        yield db.url
    finally:
        templates.checkin(db.schema)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """This worker's database templates (:mod:`tests.templates`)."""
    kept = Templates(tmp_path_factory.mktemp("templates"), PG_URL)
    try:
        yield kept
    finally:
        kept.close()


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> DemoCity:
    """The demo city in SQLite, built once per run for every worker (:class:`DemoCity`)."""
    base = tmp_path_factory.getbasetemp()
    return DemoCity((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "demo-city")


@pytest.fixture
def engine(request: pytest.FixtureRequest, db_url: str,
           templates: Templates) -> Iterator[Engine]:
    """A migrated engine on a fresh database of each backend: a copy of a template
    (of a seed fixture the test uses, such as ``world``), unless something already
    wrote to the database."""
    from jieneng.services.database import open_database

    templates.fill(request, request.node.stash[DATABASE])
    eng = open_database(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id still, with small parameters, in every test (the default costs ~0.1-0.5 s
    per hash; the accounts, login and token tests of every layer hash). A real
    ``jieneng serve`` in a subprocess keeps the defaults."""
    from argon2 import PasswordHasher

    from jieneng.services.accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """Regions, directory, profiles and one month of consumption for 桂林 (small)."""
    return make_files(tmp_path)
