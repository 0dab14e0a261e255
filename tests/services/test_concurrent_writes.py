"""Writers at the same moment, in one process (issue 9): what waits, what is refused.

The HTTP-level bursts against a real server are in ``tests/web/test_concurrency.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from jieneng.core.caller import Actor
from jieneng.core.exceptions import Conflict
from jieneng.services.accounts.accounts import create_user, list_users
from jieneng.services.entry.imports import import_file
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

    from jieneng.services.accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                             parallelism=1))


def _paused_parse(monkeypatch: pytest.MonkeyPatch, name: str
                  ) -> tuple[threading.Event, threading.Event, list[int]]:
    """Make the import's first call of ``jieneng.ingest.<name>`` wait until released."""
    from jieneng.services.entry import imports

    real = getattr(imports, name)
    parsing, release, calls = threading.Event(), threading.Event(), []

    def paused(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            parsing.set()
            assert release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, name, paused)
    return parsing, release, calls


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except Exception as err:  # reported by the caller's assertion
            out.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_an_import_reads_its_file_without_holding_the_write_lock(
    engine: Engine, files: Files, monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsing, release, calls = _paused_parse(monkeypatch, "parse_regions")
    thread, out = _in_thread(lambda: import_file(engine, "regions", files.regions))
    assert parsing.wait(10)
    started = time.monotonic()
    with engine.begin() as conn:  # another writer while the file is being read
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('meanwhile', 'x')"))
    took = time.monotonic() - started
    release.set()
    thread.join(30)
    assert took < 3, took
    assert out and not isinstance(out[0], Exception), out
    assert out[0].counts and calls == [1]  # the directory did not change: read once


def test_an_import_checks_again_when_the_directory_changed_meanwhile(
    engine: Engine, files: Files, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    for kind in ("regions", "institutions"):
        import_file(engine, kind, getattr(files, kind))
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(files.institutions.read_text(encoding="utf-8").replace(
        "秀峰区演示机关事务服务中心", "秀峰区演示机关事务服务中心（更名）"), encoding="utf-8")
    parsing, release, calls = _paused_parse(monkeypatch, "parse_consumption")
    thread, out = _in_thread(lambda: import_file(engine, "consumption", files.consumption))
    assert parsing.wait(10)
    import_file(engine, "institutions", renamed)  # commits while the figures are read
    release.set()
    thread.join(30)
    assert out and not isinstance(out[0], Exception), out
    assert calls == [1, 1]  # checked again against the changed directory, then stored
    assert out[0].counts["inserted"] > 0
