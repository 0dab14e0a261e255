"""The year of one institution (issue 11 §1): figures stored before a period opened
belong to its tasks; the grid's save is all or nothing and checks each month against
the month typed before it; locked months; the annual 基本信息 (NY101)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.services.entry import profile, year
from jieneng.services.entry.entry import check_months, save_months
from jieneng.services.entry.entry_checks import EntryValue
from jieneng.services.entry.imports import import_file
from jieneng.services.workflow import periods as workflow_periods
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.storage.institutions import get_institution
from jieneng.storage.tables import consumption_record, reporting_task, task_transition
from tests.sample import make_files, write_csv
from tests.services.test_reporting import (
    COUNTY,
    HEADER,
    ROWS,
    SCHOOL,
    SILENT,
    clerk,
    task_of,
)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """The regions and the four institutions of tests/services/test_reporting.py."""
    import_file(engine, "regions", make_files(tmp_path).regions)
    import_file(engine, "institutions", write_csv(tmp_path / "dir.csv", HEADER, ROWS))
    with engine.connect() as conn:
        found = {row[0]: get_institution(conn, row[0]) for row in ROWS}
    return {code: row.id for code, row in found.items() if row is not None}


def _records(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(consumption_record)).scalar_one())


def test_figures_imported_before_the_period_opened_are_picked_up(
    engine: Engine, world: dict[str, int], tmp_path: Path,
) -> None:
    """Import 2024-12 for SCHOOL, then open the period: its task is 录入中 at once and can
    be submitted without saving the unchanged form again; SILENT (no figures) is 未录入."""
    file = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"],
                     [[SCHOOL, 2024, 12, 500]])
    import_file(engine, "consumption", file)
    opened = workflow_periods.open_period(engine, COUNTY, region_code="450321",
                                          period="2024-12")
    assert opened["tasks_started"] == 1
    task = task_of(engine, world, SCHOOL)
    assert task["state"] == "in_progress"
    assert task_of(engine, world, SILENT)["state"] == "not_started"
    with engine.connect() as conn:
        history = conn.execute(select(task_transition.c.action, task_transition.c.to_state)
                               .where(task_transition.c.task_id == task["id"])).all()
    assert [tuple(h) for h in history] == [("save", "in_progress")]
    moved = workflow_tasks.act(engine, clerk(world), int(task["id"]), "submit")
    assert moved["state"] == "submitted"
    # an annual period picks up the months with figures too
    opened = workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024")
    assert opened["tasks_started"] == 1


def test_the_grid_save_is_all_or_nothing(engine: Engine, world: dict[str, int]) -> None:
    me = clerk(world)
    before = _records(engine)
    with pytest.raises(ValidationFailed) as err:
        save_months(engine, me.scope, SCHOOL, 2024, {
            1: [EntryValue("electricity", "100")],
            5: [EntryValue("water", "-3")]}, actor=me.actor)
    assert [f["month"] for f in err.value.details["fields"]] == [5]
    assert _records(engine) == before
    saved = year.save_year(engine, me, SCHOOL, 2024, {
        1: [EntryValue("electricity", "100", None, "80")], 2: [EntryValue("electricity", "105")],
        3: []})
    assert saved["months"] == [1, 2] and saved["inserted"] == 2 and saved["warnings"] == []
    grid = year.year_grid(engine, me, SCHOOL, 2024)
    assert grid["months"][0]["values"]["electricity"]["cost_yuan"] == 80
    assert grid["totals"]["electricity"]["quantity"] == 205
    assert grid["months"][0]["totals"]["energy_tce"] == pytest.approx(100 * 0.1229 / 1000)


def test_a_month_is_checked_against_the_month_typed_before_it(
    engine: Engine, world: dict[str, int],
) -> None:
    me = clerk(world)
    found = check_months(engine, me.scope, SCHOOL, 2024, {
        1: [EntryValue("electricity", "100")], 2: [EntryValue("electricity", "400")]})
    assert found[1] == [] and [f.code for f in found[2]] == ["entry.jump_mom"]


def test_locked_months_are_shown_and_refused(engine: Engine, world: dict[str, int]) -> None:
    me = clerk(world)
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-03")
    year.save_year(engine, me, SCHOOL, 2024, {3: [EntryValue("electricity", "100")]})
    status = year.month_status(engine, me, SCHOOL, 2024, 3)
    assert status["task"]["can_submit"] and not status["locked"]
    year.submit_month(engine, me, SCHOOL, 2024, 3)
    grid = year.year_grid(engine, me, SCHOOL, 2024)
    assert grid["months"][2]["locked"] and grid["months"][2]["locked_state"] == "submitted"
    assert not grid["months"][3]["locked"]
    with pytest.raises(Conflict):  # even an error elsewhere: the lock answers first
        year.save_year(engine, me, SCHOOL, 2024, {3: [EntryValue("electricity", "1")],
                                                   4: [EntryValue("water", "x")]})
    with pytest.raises(NotFound):
        year.submit_month(engine, me, SCHOOL, 2024, 4)  # no period of April


def test_the_profile_is_checked_stored_and_locked_by_the_annual_report(
    engine: Engine, world: dict[str, int],
) -> None:
    me = clerk(world)
    with pytest.raises(ValidationFailed) as err:
        profile.save_profile(engine, me, SCHOOL, 2024, {"occupants": "3.5"})
    assert err.value.details["field"] == "occupants"
    with pytest.raises(ValidationFailed):
        profile.save_profile(engine, me, SCHOOL, 2024, {"floor_area_m2": "-1"})
    profile.save_profile(engine, me, SCHOOL, 2024, {"occupants": "80", "floor_area_m2": "1,200.5",
                                                   "vehicles_nev": 2})
    form = profile.profile_form(engine, me, SCHOOL, 2024)
    assert form["values"]["occupants"] == 80 and form["values"]["floor_area_m2"] == 1200.5
    assert form["values"]["staff_quota"] is None and form["locked"] is None
    assert profile.profile_form(engine, me, SCHOOL, 2025)["last_year"]["occupants"] == 80
    opened = workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024")
    with engine.begin() as conn:  # the 年报 submitted (its own checks are not this test's)
        conn.execute(update(reporting_task).where(reporting_task.c.period_id == opened["id"])
                     .values(state="submitted"))
    assert profile.profile_form(engine, me, SCHOOL, 2024)["locked"] == "submitted"
    with pytest.raises(Conflict):
        profile.save_profile(engine, me, SCHOOL, 2024, {"occupants": "81"})
    with pytest.raises(NotFound):
        profile.profile_form(engine, clerk(world, SILENT), SCHOOL, 2024)
