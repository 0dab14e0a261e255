"""Dated lifecycle history on both databases (bulk import of existing projects, the
demo): a move may carry a stated past date — not in the future, not before the previous
event — kept in ``at`` with the entry time in ``recorded_at`` and audited with both."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Role
from jieneng.core.projects.spec import project_spec
from jieneng.services.projects.lifecycle import (
    date_registration,
    enter_history,
    move_project,
    stated_time,
)
from jieneng.services.projects.registry import create_project, get_project
from jieneng.storage import tables as t
from tests.sample import SCHOOL, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    found = load(engine, files)
    create_project(engine, ADMIN, project_spec(
        code="RT-1", name="阳朔一中照明改造", type_text="节能改造", owners=[SCHOOL],
        year=2023, area_m2=8000.0))
    return found


def test_a_history_is_entered_with_stated_dates_and_audited_as_such(
        engine: Engine, ids: dict[str, int]) -> None:
    before = datetime.now(UTC)
    done = enter_history(engine, ADMIN, "RT-1", date(2023, 2, 1), [
        ("approval", date(2023, 3, 1), None), ("procurement", date(2023, 4, 10), None),
        ("contracted", date(2023, 5, 20), None), ("baseline", date(2023, 6, 1), None),
        ("implementation", date(2023, 7, 1), None), ("monitoring", date(2024, 1, 1), None)])
    assert [d["at"][:10] for d in done] == ["2023-01-31", "2023-02-28", "2023-04-09",
                                             "2023-05-19", "2023-05-31", "2023-06-30",
                                             "2023-12-31"]  # 00:00 China time, in UTC
    assert stated_time(date(2024, 1, 1)) == datetime(2023, 12, 31, 16, tzinfo=UTC)
    events = get_project(engine, ADMIN, "RT-1")["events"]
    assert [e["to"] for e in events] == ["declared", "approval", "procurement", "contracted",
                                         "baseline", "implementation", "monitoring"]
    assert all(e["recorded_at"] is not None for e in events)
    entered = datetime.fromisoformat(events[-1]["recorded_at"])
    entered = entered if entered.tzinfo else entered.replace(tzinfo=UTC)
    assert entered >= before - timedelta(seconds=5)
    assert get_project(engine, ADMIN, "RT-1")["state"] == "monitoring"
    with engine.connect() as conn:
        rows = conn.execute(select(t.audit_log.c.action, t.audit_log.c.username,
                                   t.audit_log.c.after).where(
            t.audit_log.c.action.in_(["projects.move", "projects.date_registration"]))
            .order_by(t.audit_log.c.id)).all()
    assert [r.action for r in rows][:2] == ["projects.date_registration", "projects.move"]
    assert {r.username for r in rows} == {"admin1"}
    assert json.loads(rows[-1].after)["stated_at"].startswith("2023-12-31T16:00")


def test_a_stated_date_in_the_future_or_before_the_previous_event_is_refused(
        engine: Engine, ids: dict[str, int]) -> None:
    date_registration(engine, ADMIN, "RT-1", date(2023, 2, 1))
    with pytest.raises(ValidationFailed) as future:
        move_project(engine, ADMIN, "RT-1", "approval", at=date.today() + timedelta(days=2))
    assert future.value.code == "project_move_date_future"
    with pytest.raises(ValidationFailed) as early:
        move_project(engine, ADMIN, "RT-1", "approval", at=date(2023, 1, 15))
    assert early.value.code == "project_move_date_before"
    move_project(engine, ADMIN, "RT-1", "approval", at=date(2023, 3, 1))
    with pytest.raises(ValidationFailed) as fresh:  # no re-dating once it moved
        date_registration(engine, ADMIN, "RT-1", date(2023, 1, 1))
    assert fresh.value.code == "project_history_not_new"
    undated = move_project(engine, ADMIN, "RT-1", "procurement")  # now: after them all
    assert undated["recorded_at"] is None
    with pytest.raises(ValidationFailed) as after_now:
        move_project(engine, ADMIN, "RT-1", "contracted", at=date(2024, 1, 1))
    assert after_now.value.code == "project_move_date_before"
    assert get_project(engine, ADMIN, "RT-1")["events"][-1]["recorded_at"] is None


def test_the_command_line_enters_a_history_and_pv_generation(
        db_url: str, files: Files, tmp_path: Path) -> None:
    from tests.cli.test_projects_cli import HEAD, run, setup

    setup(db_url, files)
    path = write_csv(tmp_path / "p.csv", HEAD, [
        ["PV-1", "屋顶光伏", "分布式光伏", "", SCHOOL, "2023", "", "100", "40", ""]])
    assert run(db_url, "projects", "import", str(path)).exit_code == 0
    assert run(db_url, "projects", "declared-on", "PV-1", "2023-02-01").exit_code == 0
    moved = run(db_url, "projects", "move", "PV-1", "审批", "--at", "2023-03-01",
                "--format", "json")
    assert json.loads(moved.output)["at"].startswith("2023-02-28T16:00")
    early = run(db_url, "projects", "move", "PV-1", "采购", "--at", "2023-01-01")
    assert early.exit_code == 1 and "before the project's previous move" in early.output
    got = run(db_url, "projects", "generation", "PV-1", "--month", "2024-06", "--kwh",
              "9000", "--self-consumed", "7000", "--exported", "2000", "--source",
              "电网结算单", "--format", "json")
    assert got.exit_code == 0
    assert json.loads(got.output)["months"][0]["self_consumed_kwh"] == 7000.0
    table = run(db_url, "projects", "generation", "PV-1")
    assert table.exit_code == 0 and "2024-06" in table.output and "reported" in table.output
    counts = json.loads(run(db_url, "projects", "counts", "--year", "2024", "--format",
                            "json").output)
    assert counts["pv_generation"]["kwh"] == 9000.0
