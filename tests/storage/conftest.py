"""Fixtures: every storage test runs on SQLite and on PostgreSQL.

``JIENENG_TEST_DB`` = ``sqlite`` | ``postgresql`` | ``both`` (default: both when the
PostgreSQL server answers, else SQLite only). ``JIENENG_TEST_PG_URL`` overrides the
server (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each
PostgreSQL test gets a fresh schema ``t_<uuid>`` through ``search_path``, dropped
afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

PG_URL = os.environ.get(
    "JIENENG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=2):
            return True
    except Exception:
        return False


def _backends() -> list[str]:
    choice = os.environ.get("JIENENG_TEST_DB", "").strip().lower()
    if choice == "sqlite":
        return ["sqlite"]
    if choice in ("postgresql", "postgres", "pg"):
        return ["postgresql"]
    if choice == "both":
        return ["sqlite", "postgresql"]
    return ["sqlite", "postgresql"] if _pg_reachable() else ["sqlite"]


BACKENDS = _backends()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jieneng.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database."""
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()
