"""Writers at the same moment, in one process (issue 9): what waits, what is refused.

The HTTP-level bursts against a real server are in ``tests/web/test_concurrency.py``.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, text

from jieneng.core.exceptions import Conflict
from jieneng.services.audit import Actor
from jieneng.services.imports import import_file
from jieneng.services.users import create_user, list_users
from tests.sample import Files

STRONG = "Tq7!concurrent-accounts"


def _hold_write_lock(engine: Engine, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """A thread holding a write transaction (an uncommitted insert) for ``seconds``."""
    holding = threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('held', 'x')"))
            holding.set()
            time.sleep(seconds)
            conn.execute(text("DELETE FROM meta WHERE key = 'held'"))

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    return thread, holding


def test_a_dry_run_import_does_not_wait_for_a_writer(engine: Engine, files: Files) -> None:
    thread, _ = _hold_write_lock(engine, 4.0)
    started = time.monotonic()
    report = import_file(engine, "regions", files.regions, dry_run=True)
    took = time.monotonic() - started
    thread.join(10)
    assert report.dry_run and report.records > 0
    assert took < 3.0, took  # a read: it did not queue behind the writer


def test_simultaneous_creates_of_one_name_make_one_account(engine: Engine) -> None:
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def create() -> None:
        barrier.wait()
        try:
            create_user(engine, Actor.cli(), username="same", password=STRONG, role="admin")
            outcomes.append("created")
        except Conflict as err:
            assert "已存在" in err.message_zh and "taken" in err.message_en
            outcomes.append("taken")

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["created"] + ["taken"] * 5
    assert [u.username for u in list_users(engine)["items"]] == ["same"]


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from jieneng.services import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
