"""The year grid of 数据填报 (issue 11 §1 "entry like a spreadsheet"), the annual
基本信息 (NY101) and 上报 from the form: pages and JSON twins on the small 桂林 world
(SCHOOL has January 2025: 4,000 kWh and 40 m³; a profile of 2025)."""

from __future__ import annotations

from sqlalchemy import func, select, update

from jieneng.core.caller import command_line_user
from jieneng.services.workflow import periods
from jieneng.storage import tables as t
from tests.web.conftest import SCHOOL, SILENT, World, csrf

YEAR = 2025
GRID = f"/entry/{SCHOOL}/{YEAR}"


def _records(world: World) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.consumption_record)
                                .where(t.consumption_record.c.is_current)).scalar_one())


def _task(world: World, month: int, state: str | None = None) -> str:
    """The state of SCHOOL's task of ``YEAR-month`` (set to ``state`` first if given)."""
    task, p = t.reporting_task, t.reporting_period
    with world.engine.begin() as conn:
        ids = select(task.c.id).join(p, p.c.id == task.c.period_id).where(
            task.c.institution_id == world.ids[SCHOOL], p.c.year == YEAR, p.c.month == month)
        if state is not None:
            conn.execute(update(task).where(task.c.id.in_(ids)).values(state=state))
        return str(conn.execute(select(task.c.state).where(task.c.id.in_(ids))).scalar_one())


def _open(world: World, month: int) -> None:
    periods.open_period(world.engine, command_line_user(), region_code="450321",
                        period=f"{YEAR}-{month:02d}")


def test_the_grid_shows_twelve_months_last_year_and_totals(world: World) -> None:
    client = world.login("institution")
    page = client.get(GRID)
    assert page.status_code == 200
    text = page.text
    for month in (1, 12):
        assert f'name="q_{month}_electricity"' in text and f'name="c_{month}_water"' in text
    assert 'value="4000"' in text  # SCHOOL's January, full precision, no ".0"
    assert "/static/entry-grid.js" in text and 'data-draft-key="jieneng:grid:' in text
    twin = client.get(f"/api/v1{GRID}").json()
    assert [m["month"] for m in twin["months"]] == list(range(1, 13))
    assert twin["months"][0]["values"]["electricity"]["quantity"] == 4000
    assert twin["totals"]["electricity"]["quantity"] == 4000
    assert twin["energy_tce"] is not None and twin["energy_tce"] > 0
    assert not any(m["locked"] for m in twin["months"])
    later = client.get(f"/api/v1/entry/{SCHOOL}/{YEAR + 1}").json()
    assert later["months"][0]["last_year"]["electricity"]["quantity"] == 4000  # beside


def test_saving_the_grid_stores_every_changed_month_at_once(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    before = _records(world)
    form = {"csrf_token": token, "q_1_electricity": "4000", "q_1_water": "40",  # unchanged
            "q_2_electricity": "3,100", "c_2_electricity": "2500",
            "q_3_electricity": "3200", "q_3_water": "31"}
    saved = client.post(GRID, data=form)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].startswith(f"{GRID}?saved=3-0-0-0")
    assert _records(world) == before + 3
    twin = client.get(f"/api/v1{GRID}").json()
    assert twin["months"][1]["values"]["electricity"]["quantity"] == 3100
    assert twin["months"][1]["values"]["electricity"]["cost_yuan"] == 2500
    assert twin["months"][0]["values"]["electricity"]["revision"] == 1  # not rewritten
    shown = client.get(saved.headers["location"])
    assert "已保存" in shown.text and 'data-saved="1"' in shown.text


def test_an_error_in_one_month_stores_nothing_and_keeps_what_was_typed(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    before = _records(world)
    response = client.post(GRID, data={"csrf_token": token, "q_2_electricity": "3100",
                                       "q_5_water": "-4"})
    assert response.status_code == 422
    assert "负数" in response.text and "5月" in response.text
    assert 'value="3100"' in response.text and 'value="-4"' in response.text
    assert _records(world) == before


def test_warnings_are_said_on_the_page_and_need_a_confirmation(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    form = {"csrf_token": token, "q_2_electricity": "30000"}  # ×10 the month before
    before = _records(world)
    asked = client.post(GRID, data=form)
    assert asked.status_code == 200
    assert "尚未保存" in asked.text and 'name="confirm"' in asked.text
    assert _records(world) == before
    saved = client.post(GRID, data={**form, "confirm": "1"})
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("-1")  # one warning saved with it
    shown = client.get(saved.headers["location"])
    assert "1 条提示已确认保存" in shown.text


def test_a_locked_month_is_read_only_and_refused(world: World) -> None:
    _open(world, 3)
    _task(world, 3, "submitted")
    client = world.login("institution")
    page = client.get(GRID).text
    row = page[page.index('name="q_3_electricity"'):]
    assert row[:row.index(">")].rstrip().endswith("disabled")
    assert 'name="q_4_electricity"' in page
    four = page[page.index('name="q_4_electricity"'):]
    assert "disabled" not in four[:four.index(">")]
    before = _records(world)
    refused = client.post(GRID, data={"csrf_token": csrf(client), "q_3_electricity": "5",
                                      "q_4_electricity": "3300"})
    assert refused.status_code == 409
    assert "已锁定" in refused.text and 'value="3300"' in refused.text
    assert _records(world) == before
    month = client.get(f"/entry/{SCHOOL}/{YEAR}/3").text
    assert "数据已锁定" in month and 'id="v_electricity"' in month
    field = month[month.index('id="v_electricity"'):]
    assert "disabled" in field[:field.index(">")]
    twin = client.get(f"/api/v1{GRID}").json()
    assert twin["months"][2]["locked"] and twin["months"][2]["locked_state"] == "submitted"


def test_submit_from_the_form(world: World) -> None:
    _open(world, 2)
    client = world.login("institution")
    token = csrf(client)
    assert client.post(GRID, data={"csrf_token": token, "q_2_electricity": "3100"}
                       ).status_code == 303
    assert _task(world, 2) == "in_progress"
    page = client.get(GRID).text
    assert f'action="{GRID}/2/submit"' in page and "data-confirm" in page
    month = client.get(f"/entry/{SCHOOL}/{YEAR}/2").text
    assert f'action="/entry/{SCHOOL}/{YEAR}/2/submit"' in month
    done = client.post(f"{GRID}/2/submit", data={"csrf_token": token, "back": "month"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/entry/{SCHOOL}/{YEAR}/2?submitted=1"
    assert _task(world, 2) == "submitted"
    again = client.post(f"{GRID}/2/submit", data={"csrf_token": token})
    assert again.status_code == 409  # already submitted: the grid with the message
    none = client.post(f"/api/v1{GRID}/7/submit", headers={"X-CSRF-Token": token})
    assert none.status_code == 404 and none.json()["error"]["code"] == "entry.no_task"


def test_the_grid_twin_saves_several_months(world: World) -> None:
    client = world.login("region")
    headers = {"X-CSRF-Token": csrf(client)}
    body = {"months": [
        {"month": 6, "values": [{"carrier": "electricity", "value": "1.2", "unit": "万kWh"}]},
        {"month": 7, "values": [{"carrier": "electricity", "value": 12500, "cost_yuan": 9000}]},
    ]}
    saved = client.post(f"/api/v1{GRID}", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["months"] == [6, 7] and saved.json()["inserted"] == 2
    bad = client.post(f"/api/v1{GRID}", json={"months": [
        {"month": 8, "values": [{"carrier": "water", "value": "12"}]},
        {"month": 9, "values": [{"carrier": "water", "value": "x"}]}]}, headers=headers)
    assert bad.status_code == 422
    twin = client.get(f"/api/v1{GRID}").json()
    assert "water" not in twin["months"][7]["values"]  # all or nothing


def test_the_grid_is_scoped(world: World) -> None:
    client = world.login("institution")
    assert client.get(f"/entry/{SILENT}/{YEAR}").status_code == 404
    assert client.get(f"/api/v1/entry/{SILENT}/{YEAR}").status_code == 404
    assert client.get(f"/entry/{SILENT}/{YEAR}/profile").status_code == 404
    viewer = world.login("viewer")
    assert viewer.get(GRID).status_code == 403


def test_the_profile_form_edits_the_annual_basic_information(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    page = client.get(f"{GRID}/profile")
    assert page.status_code == 200 and "用能人数" in page.text and "建筑面积" in page.text
    twin = client.get(f"/api/v1{GRID}/profile").json()
    assert twin["values"]["occupants"] is not None
    bad = client.post(f"{GRID}/profile", data={"csrf_token": token, "occupants": "12.5",
                                               "floor_area_m2": "2400"})
    assert bad.status_code == 422 and "整数" in bad.text and 'value="2400"' in bad.text
    saved = client.post(f"{GRID}/profile", data={
        "csrf_token": token, "occupants": "120", "floor_area_m2": "2,400.5",
        "vehicles_gasoline": "2", "vehicles_nev": "1"})
    assert saved.status_code == 303
    after = client.get(f"/api/v1{GRID}/profile").json()["values"]
    assert after["occupants"] == 120 and after["floor_area_m2"] == 2400.5
    assert after["vehicles_nev"] == 1 and after["staff_quota"] is None
    api = client.post(f"/api/v1/entry/{SCHOOL}/{YEAR + 1}/profile",
                      json={"occupants": 130, "heated_area_m2": "800"},
                      headers={"X-CSRF-Token": token})
    assert api.status_code == 200, api.text
    assert api.json()["values"]["occupants"] == 130
    assert client.get(f"/api/v1/entry/{SCHOOL}/{YEAR + 1}/profile").json()[
        "last_year"]["occupants"] == 120


def test_an_expired_session_returns_to_the_form_and_says_so(world: World) -> None:
    """The typed values wait in the browser (entry-grid.js keeps a draft per form); the
    server's part: back to the form after the login, and the login page says why."""
    client = world.login("institution")
    token = csrf(client)
    month = client.get(f"/entry/{SCHOOL}/{YEAR}/2").text
    assert f'data-draft-key="jieneng:entry:{SCHOOL}:{YEAR}-2"' in month
    assert 'id="grid-draft"' in month and "/static/entry-grid.js" in month
    with world.engine.begin() as conn:  # the session runs out
        conn.execute(t.user_session.delete())
    posted = client.post(GRID, data={"csrf_token": token, "q_2_electricity": "4100"})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/login?next=%2Fentry%2F{SCHOOL}%2F{YEAR}&expired=1"
    login = client.get(posted.headers["location"])
    assert "会话已过期" in login.text and f'value="/entry/{SCHOOL}/{YEAR}"' in login.text


def test_the_profile_form_answers_like_its_twin(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    page = client.post(f"{GRID}/profile", data={"csrf_token": token, "vehicles_diesel": "x"})
    twin = client.post(f"/api/v1{GRID}/profile", json={"vehicles_diesel": "x"},
                       headers={"X-CSRF-Token": token})
    assert page.status_code == twin.status_code == 422
    assert twin.json()["error"]["code"] == "entry.profile_count"
    assert twin.json()["error"]["details"]["field"] == "vehicles_diesel"
