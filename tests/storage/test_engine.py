from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from jieneng.storage.engine import brief_write, make_engine, normalise_url


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


def _hold_write_lock(engine: Engine, release: threading.Event) -> threading.Thread:
    """A thread that has written a row to ``t`` and holds the write lock until ``release``."""
    holding = threading.Event()

    def writer() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    return thread


def test_sqlite_write_transactions_take_the_write_lock_up_front(tmp_path: Path) -> None:
    """A write transaction that reads and then writes while another writer holds the
    lock waits for it (``BEGIN IMMEDIATE``) instead of failing with ``database is
    locked`` on a stale snapshot; reads (``engine.connect()``) do not take the lock."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        release = threading.Event()
        thread = _hold_write_lock(engine, release)
        with engine.connect() as reader:  # not blocked by the writer (WAL)
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        threading.Timer(0.3, release.set).start()
        with engine.begin() as conn:  # waits for the writer, then sees its row
            seen = conn.execute(text("SELECT count(*) FROM t")).scalar()
            conn.execute(text("INSERT INTO t VALUES (2)"))
        thread.join(10)
        assert seen == 1
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        engine.dispose()


def test_brief_write_gives_up_quickly_on_a_busy_sqlite_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.begin() as holder:
            holder.execute(text("INSERT INTO t VALUES (1)"))
            started = time.monotonic()
            with pytest.raises(OperationalError), brief_write(engine, wait_ms=100) as conn:
                conn.execute(text("INSERT INTO t VALUES (2)"))
            assert time.monotonic() - started < 5
        with brief_write(engine) as conn:  # free again
            conn.execute(text("INSERT INTO t VALUES (3)"))
        for _ in range(2):  # every pooled connection has its normal busy timeout back
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 3]
    finally:
        engine.dispose()


def test_brief_write_gives_up_when_another_thread_of_the_process_writes(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        release = threading.Event()
        thread = _hold_write_lock(engine, release)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), \
                brief_write(engine, wait_ms=100):
            pass
        assert time.monotonic() - started < 5
        release.set()
        thread.join(10)
        with brief_write(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        engine.dispose()
