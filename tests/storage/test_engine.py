from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from jieneng.storage.engine import make_engine, normalise_url


def test_normalise_url() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_file_pragmas_and_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "jieneng.db"
    engine = make_engine(f"sqlite:///{path}")
    assert path.parent.is_dir() and not path.exists()  # nothing connects before use
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_transactions_are_real(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn2 = engine.connect()
        trans = conn2.begin()
        conn2.execute(text("INSERT INTO t VALUES (1)"))
        savepoint = conn2.begin_nested()
        conn2.execute(text("INSERT INTO t VALUES (2)"))
        savepoint.rollback()
        trans.rollback()
        conn2.close()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()


def test_in_memory_sqlite() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
