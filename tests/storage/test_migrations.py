from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import current_revision, downgrade, head_revision, upgrade
from jieneng.storage.schema import metadata


def test_fresh_database_has_no_revision(db_url: str) -> None:
    assert current_revision(db_url) is None


def test_upgrade_head_matches_metadata(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, metadata)
        assert diff == []
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        assert set(metadata.tables) <= names
        upgrade(engine)  # idempotent
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_indexes_and_partial_unique_index(engine: Engine) -> None:
    with engine.connect() as conn:
        ix = {i["name"]: i for i in inspect(conn).get_indexes("consumption_record")}
    assert ix["uq_consumption_record_current"]["unique"]
    assert ix["uq_consumption_record_key_revision"]["column_names"] == [
        "institution_id", "year", "month", "carrier", "revision"]


def test_downgrade_to_base(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
        assert not (set(metadata.tables) & names)
    finally:
        engine.dispose()
