"""The services tests' shared fixture: the 桂林 demo city, read by several modules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from jieneng.services.database import open_database
from jieneng.services.demo import build_demo
from jieneng.services.demo_metering import hours_ago
from tests.conftest import PG_URL, _backends
from tests.templates import DemoCity


@pytest.fixture(scope="session", params=_backends())
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         demo_city: DemoCity) -> Iterator[Engine]:
    """The 桂林 demo city (2023–2025) in a database of each backend, built once per
    worker (SQLite: a copy of the run's demo city) and only read by its tests
    (test_dashboard, test_directory: one xdist group, so one worker builds it)."""
    files = tmp_path_factory.mktemp("demo")
    if request.param == "sqlite":
        engine = open_database(demo_city.copy(files))
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        with pytest.MonkeyPatch.context() as patch:  # demo files in a private directory
            patch.setenv("XDG_DATA_HOME", str(files))
            build_demo(url, metered_since=hours_ago(36))  # a short metered history
        engine = open_database(url)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
