"""Who files for a unit (issue 11 §1, leftovers): a return, a question and a 催报 reach
the unit's own accounts; a unit without one, its 主管部门's accounts; without those,
the accounts of the lowest region above it that has any — on both databases, in one
statement for any number of tasks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from jieneng.core.caller import Actor, User
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.notifications import notify
from jieneng.services.workflow import reminders
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.storage import notify as store
from jieneng.storage import tables as t
from jieneng.storage.institutions import get_institution
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.notify_world import add_period, settings_for

CLI = Actor.cli()
PASSWORD = "Correct-Horse-Battery-9"
DEADLINE = date(2025, 4, 10)


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, Any]:
    """The school has its 统计员; the silent school (阳朔) and the 秀峰 organ have none;
    阳朔 has a county office account (and a locked one), 桂林 a city account."""
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for code in (ORGAN, SCHOOL, SILENT):
            row = get_institution(conn, code)
            assert row is not None
            out[code] = int(row.id)
    out["clerk"] = create_user(engine, CLI, username="school", password=PASSWORD,
                               role="institution", institution=SCHOOL)
    out["county"] = create_user(engine, CLI, username="yangshuo", password=PASSWORD,
                                role="region", region_code="450321")
    locked = create_user(engine, CLI, username="yangshuo2", password=PASSWORD,
                         role="region_admin", region_code="450321")
    out["city"] = create_user(engine, CLI, username="guilin", password=PASSWORD,
                              role="region", region_code="450300")
    with engine.begin() as conn:
        conn.execute(update(t.app_user).where(t.app_user.c.id == locked.id)
                     .values(is_locked=True))
    out["tasks"] = add_period(engine, region_code="450300", deadline=DEADLINE, tasks={
        out[SCHOOL]: "not_started", out[SILENT]: "returned", out[ORGAN]: "in_progress"})
    return out


def _filers(engine: Engine, world: dict[str, Any], *, exclude: int | None = None
            ) -> dict[str, list[int]]:
    tasks: dict[int, int] = world["tasks"]
    statements: list[str] = []

    def count(*args: Any) -> None:
        if not str(args[2]).startswith("BEGIN"):
            statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            found = store.task_filers(conn, tasks.values(), exclude_user=exclude)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, "one statement for every task, never one per unit"
    return {code: found.get(tasks[world[code]], []) for code in (SCHOOL, SILENT, ORGAN)}


def test_own_accounts_then_the_county_then_the_city(engine: Engine, world: dict[str, Any]
                                                    ) -> None:
    clerk, county, city = world["clerk"], world["county"], world["city"]
    assert _filers(engine, world) == {
        SCHOOL: [clerk.id],      # its own 统计员 only, not the offices above
        SILENT: [county.id],     # no account: the county (the locked one is not asked)
        ORGAN: [city.id],        # 秀峰 has no office account: the city files for it
    }


def test_the_competent_department_before_the_region(engine: Engine, world: dict[str, Any]
                                                     ) -> None:
    """The silent school's 主管部门 is the organ; a department account pinned to the
    organ files for both (the organ is a unit of its own department)."""
    with engine.begin() as conn:
        conn.execute(update(t.institution).where(t.institution.c.id == world[SILENT])
                     .values(department_id=world[ORGAN]))
    dept = create_user(engine, CLI, username="bureau", password=PASSWORD, role="department",
                       institution=ORGAN)
    found = _filers(engine, world)
    assert found[SILENT] == [dept.id] and found[ORGAN] == [dept.id]
    # the actor is left out of the answer, not of the ranking: nobody else is told
    assert _filers(engine, world, exclude=dept.id)[SILENT] == []


def test_returns_and_reminders_reach_whoever_files(engine: Engine, world: dict[str, Any],
                                                   db_url: str) -> None:
    clerk: User = world["clerk"]
    county: User = world["county"]
    city: User = world["city"]
    tasks: dict[int, int] = world["tasks"]
    settings = settings_for(db_url)
    # the silent school's report, submitted by the county office that files for it,
    # returned by the city: the county learns it
    with engine.begin() as conn:
        conn.execute(update(t.reporting_task).where(t.reporting_task.c.id == tasks[world[SILENT]])
                     .values(state="submitted"))
    workflow_tasks.act(engine, city, tasks[world[SILENT]], "return", reason="请核实",
                       settings=settings)
    note = notify.user_notifications(engine, county.id)["items"]
    assert [n["kind"] for n in note] == ["returned"] and "请核实" in note[0]["body"]
    assert notify.user_notifications(engine, city.id)["total"] == 0  # not the actor

    # 催报 of every overdue task of the period by the city: the school's clerk and the
    # county get theirs; the organ's filer is the city itself, which pressed the button
    period = add_period(engine, region_code="450300", deadline=DEADLINE, month=4, tasks={
        world[SCHOOL]: "not_started", world[SILENT]: "not_started",
        world[ORGAN]: "not_started"})
    with engine.connect() as conn:
        period_id = conn.execute(t.reporting_task.select().where(
            t.reporting_task.c.id == period[world[SCHOOL]])).one().period_id
    out = reminders.remind(engine, settings, city, period_id=period_id,
                           day=DEADLINE + timedelta(days=1))
    assert (out["tasks"], out["reminded"], out["recipients"]) == (3, 2, 2)
    assert (out["unreachable"], out["own"], out["already"]) == (0, 1, 0)  # the organ: its own
    assert notify.user_notifications(engine, clerk.id)["items"][0]["kind"] == "reminder"
    mine = notify.user_notifications(engine, county.id)["items"]
    assert mine[0]["kind"] == "reminder" and "阳朔县演示第二中学" in mine[0]["body"]
    assert notify.user_notifications(engine, city.id)["total"] == 0


def test_an_office_filing_for_several_units_gets_one_digest(
    engine: Engine, world: dict[str, Any], db_url: str,
) -> None:
    """The daily run: the city files for the organ and (without the county's account)
    for the silent school — one notification listing both, not one per unit."""
    with engine.begin() as conn:
        conn.execute(update(t.app_user).where(t.app_user.c.id == world["county"].id)
                     .values(is_locked=True))
    settings = settings_for(db_url, remind_overdue_days=3)
    run = reminders.run_reminders(engine, settings, day=DEADLINE + timedelta(days=1))
    app = next(line for line in run.lines if line.channel == "app")
    assert (app.tasks, app.recipients) == (3, 2)
    city = notify.user_notifications(engine, world["city"].id)["items"]
    assert len(city) == 1
    body = city[0]["body"]
    assert "阳朔县演示第二中学" in body and "秀峰区演示机关事务服务中心" in body
