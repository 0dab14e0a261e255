"""NY202 / NY203 reviewed with the month's report, on both databases: the task's
period shows the institution's rooms and heating; a submitted or approved month
refuses their entry and import with NY201's lock (one rule); an open month saves
and moves its task to 录入中."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from jieneng.core.caller import command_line_user
from jieneng.core.exceptions import Conflict
from jieneng.core.permissions import Role
from jieneng.services.forms_ny.entry import add_room, save_heating, save_room_figures
from jieneng.services.forms_ny.imports import import_form
from jieneng.services.forms_ny.review import task_forms
from jieneng.services.workflow import periods
from jieneng.storage import tables as t
from tests.forms_ny.test_services import DC_HEADERS
from tests.sample import ORGAN, SCHOOL, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


def _task_state(engine: Engine, institution_id: int, month: int, state: str | None = None
                ) -> str:
    task, p = t.reporting_task, t.reporting_period
    with engine.begin() as conn:
        ids = select(task.c.id).join(p, p.c.id == task.c.period_id).where(
            task.c.institution_id == institution_id, p.c.year == 2025, p.c.month == month)
        if state is not None:
            conn.execute(update(task).where(task.c.id.in_(ids)).values(state=state))
        return str(conn.execute(select(task.c.state).where(task.c.id.in_(ids))).scalar_one())


def test_an_approved_month_locks_rooms_and_heating_an_open_month_saves(
        engine: Engine, files: Files, tmp_path: Path) -> None:
    ids = load(engine, files)
    for month in (1, 2):
        periods.open_period(engine, command_line_user(), region_code="450321",
                            period=f"2025-{month:02d}")
    add_room(engine, ADMIN, SCHOOL, code="S1", name="校园网机房", status="new")
    assert task_forms(engine, ADMIN, SCHOOL, 2025, 1) is None  # a room without figures
    save_room_figures(engine, ADMIN, SCHOOL, room_code="S1", year=2025, month=1,
                      values={"area": 40.0, "elec_total": 1400.0, "elec_it": 1000.0})
    assert _task_state(engine, ids[SCHOOL], 1) == "in_progress"  # the save started it
    forms = task_forms(engine, ADMIN, SCHOOL, 2025, 1)
    assert forms is not None and forms["heating"] is None and forms["above"] == 1
    (room,) = forms["rooms"]
    assert (room["room_code"], room["elec_total"], room["elec_it"], room["pue"],
            room["pue_source"], room["target"], room["above"]) == (
        "S1", 1400.0, 1000.0, 1.4, "form", 1.3, True)
    assert task_forms(engine, ADMIN, SCHOOL, 2025, None) is None  # no annual report
    assert task_forms(engine, ADMIN, ORGAN, 2025, 1) is None

    _task_state(engine, ids[SCHOOL], 1, "approved")
    with pytest.raises(Conflict) as err:
        save_room_figures(engine, ADMIN, SCHOOL, room_code="S1", year=2025, month=1,
                          values={"area": 40.0, "elec_total": 1300.0, "elec_it": 1000.0})
    assert err.value.code == "workflow.figures_locked" and "已审核" in err.value.message_zh
    with pytest.raises(Conflict) as err:
        save_heating(engine, ADMIN, SCHOOL, year=2025, month=1, values={"heated_area": 10.0})
    assert err.value.code == "workflow.figures_locked"
    rows = [[SCHOOL, 2025, 1, "S1", "校园网机房", "新建", 40, 6, 1, 1300, 1000]]
    file = write_csv(tmp_path / "dc.csv", DC_HEADERS, rows)
    for dry_run in (True, False):
        with pytest.raises(Conflict) as err:
            import_form(engine, "datacentre", file, dry_run=dry_run)
        assert err.value.code == "workflow.figures_locked"
    forms = task_forms(engine, ADMIN, SCHOOL, 2025, 1)
    assert forms is not None and forms["rooms"][0]["elec_total"] == 1400.0  # unchanged

    # the open month still saves, by hand and from a file
    save_heating(engine, ADMIN, SCHOOL, year=2025, month=2, values={
        "heated_area": 100.0, "area_independent": 100.0, "natural_gas": 1000.0})
    later = write_csv(tmp_path / "dc2.csv", DC_HEADERS,
                      [[SCHOOL, 2025, 2, "S1", "校园网机房", "新建", 40, 6, 1, 1250, 1000]])
    assert import_form(engine, "datacentre", later).counts["inserted"] == 1
    forms = task_forms(engine, ADMIN, SCHOOL, 2025, 2)
    assert forms is not None and forms["heating"]["heated_area"] == 100.0
    assert forms["rooms"][0]["pue"] == pytest.approx(1.25) and forms["above"] == 0
    assert _task_state(engine, ids[SCHOOL], 2) == "in_progress"
