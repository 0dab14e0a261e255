"""The review queue page and its twin at issue 11's scale features: filters, each row's
figures and 同比 (page = twin), select all, the county step enforced through the web
(the city's approval refused before the county's), and the period form's 区县先审."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from jieneng.core.caller import Actor
from jieneng.services.accounts.accounts import create_user
from jieneng.storage.tables import reporting_task
from tests.web.conftest import PASSWORD, SCHOOL, SILENT, World, csrf


def _city(world: World) -> TestClient:
    create_user(world.engine, Actor.cli(), username="guilin-test", password=PASSWORD,
                role="region", region_code="450300")
    client = world.client()
    page = client.get("/login")
    assert page.status_code == 200
    client.post("/login", data={"username": "guilin-test", "password": PASSWORD,
                                "csrf_token": csrf(client), "next": "/"})
    return client


def test_queue_filters_figures_and_the_county_step(world: World) -> None:
    city = _city(world)
    opened = city.post("/reporting/periods", data={
        "region": "450300", "period": "2025-01", "region_step": "1",
        "csrf_token": csrf(city)})
    assert opened.status_code == 200, opened.text
    with world.engine.begin() as conn:
        conn.execute(update(reporting_task).values(state="submitted"))
    assert city.get("/api/v1/reporting/review").json()["total"] == 0  # counties first
    county = world.login("region")  # yangshuo, 450321
    twin = county.get("/api/v1/reporting/review", params={"category": "021"}).json()
    assert twin["total"] == 2 and twin["filters"]["category"] == "021"
    codes = {i["institution"]["credit_code"] for i in twin["items"]}
    assert codes == {SCHOOL, SILENT}
    school = next(i for i in twin["items"] if i["institution"]["credit_code"] == SCHOOL)
    assert school["region_step"] and school["totals"]["electricity_kwh"] > 0
    assert school["totals"]["yoy_energy_tce"] is None  # no 2024-01: no base
    page = county.get("/review", params={"category": "021"})
    assert page.status_code == 200
    assert 'id="select-all"' in page.text and "/static/review.js" in page.text
    assert f'{school["totals"]["electricity_kwh"]:,.0f}' in page.text
    assert county.get("/review", params={"findings": "bogus"}).status_code == 422
    task = f"{school['id']}:{school['version']}"
    early = city.post(f"/api/v1/reporting/tasks/{school['id']}/actions",
                      json={"action": "approve"}, headers={"X-CSRF-Token": csrf(city)})
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "reporting.earlier_step_first"
    done = county.post("/review", data={"task": [task], "decision": "approve",
                                        "category": "021", "csrf_token": csrf(county)})
    assert done.status_code == 200 and "已处理 1 份" in done.text
    queue = city.get("/api/v1/reporting/review").json()
    assert [i["id"] for i in queue["items"]] == [school["id"]]
    assert queue["items"][0]["state"] == "region_approved"
    detail = city.get(f"/api/v1/reporting/tasks/{school['id']}").json()
    assert detail["actions"] == ["approve", "return"]
    assert {f["carrier"] for f in detail["figures"]} >= {"electricity"}
