"""Outputs made of several parts read one snapshot on one connection: a write committed
between two part reads (injected here by wrapping the reader of a later part) does not
show in that part — the 通报 (annual notification), the 会审 report and the big screen,
on both databases (SQLite: one deferred transaction under WAL; PostgreSQL: one
REPEATABLE READ read-only transaction, :func:`jieneng.storage.engine.read_snapshot`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from jieneng.core.caller import Actor
from jieneng.core.permissions import Role
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.publishing.annual_report import annual_data
from jieneng.services.publishing.publication import publish
from jieneng.services.quality import review_report
from jieneng.services.statistics import publication_figures
from jieneng.settings import load_settings
from jieneng.storage import meta
from jieneng.storage import tables as t
from jieneng.web.screen import screen_data
from tests.sample import Files
from tests.services.spot_world import add_finding, load, user


def _rename(engine: Engine, code: str, name: str) -> None:
    """A committed write of another request: a region renamed (new data version)."""
    with engine.begin() as conn:
        conn.execute(update(t.region).where(t.region.c.code == code).values(name=name))
        meta.touch_data_version(conn)


def _write_first(write: Callable[[], None], reader: Callable[..., Any]) -> Callable[..., Any]:
    """``reader`` that first lets another connection commit ``write``."""
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        write()
        return reader(*args, **kwargs)
    return wrapped


@pytest.fixture
def loaded(engine: Engine, files: Files) -> Engine:
    for kind in ("regions", "institutions", "profiles", "consumption"):
        import_file(engine, kind, getattr(files, kind))
    return engine


def test_the_annual_report_reads_one_snapshot(loaded: Engine, monkeypatch: Any) -> None:
    admin = create_user(loaded, Actor.cli(), username="root", password="Pass-Word-123",
                        role="admin")
    monkeypatch.setattr(review_report, "review_report", _write_first(
        lambda: _rename(loaded, "450300", "改名市"), review_report.review_report))
    data = annual_data(loaded, admin, region_code="450300", year=2025)
    assert data["overview"]["region"]["name"] == "桂林市"
    assert data["review"]["region_name"] == "桂林市"  # not the name committed meanwhile


def test_the_review_report_reads_one_snapshot(engine: Engine, tmp_path: Path,
                                              monkeypatch: Any) -> None:
    world = load(engine, tmp_path)
    first = world.ids[world.codes("450302")[0]]
    add_finding(engine, first, "yoy_change", "warning", "open")
    monkeypatch.setattr(review_report, "unresolved_warnings", _write_first(
        lambda: add_finding(engine, first, "yoy_change", "warning", "open", carrier="water"),
        review_report.unresolved_warnings))
    report = review_report.review_report(engine, user(Role.ADMIN).scope, region_code="450300",
                                         year=2025)
    assert report["findings"]["total"]["open"] == 1
    assert [w["open_warnings"] for w in report["unresolved_warnings"]] == [1]


def test_the_big_screen_reads_one_snapshot(loaded: Engine, monkeypatch: Any) -> None:
    publish(loaded, actor=Actor.cli(), region_code="450300", year=2025)
    monkeypatch.setattr(publication_figures, "publication", _write_first(
        lambda: _rename(loaded, "450321", "改名县"), publication_figures.publication))
    data = screen_data(loaded, load_settings(database_url=str(loaded.url)), "450300")
    children = {g["code"]: g["name"] for g in data["by_child_region"]}
    named = {i["region_name"] for i in data["institutions"] if i["region_code"] == "450321"}
    assert children["450321"] == "阳朔县" and named == {"阳朔县"}
