"""NY202 / NY203 reviewed with the month's report (issue 12 §7), pages and JSON twins
on both databases: the task page shows the school's rooms and heating beside its
NY201 figures; once the month is approved the entry page shows it read-only with the
task's state and a save is refused with NY201's lock; an open month still saves."""

from __future__ import annotations

from sqlalchemy import select, update

from jieneng.core.caller import command_line_user
from jieneng.services.workflow import periods
from jieneng.storage import tables as t
from tests.web.conftest import SCHOOL, World, csrf


def _task(world: World, month: int, state: str | None = None) -> tuple[int, str]:
    """SCHOOL's task of 2025-``month``: id and state (set to ``state`` first if given)."""
    task, p = t.reporting_task, t.reporting_period
    with world.engine.begin() as conn:
        ids = select(task.c.id).join(p, p.c.id == task.c.period_id).where(
            task.c.institution_id == world.ids[SCHOOL], p.c.year == 2025, p.c.month == month)
        if state is not None:
            conn.execute(update(task).where(task.c.id.in_(ids)).values(state=state))
        row = conn.execute(select(task.c.id, task.c.state).where(task.c.id.in_(ids))).one()
    return int(row.id), str(row.state)


def test_rooms_are_reviewed_with_the_month_and_locked_with_it(world: World) -> None:
    for month in (3, 4):
        periods.open_period(world.engine, command_line_user(), region_code="450321",
                            period=f"2025-{month:02d}")
    client = world.login("institution")
    token = csrf(client)
    base = {"csrf_token": token, "institution": SCHOOL, "year": "2025", "month": "3"}
    assert client.post("/datacentre/rooms", data={**base, "room_code": "R9",
                                                  "room_name": "网络机房", "status": "new"}
                       ).status_code == 303
    assert client.post("/datacentre/figures", data={
        **base, "room_code": "R9", "area": "40", "elec_total": "1400", "elec_it": "1000"}
    ).status_code == 303
    assert client.post("/datacentre/heating", data={
        **base, "heated_area": "800", "area_independent": "800", "heating_days": "20"}
    ).status_code == 303
    task_id, state = _task(world, 3, "approved")
    assert state == "approved"

    reviewer = world.login("region")
    page = reviewer.get(f"/reporting/tasks/{task_id}")
    assert page.status_code == 200 and 'id="task-rooms"' in page.text
    rooms = page.text[page.text.index('id="task-forms-ny"'):]
    assert "R9" in rooms and "网络机房" in rooms and "1.40" in rooms and "高于目标" in rooms
    assert 'id="task-heating"' in rooms and "800" in rooms
    twin = reviewer.get(f"/api/v1/reporting/tasks/{task_id}").json()
    (room,) = twin["forms_ny"]["rooms"]
    assert (room["room_code"], room["pue"], room["pue_source"], room["above"]) == (
        "R9", 1.4, "form", True)
    assert twin["forms_ny"]["heating"]["heated_area"] == 800
    other, _ = _task(world, 4)
    assert reviewer.get(f"/api/v1/reporting/tasks/{other}").json()["forms_ny"] is None
    assert 'id="task-forms-ny"' not in reviewer.get(f"/reporting/tasks/{other}").text

    entry = client.get("/datacentre?institution=" + SCHOOL + "&year=2025&month=3").text
    assert 'id="period-locked"' in entry and "已审核" in entry
    field = entry[entry.index('name="elec_total"'):]
    assert "disabled" in field[:field.index(">")]
    refused = client.post("/datacentre/figures", data={
        **base, "room_code": "R9", "area": "40", "elec_total": "1300", "elec_it": "1000"})
    assert refused.status_code == 409 and "已锁定" in refused.text
    api = client.post("/api/v1/datacentre/records", headers={"X-CSRF-Token": token}, json={
        "credit_code": SCHOOL, "room_code": "R9", "year": 2025, "month": 3,
        "values": {"elec_total": 1300, "elec_it": 1000}})
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "workflow.figures_locked"
    assert reviewer.get(f"/api/v1/reporting/tasks/{task_id}").json()[
        "forms_ny"]["rooms"][0]["elec_total"] == 1400

    opened = client.post("/datacentre/figures", data={
        **base, "month": "4", "room_code": "R9", "area": "40", "elec_total": "1250",
        "elec_it": "1000"})
    assert opened.status_code == 303
    assert _task(world, 4)[1] == "in_progress"
    four = client.get("/datacentre?institution=" + SCHOOL + "&year=2025&month=4").text
    assert 'id="period-locked"' not in four
