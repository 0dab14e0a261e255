"""The pages on the 桂林市 demo city (演示数据, three years, ~600 institutions), built
once per module and database backend (SQLite: a copy of the run's demo city): realistic
data for the overview, the drill-down, the 同类可比 ranking and the public big screen.
The module is one xdist group, so its demo cities are built on one worker only."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from jieneng.core.caller import Actor
from jieneng.core.rounding import format_number
from jieneng.services.accounts.accounts import create_user
from jieneng.services.demo import DEMO_LABEL, DEMO_REGION, DEMO_YEARS, build_demo
from jieneng.services.demo_metering import hours_ago
from jieneng.settings import Settings
from tests.conftest import PG_URL, _backends
from tests.templates import DemoCity
from tests.web.conftest import PASSWORD, csrf

LAST = DEMO_YEARS[-1]
#: one worker builds this module's demo cities (split by xdist, both workers built both)
pytestmark = pytest.mark.xdist_group("demo_pages")


@pytest.fixture(scope="module", params=_backends())
def demo_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             demo_city: DemoCity) -> Iterator[FastAPI]:
    from jieneng.web.app import create_app

    folder = tmp_path_factory.mktemp("demo")
    schema = None
    if request.param == "sqlite":
        url = demo_city.copy(folder)  # built once per run
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        if schema is not None:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("XDG_DATA_HOME", str(folder / "data"))
                build_demo(url, metered_since=hours_ago(36))  # a short metered history
        app = create_app(Settings(database_url=url, environment="test",
                                  secret_key="test-secret-key-not-default"))
        create_user(app.state.engine, Actor.cli(), username="city", password=PASSWORD,
                    role="region", region_code=DEMO_REGION)
        yield app
        app.state.engine.dispose()
    finally:
        if schema is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="module")
def city(demo_app: FastAPI) -> TestClient:
    client = TestClient(demo_app, follow_redirects=False)
    client.get("/login")
    response = client.post("/login", data={"username": "city", "password": PASSWORD,
                                           "csrf_token": csrf(client), "next": "/"})
    assert response.status_code == 303, response.text
    return client


def _card(page: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}">.*?class="pg-fig"[^>]*>([^<]*)</a>', page, re.S)
    assert match, key
    return match.group(1)


def test_city_overview_defaults_to_the_latest_year_and_labels_the_demo(city: TestClient) -> None:
    page = city.get("/overview")
    assert page.status_code == 200
    twin = city.get("/api/v1/overview").json()
    assert twin["year"] == LAST and twin["region"]["code"] == DEMO_REGION
    assert twin["dataset_label"] == DEMO_LABEL and DEMO_LABEL in page.text
    for key in ("energy_tce", "water_m3", "co2_t", "energy_per_capita_kgce",
                "energy_per_area_kgce_m2", "water_per_capita_m3", "co2_per_area_kg_m2"):
        assert _card(page.text, key) == format_number(twin[key], 2), key
    assert len(twin["by_child_region"]) > 5
    for group in twin["by_child_region"]:
        assert format_number(group["energy_tce"], 2) in page.text
        if not group["own_level"]:
            assert f'/overview?region={group["code"]}&amp;year={LAST}' in page.text
    months = twin["monthly_trend"]["current"]["energy_tce"]
    assert all(v is not None for v in months)


def test_drill_down_to_a_county_and_the_months_filter(city: TestClient) -> None:
    county = next(g for g in city.get("/api/v1/overview").json()["by_child_region"]
                  if not g["own_level"])
    page = city.get("/overview", params={"region": county["code"], "year": LAST,
                                         "months": "1-6"})
    assert page.status_code == 200
    twin = city.get("/api/v1/overview", params={"region": county["code"], "year": LAST,
                                                "months": "1-6"}).json()
    assert twin["months"] == [1, 6]
    assert _card(page.text, "energy_tce") == format_number(twin["energy_tce"], 2)
    assert twin["energy_tce"] < county["energy_tce"]
    bad = city.get("/api/v1/overview", params={"months": "7-3"})
    assert bad.status_code == 422 and bad.json()["error"]["kind"] == "validation_failed"


def test_ranking_pages_through_a_category(city: TestClient) -> None:
    params = {"year": LAST, "category": "021", "indicator": "energy_per_capita_kgce",
              "order": "asc", "page": 2}
    partial = city.get("/overview/ranking", params=params, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    twin = city.get("/api/v1/ranking", params={**params, "per_page": 20}).json()
    assert twin["total"] > 40 and twin["items"][0]["rank"] == 21
    names = re.findall(r'<a href="/institutions/(\w{18})">', partial.text)
    assert names == [i["credit_code"] for i in twin["items"]]
    assert "page=3" in partial.text and "page=1" in partial.text


def test_screen_publishes_every_unit_of_the_last_complete_year(demo_app: FastAPI) -> None:
    anonymous = TestClient(demo_app)
    page = anonymous.get(f"/screen/{DEMO_REGION}")
    assert page.status_code == 200
    data = anonymous.get(f"/api/v1/screen/{DEMO_REGION}").json()
    assert data["year"] == LAST
    table = page.text[page.text.index('id="publication"'):]
    assert table.count("<tr>") == len(data["institutions"]) + 1  # header row
    assert len(data["institutions"]) > 500
    assert _embedded_trend(page.text) == data["monthly_trend"]
    assert "cost_yuan" not in json.dumps(data)


def _embedded_trend(page: str) -> object:
    match = re.search(r'id="screen-trend-data">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1))
