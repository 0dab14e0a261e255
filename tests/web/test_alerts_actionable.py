"""Alerts that can be acted on (issue 11 §1): each names the institution or region, the
indicator, value, limit and unit in the UI language, links to the unit, and the list
filters by region, level, indicator and state — on the page, its JSON twin and the
export alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from jieneng.storage import tables as t
from tests.web.conftest import SCHOOL, World
from tests.web.scope_world import Siblings, add_siblings


@pytest.fixture
def siblings(world: World, tmp_path: Path) -> Siblings:
    return add_siblings(world, tmp_path)


def test_each_alert_names_its_subject_indicator_and_unit(world: World,
                                                         siblings: Siblings) -> None:
    client = world.login("region")
    data = client.get("/api/v1/alerts").json()
    by_id = {i["id"]: i for i in data["items"]}
    school = by_id[siblings.alerts[SCHOOL]]
    assert school["kind"] == "quota" and school["institution_code"] == SCHOOL
    assert school["institution_name"] and school["link"] == f"/institutions/{SCHOOL}"
    assert school["metric_zh"] and school["metric_en"] and school["unit"]
    county = by_id[siblings.alerts["450321"]]
    assert county["kind"] == "target" and county["institution_name"] is None
    assert county["link"] == "/targets?region=450321&year=2025"
    assert county["metric"] == "energy_tce" and county["unit"] == "tce"
    assert county["metric_zh"] == "能源消费总量"
    assert {"code": "450321", "name": "阳朔县"} in data["regions"]
    page = client.get("/alerts?lang=zh-CN").text
    assert f'href="/institutions/{SCHOOL}"' in page and school["institution_name"] in page
    assert "计量单位" in page and "发出预警" in page and "opened" not in page
    english = client.get("/alerts?lang=en").text
    assert "Unit of measure" in english and "total energy" in english
    assert "opened" in english


def test_alerts_filter_by_level_indicator_state_and_region(world: World,
                                                          siblings: Siblings) -> None:
    with world.engine.begin() as conn:
        conn.execute(update(t.alert).where(t.alert.c.id == siblings.alerts["450321"])
                     .values(level="warning", state="acknowledged"))
    client = world.login("admin")

    def ids(query: str) -> set[int]:
        response = client.get("/api/v1/alerts?region=450300&closed=true&" + query)
        assert response.status_code == 200, response.text
        return {i["id"] for i in response.json()["items"]}

    everything = ids("")
    assert ids("level=warning") == {siblings.alerts["450321"]}
    assert ids("state=acknowledged") == {siblings.alerts["450321"]}
    assert ids("state=open") == everything - {siblings.alerts["450321"]}
    assert ids("metric=energy_tce") >= {siblings.alerts["450321"], siblings.alerts["450302"]}
    assert siblings.alerts[SCHOOL] not in ids("metric=energy_tce")
    assert ids("level=over&metric=energy_tce") == {siblings.alerts["450302"]}
    assert ids("region=450302") == ids("region=450302&state=") < everything
    assert client.get("/api/v1/alerts?level=bad").status_code == 422
    page = client.get("/alerts?region=450300&level=warning&lang=zh-CN").text
    assert page.count("data-alert=") == 1 and 'value="warning" selected' in page
    assert 'href="/alerts.xlsx?region=450300&amp;level=warning"' in page or (
        "level=warning" in page.split('data-export="xlsx"')[0].rsplit("href=", 1)[-1])
