"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

``JIENENG_TEST_DB`` = ``sqlite`` | ``postgresql`` | ``both`` (default ``both``).
PostgreSQL is the server on 127.0.0.1:5432 (``JIENENG_TEST_PG_URL`` overrides);
each test gets a fresh schema, dropped afterwards, so tests are isolated and can
run in parallel. SQLite tests get a fresh file in ``tmp_path``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.sample import Files, make_files

PG_URL = os.environ.get(
    "JIENENG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _backends() -> list[str]:
    choice = os.environ.get("JIENENG_TEST_DB", "both")
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of each backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on a fresh database of each backend."""
    from jieneng.services.database import open_database

    eng = open_database(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """Regions, directory, profiles and one month of consumption for 桂林 (small)."""
    return make_files(tmp_path)
