"""Cached dashboard results: hit while the data version holds, recomputed after any
write that can change a figure — also when the write came through another engine
(another server process)."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import Engine

from jieneng.core.scope import Scope
from jieneng.services import result_cache
from jieneng.services.database import open_database
from jieneng.services.statistics.overview import latest_year, overview
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from jieneng.storage.institutions import upsert_profiles
from jieneng.storage.meta import data_version, set_meta
from tests.storage._data import figures, load_directory


def _overview(engine: Engine) -> dict[str, object]:
    return overview(engine, Scope.everything(), region_code="330000", year=2024)


@pytest.fixture
def ids(engine: Engine) -> dict[int, int]:
    with engine.begin() as conn:
        ids = load_directory(conn)
        write_consumption(conn, figures([
            (ids[2], 2024, 1, "electricity", 1000.0, 600.0),
            (ids[4], 2024, 1, "electricity", 3000.0, None),
        ]), source="manual", import_id=None)
    return ids


def test_hits_until_a_write(engine: Engine, db_url: str, ids: dict[int, int]) -> None:
    first = _overview(engine)
    before = result_cache.stats(engine)
    again = _overview(engine)
    assert again == first
    after = result_cache.stats(engine)
    assert after["hits"] == before["hits"] + 1
    # a copy: changing what the caller got does not change the cache
    again["energy_tce"] = -1
    assert _overview(engine)["energy_tce"] == first["energy_tce"]

    # figures written through another engine (another server process)
    other = open_database(db_url)
    try:
        with other.begin() as conn:
            write_consumption(conn, figures([(ids[3], 2024, 2, "electricity", 500.0, None)]),
                              source="manual", import_id=None)
    finally:
        other.dispose()
    changed = _overview(engine)
    assert changed["energy_tce"] > first["energy_tce"]  # type: ignore[operator]


@pytest.mark.parametrize("write", ["profile", "factor_choice"])
def test_other_writes_change_the_version(
    engine: Engine, ids: dict[int, int], write: str
) -> None:
    with engine.connect() as conn:
        version = data_version(conn)
    assert version is not None
    _overview(engine)
    with engine.begin() as conn:
        if write == "profile":
            upsert_profiles(conn, pl.DataFrame({
                "institution_id": [ids[2]], "year": [2024], "occupants": [1000]}),
                import_id=None)
        else:
            set_meta(conn, "factor_set:330000", "gbt2589-statistical")
    with engine.connect() as conn:
        assert data_version(conn) != version
    misses = result_cache.stats(engine)["misses"]
    _overview(engine)
    assert result_cache.stats(engine)["misses"] == misses + 1


def test_latest_year_cached_and_scoped(engine: Engine, ids: dict[int, int]) -> None:
    assert latest_year(engine, Scope.everything(), "330000") == 2024
    assert latest_year(engine, Scope.region("330200"), "330200") is None
    hits = result_cache.stats(engine)["hits"]
    assert latest_year(engine, Scope.everything(), "330000") == 2024
    assert latest_year(engine, Scope.region("330200"), "330200") is None
    assert result_cache.stats(engine)["hits"] == hits + 2


def test_no_version_no_caching(engine: Engine) -> None:
    """A database without a data version (written by an older jieneng and not
    migrated) is never served from the cache. Migration 0003 stores the first one."""
    with engine.begin() as conn:
        assert data_version(conn) is not None
        conn.execute(t.meta.delete().where(t.meta.c.key == "data_version"))
    assert latest_year(engine, Scope.everything(), None) is None
    assert latest_year(engine, Scope.everything(), None) is None
    assert result_cache.stats(engine)["hits"] == 0
