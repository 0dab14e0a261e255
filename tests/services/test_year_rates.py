"""The one rule of every yearly rate (上报率, 审核率): a task counts once its period has
ended and its deadline has passed (storage.reporting.period_due) — in the 会审 report,
its Word document and the publish check alike; the tasks not yet due are counted
apart (not_due) and never as 未上报."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import Engine

from jieneng.core.messages import text
from jieneng.core.scope import Scope
from jieneng.reports.review_report import review_report_docx
from jieneng.services.publishing.publication import Thresholds, readiness
from jieneng.services.quality.review_report import review_report
from jieneng.storage import tables as t
from tests.services.spot_world import SpotWorld, add_tasks, load


def _period(engine: Engine, year: int, month: int, deadline: date) -> int:
    with engine.begin() as conn:
        return int(conn.execute(t.reporting_period.insert().values(
            region_code="450300", kind="annual" if month == 0 else "monthly", year=year,
            month=month, deadline=deadline, opened_at=datetime(2026, 1, 1, tzinfo=UTC),
        ).returning(t.reporting_period.c.id)).scalar_one())


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> SpotWorld:
    """秀峰区's 15 units, four periods of 2026: October (deadline 11-10; 10 reported, 5
    not), November (deadline 12-10; none yet), December (deadline 12-01 typed before
    the month ended; 2 reported) and the 年报 (deadline 2027-01-31)."""
    w = load(engine, tmp_path)
    units = [w.ids[c] for c in w.codes("450302")]
    october = _period(engine, 2026, 10, date(2026, 11, 10))
    add_tasks(engine, october, {u: "submitted" if n < 10 else "not_started"
                                for n, u in enumerate(units)})
    add_tasks(engine, _period(engine, 2026, 11, date(2026, 12, 10)),
              dict.fromkeys(units, "not_started"))
    add_tasks(engine, _period(engine, 2026, 12, date(2026, 12, 1)),
              {u: "approved" if n < 2 else "in_progress" for n, u in enumerate(units)})
    add_tasks(engine, _period(engine, 2026, 0, date(2027, 1, 31)),
              dict.fromkeys(units, "not_started"))
    return w


@pytest.mark.parametrize(("as_of", "expected", "reported", "approved", "not_due"), [
    (date(2026, 11, 10), 0, 0, 0, 60),    # October's deadline is today: not yet due
    (date(2026, 12, 3), 15, 10, 0, 45),   # October only
    (date(2026, 12, 11), 30, 10, 0, 30),  # November's deadline passed
    (date(2027, 1, 2), 45, 12, 2, 15),    # December ended
    (date(2027, 2, 1), 60, 12, 2, 0),     # the 年报 too
])
def test_only_tasks_due_count(world: SpotWorld, as_of: date, expected: int, reported: int,
                              approved: int, not_due: int) -> None:
    report = review_report(world.engine, Scope.everything(), region_code="450300", year=2026,
                           as_of=as_of)
    total = report["completeness"]["total"]
    assert (total["expected"], total["reported"], total["approved"], total["not_due"]) == (
        expected, reported, approved, not_due)
    assert total["reporting_rate"] == (reported / expected if expected else None)
    assert report["completeness"]["as_of"] == as_of.isoformat()
    ready = readiness(world.engine, "450300", 2026, Thresholds(), publishing=False,
                      as_of=as_of)
    assert ready["tasks"] == {"expected": expected, "reported": reported,
                              "approved": approved, "not_due": not_due,
                              "as_of": as_of.isoformat()}
    assert ready["reporting_rate"] == total["reporting_rate"]


def test_the_document_says_what_the_rates_count(world: SpotWorld) -> None:
    report = review_report(world.engine, Scope.everything(), region_code="450300", year=2026,
                           as_of=date(2026, 12, 3))
    doc = Document(io.BytesIO(review_report_docx(report, lambda k: text("zh-CN", k)
                                                 if k == "review.due_basis" else k)))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "上报率、审核率按截至 2026-12-03 已到期的 15 项任务计算" in body
    assert "尚未到期的 45 项任务不计入" in body
