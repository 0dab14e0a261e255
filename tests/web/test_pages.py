"""The pages (overview, ranking, explanation, directory, entry, import, big screen)
and their JSON twins, on the small 桂林 world of ``tests/web/conftest.py``, on
SQLite and PostgreSQL.

Every page must show the numbers of its twin: the tests read the figures out of
the HTML (headline cards, embedded chart data, table cells) and compare them
with the JSON formatted the way the page formats them (GB/T 8170 rounding).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jieneng.core.caller import Actor
from jieneng.core.rounding import format_number
from jieneng.services.publishing.publication import publish
from jieneng.storage import tables as t
from tests.web.conftest import EDU, ORGAN, SCHOOL, SILENT, World, csrf

YEAR = 2025
HX = {"HX-Request": "true"}


def _embedded(page: str, element_id: str) -> Any:
    """The JSON a page embeds for a chart (``<script type="application/json" id=…>``)."""
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>',
                      page, re.S)
    assert match, f"no embedded data {element_id}"
    return json.loads(match.group(1))


def _card(page: str, key: str) -> str:
    """The displayed value of the headline card of ``key``."""
    match = re.search(rf'data-figure="{key}">.*?class="pg-fig"[^>]*>([^<]*)</a>', page, re.S)
    assert match, f"no card {key}"
    return match.group(1)


def _keys_with(value: Any, parts: tuple[str, ...]) -> list[str]:
    """Keys anywhere in a JSON value that contain one of ``parts``."""
    if isinstance(value, dict):
        found = [k for k in value if any(p in k for p in parts)]
        return found + [k for v in value.values() for k in _keys_with(v, parts)]
    if isinstance(value, list):
        return [k for v in value for k in _keys_with(v, parts)]
    return []


def _records(world: World) -> int:
    with world.engine.connect() as conn:
        query = select(func.count()).select_from(t.consumption_record)
        return int(conn.execute(query).scalar_one())


# ---------------------------------------------------------------- overview


def test_overview_renders_with_the_numbers_of_its_json_twin(world: World) -> None:
    client = world.login("region")
    page = client.get("/overview", params={"year": YEAR})
    assert page.status_code == 200, page.text
    twin = client.get("/api/v1/overview", params={"year": YEAR}).json()
    assert twin["region"] == {"code": "450321", "name": "阳朔县"}
    assert twin["institutions_reported"] == 3
    for key in ("energy_tce", "water_m3", "co2_t", "energy_per_capita_kgce",
                "energy_per_area_kgce_m2", "water_per_capita_m3", "co2_per_area_kg_m2"):
        assert _card(page.text, key) == format_number(twin[key], 2), key
    assert _embedded(page.text, "trend-chart-data") == twin["monthly_trend"]
    assert _embedded(page.text, "carrier-chart-data") == twin["by_carrier"]
    assert 'href="/api/v1/overview?region=450321&amp;year=2025"' in page.text
    # child regions and categories, with drill-down and explanation links
    for group in twin["by_category"]:
        assert format_number(group["energy_tce"], 2) in page.text
    assert "/explain?region=450321&amp;year=2025" in page.text
    # the overview without parameters defaults to my region and the latest year with data
    # (the start page / is the workbench now: tests/web/test_workbench.py)
    start = client.get("/overview")
    assert start.status_code == 200
    assert _card(start.text, "energy_tce") == _card(page.text, "energy_tce")
    default = client.get("/api/v1/overview").json()
    assert default["year"] == YEAR and default["energy_tce"] == twin["energy_tce"]


def test_ranking_partial_swaps_and_matches_its_twin(world: World) -> None:
    client = world.login("region")
    params: dict[str, str | int] = {"year": YEAR, "category": "021",
                                    "indicator": "energy_per_area_kgce_m2", "order": "desc"}
    partial = client.get("/overview/ranking", params=params, headers=HX)
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="ranking"')  # a fragment, no layout
    assert "<html" not in partial.text
    full = client.get("/overview/ranking", params=params)
    assert "<html" in full.text and 'id="ranking"' in full.text
    twin = client.get("/api/v1/ranking", params=params).json()
    assert [i["credit_code"] for i in twin["items"]] == [SILENT, SCHOOL]  # 5000 vs 4000 kWh
    assert twin["items"][0]["rank"] == 1
    text = partial.text
    positions = [text.index(html.escape(i["name"])) for i in twin["items"]]
    assert positions == sorted(positions)  # the page's order is the service's order
    for item in twin["items"]:
        assert format_number(item["value"], 2) in text
    assert "▼" in text  # descending, and the header link flips it
    assert "order=asc" in text


def test_explain_page_and_twin(world: World) -> None:
    client = world.login("region")
    params: dict[str, str | int] = {"region": "450321", "year": YEAR, "category": "021"}
    page = client.get("/explain", params=params)
    assert page.status_code == 200
    twin = client.get("/api/v1/explain", params=params).json()
    assert twin["inputs"]["total"] == 2
    assert twin["factor_set"]["name"] in page.text
    for formula in twin["formulas"]:
        assert html.escape(formula["formula_zh"]) in page.text
        assert format_number(formula["value"], 2) in page.text


def test_overview_outside_the_scope_is_404(world: World) -> None:
    client = world.login("region")
    assert client.get("/overview", params={"region": "450302"}).status_code == 404
    response = client.get("/api/v1/overview", params={"region": "450302", "year": YEAR})
    assert response.status_code == 404
    assert response.json()["error"]["kind"] == "not_found"
    assert response.json()["error"]["code"] == "scope.region_not_found"


def test_overview_in_english(world: World) -> None:
    client = world.login("region")
    page = client.get("/overview", params={"year": YEAR, "lang": "en"})
    assert page.status_code == 200
    assert "Monthly trend" in page.text and "逐月趋势" not in page.text


# ---------------------------------------------------------------- directory


def test_directory_search_live_partial_and_twin(world: World) -> None:
    client = world.login("region")
    page = client.get("/institutions", params={"q": "中学"})
    assert page.status_code == 200
    twin = client.get("/api/v1/institutions", params={"q": "中学"}).json()
    assert set(twin) >= {"items", "page", "per_page", "total"}
    assert twin["total"] == 2
    for item in twin["items"]:
        assert item["credit_code"] in page.text
    assert ORGAN not in page.text  # another county
    partial = client.get("/institutions", params={"q": "第一"},
                         headers={**HX, "HX-Target": "results"})
    assert partial.text.lstrip().startswith('<div id="results"')
    assert SCHOOL in partial.text and SILENT not in partial.text
    assert partial.headers["hx-push-url"].startswith("/institutions?q=")
    filtered = client.get("/api/v1/institutions", params={"category": "01"}).json()
    assert [i["credit_code"] for i in filtered["items"]] == [EDU]
    assert client.get("/directory", params={"q": "x"}).headers["location"] == "/institutions?q=x"


def test_institution_detail_and_twin(world: World) -> None:
    client = world.login("region")
    page = client.get(f"/institutions/{SCHOOL}")
    assert page.status_code == 200
    twin = client.get(f"/api/v1/institutions/{SCHOOL}").json()
    assert twin["entry"]["credit_code"] == SCHOOL
    assert twin["series"]["years"] == [YEAR]
    electricity = next(c for c in twin["series"]["carriers"] if c["carrier"] == "electricity")
    assert _embedded(page.text, "series-electricity-data")["values"] == electricity["quantity"]
    assert _embedded(page.text, "series-energy-data")["values"] == twin["series"]["energy_tce"]
    assert f'href="/api/v1/institutions/{SCHOOL}"' in page.text


def test_institution_user_gets_404_for_another_institution(world: World) -> None:
    client = world.login("institution")
    assert client.get(f"/institutions/{SCHOOL}").status_code == 200
    for url in (f"/institutions/{SILENT}", f"/entry/{SILENT}/{YEAR}/1",
                f"/api/v1/institutions/{SILENT}", f"/api/v1/entry/{SILENT}/{YEAR}/1",
                f"/institutions/{ORGAN}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "第二中学" not in response.text and "机关事务服务中心" not in response.text
    api = client.get(f"/api/v1/institutions/{SILENT}").json()
    assert api["error"]["kind"] == "not_found"
    assert api["error"]["code"] == "scope.institution_code_not_found"
    token = csrf(client)
    before = _records(world)
    posted = client.post(f"/entry/{SILENT}/{YEAR}/2",
                         data={"csrf_token": token, "v_electricity": "1"})
    assert posted.status_code == 404
    assert _records(world) == before


# ---------------------------------------------------------------- entry


def test_entry_form_shows_previous_month_and_last_year(world: World) -> None:
    client = world.login("region")
    page = client.get(f"/entry/{SCHOOL}/{YEAR}/2")
    assert page.status_code == 200
    twin = client.get(f"/api/v1/entry/{SCHOOL}/{YEAR}/2").json()
    electricity = next(f for f in twin["fields"] if f["carrier"] == "electricity")
    assert electricity["previous_month"]["quantity"] == 4000.0
    assert format_number(4000.0, 2) in page.text
    assert 'name="csrf_token"' in page.text
    assert len(twin["fields"]) == page.text.count('name="u_')  # every carrier, a unit selector
    assert '<option value="万kWh"' in page.text or "万kWh" in page.text



def test_pages_show_display_units_while_the_json_keeps_ascii(world: World) -> None:
    """m³, m², kgCO₂/m², tCO₂ on the pages (one mapping); the JSON keys and units stay ASCII."""
    client = world.login("region")
    page = client.get("/overview", params={"year": YEAR}).text
    twin = client.get("/api/v1/overview", params={"year": YEAR}).json()
    assert twin["monthly_trend"]["units"]["water_m3"] == "m3"  # the data is unchanged
    cards = page[page.index('class="pg-cards"'):page.index("</section>")]
    for shown in ("m³", "kgce/m²", "kgCO₂/m²", "tCO₂", "m³/人"):
        assert f"<small>{shown}</small>" in cards, shown
    assert not re.search(r">[^<]*\b(m3|m2|kgCO2)\b[^<]*<", cards), cards
    units = json.loads(html.unescape(re.search(r'data-label-units="([^"]*)"', page).group(1)))
    assert units["water_m3"] == "m³" and units["co2_t"] == "tCO₂"
    publish(world.engine, actor=Actor.cli(), region_code="450300", year=YEAR)
    screen = client.get("/screen/450321").text
    assert "<small>m³</small>" in screen and "(kgce/m²)" in screen
    entry = client.get(f"/entry/{SCHOOL}/{YEAR}/2").text
    assert '<option value="m3"' not in entry or '<option value="m3">m³</option>' in entry
    # previous month: the quantity with its unit, the cost with 元 on its own (never "元 kWh")
    assert re.search(r"4,000\.00 <small>kWh</small>", entry), entry
    assert not re.search(r"元\s*</small>\s*<small>kWh", entry)


def test_entry_warns_before_saving_and_saves_after_confirmation(world: World) -> None:
    client = world.login("region")
    token = csrf(client)
    url = f"/entry/{SCHOOL}/{YEAR}/2"
    form = {"csrf_token": token, "v_electricity": "40000", "u_electricity": "kWh",
            "c_electricity": "30000"}
    check = client.post(url + "/check", data=form, headers=HX)
    assert check.status_code == 200
    assert check.text.lstrip().startswith('<div id="findings"')
    assert "上月" in check.text and 'name="confirm"' in check.text
    before = _records(world)
    asked = client.post(url, data=form)
    assert asked.status_code == 200 and 'name="confirm"' in asked.text
    assert _records(world) == before  # nothing saved without confirmation
    saved = client.post(url, data={**form, "confirm": "1"})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(url + "?saved=1-0-0")
    assert _records(world) == before + 1
    shown = client.get(saved.headers["location"])
    assert "已保存" in shown.text and 'value="40000"' in shown.text
    twin = client.get(f"/api/v1{url}").json()
    assert next(f for f in twin["fields"] if f["carrier"] == "electricity")["quantity"] == 40000


def test_entry_invalid_values_are_shown_beside_their_field(world: World) -> None:
    client = world.login("region")
    token = csrf(client)
    url = f"/entry/{SCHOOL}/{YEAR}/2"
    before = _records(world)
    response = client.post(url, data={"csrf_token": token, "v_electricity": "abc",
                                      "v_water": "-5", "u_natural_gas": "kWh",
                                      "v_natural_gas": "3"})
    assert response.status_code == 422
    assert "Traceback" not in response.text
    assert "不是数字" in response.text and "负数" in response.text
    row = response.text[response.text.index('id="v_electricity"'):]
    assert row.index("不是数字") < row.index('id="v_water"')  # beside its own field
    assert 'value="abc"' in response.text  # what was typed is kept
    assert _records(world) == before


def test_entry_needs_csrf_and_a_writer(world: World) -> None:
    client = world.login("region")
    response = client.post(f"/entry/{SCHOOL}/{YEAR}/2", data={"v_electricity": "1"})
    assert response.status_code == 403
    viewer = world.login("viewer")
    assert viewer.get(f"/entry/{ORGAN}/{YEAR}/2").status_code == 403
    assert viewer.get("/import").status_code == 403
    assert viewer.get(f"/api/v1/entry/{ORGAN}/{YEAR}/2").status_code == 403


def test_entry_api_checks_and_saves(world: World) -> None:
    client = world.login("region")
    headers = {"X-CSRF-Token": csrf(client)}
    url = f"/api/v1/entry/{SCHOOL}/{YEAR}/3"
    body = {"values": [{"carrier": "electricity", "value": "1.2", "unit": "万kWh"}]}
    check = client.post(url + "/check", json=body, headers=headers).json()
    assert check["errors"] == 0
    saved = client.post(url, json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["inserted"] == 1
    form = client.get(url).json()
    assert next(f for f in form["fields"] if f["carrier"] == "electricity")["quantity"] == 12000
    bad = client.post(url, json={"values": [{"carrier": "water", "value": "x"}]},
                      headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["field"] == "water.value"


def test_entry_start_lists_my_institutions(world: World) -> None:
    client = world.login("institution")
    page = client.get("/entry")
    assert page.status_code == 200
    assert SCHOOL in page.text and SILENT not in page.text


# ---------------------------------------------------------------- import


def _upload(client: TestClient, content: bytes, name: str = "figures.csv",
            kind: str = "consumption", dry_run: bool = False) -> Any:
    data = {"csrf_token": csrf(client), "kind": kind}
    if dry_run:
        data["dry_run"] = "1"
    return client.post("/import", data=data, files={"file": (name, content, "text/csv")})


BAD_CSV = (
    "统一社会信用代码,年,月,电(千瓦时)\n"
    f"{SCHOOL},2025,4,1000\n"
    f"{SCHOOL},2025,5,abc\n"
).encode()


def test_import_page_shows_row_errors_and_stores_nothing(world: World) -> None:
    client = world.login("region")
    page = client.get("/import")
    assert page.status_code == 200
    assert 'href="/import/template/consumption"' in page.text
    before = _records(world)
    response = _upload(client, BAD_CSV)
    assert response.status_code == 422
    assert "Traceback" not in response.text
    rows = re.findall(r"<tr class=\"pg-error\">(.*?)</tr>", response.text, re.S)
    assert rows, response.text[-2000:]
    cells = [re.sub(r"<[^>]+>", "|", r) for r in rows]
    assert any("|3|" in c and "电(千瓦时)" in c and "abc" in c for c in cells), cells
    assert "未导入任何数据" in response.text
    assert _records(world) == before
    # an institution outside the scope is refused by row as well
    outside = f"统一社会信用代码,年,月,电(千瓦时)\n{ORGAN},2025,4,1000\n".encode()
    refused = _upload(client, outside)
    assert refused.status_code == 422 and "权限范围" in refused.text
    assert _records(world) == before


def test_import_clean_file_dry_run_then_store(world: World) -> None:
    client = world.login("region")
    good = f"统一社会信用代码,年,月,电(千瓦时)\n{SCHOOL},2025,4,1000\n".encode()
    before = _records(world)
    checked = _upload(client, good, dry_run=True)
    assert checked.status_code == 200 and "仅检查" in checked.text
    assert _records(world) == before
    stored = _upload(client, good)
    assert stored.status_code == 200, stored.text
    assert _records(world) == before + 1


def test_import_refuses_wrong_type_and_oversize_early(world: World) -> None:
    client = world.login("region")
    wrong = _upload(client, b"hello", name="notes.txt")
    assert wrong.status_code == 415 and ".xlsx" in wrong.text
    settings = world.app.state.settings
    world.app.state.settings = settings.model_copy(update={"max_upload_bytes": 10})
    try:
        big = _upload(client, b"x" * (70 * 1024))
        assert big.status_code == 413
        small_but_over = _upload(client, BAD_CSV)
        assert small_but_over.status_code == 413
        assert "上限" in small_but_over.text
        api = client.post("/api/v1/imports", params={"kind": "consumption"},
                          files={"file": ("a.csv", b"x" * (70 * 1024), "text/csv")},
                          headers={"X-CSRF-Token": csrf(client)})
        assert api.status_code == 413
        assert api.json()["error"]["code"] == "too_large"
    finally:
        world.app.state.settings = settings


def test_import_api_reports_every_issue(world: World) -> None:
    client = world.login("region")
    headers = {"X-CSRF-Token": csrf(client)}
    before = _records(world)
    response = client.post("/api/v1/imports", params={"kind": "consumption"},
                           files={"file": ("bad.csv", BAD_CSV, "text/csv")}, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["kind"] == "import_rejected" and error["code"] == "imports.file_has_errors"
    assert any(i["row"] == 3 and i["value"] == "abc" for i in error["details"]["issues"])
    assert _records(world) == before
    good = f"统一社会信用代码,年,月,电(千瓦时)\n{SCHOOL},2025,6,10\n".encode()
    ok = client.post("/api/v1/imports", params={"kind": "consumption", "dry_run": "true"},
                     files={"file": ("good.csv", good, "text/csv")}, headers=headers)
    assert ok.status_code == 200 and ok.json()["dry_run"] is True
    assert _records(world) == before


def test_template_download(world: World) -> None:
    client = world.login("region")
    response = client.get("/import/template/consumption")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response.headers["content-disposition"]
    assert client.get("/import/template/nothing").status_code == 404


# ---------------------------------------------------------------- big screen


def test_screen_without_a_publication_shows_nothing_published(world: World) -> None:
    anonymous = world.client()
    page = anonymous.get("/screen/450321")
    assert page.status_code == 200
    assert "尚未发布" in page.text and "nothing published yet" not in page.text  # one language
    assert 'id="publication"' not in page.text and "screen-trend-data" not in page.text
    for name in ("阳朔县演示第一中学", "阳朔县演示第二中学"):
        assert name not in page.text
    data = anonymous.get("/api/v1/screen/450321").json()
    assert data["published"] is False and data["year"] is None
    assert data["figures"] is None and data["monthly_trend"] is None
    assert data["institutions"] == [] and data["by_child_region"] == []
    assert data["region"] == {"code": "450321", "name": "阳朔县"}
    assert data["publication"]["publishable"] == "published_years"
    english = anonymous.get("/screen/450321", params={"lang": "en"}).text
    assert "Nothing published yet" in english
    assert anonymous.get("/screen/999999").status_code == 404


def test_screen_works_without_login_and_publishes_only_the_published_year(
    world: World,
) -> None:
    publish(world.engine, actor=Actor.cli(), region_code="450300", year=YEAR)  # the city
    anonymous = world.client()
    page = anonymous.get("/screen/450321")  # a county below it
    assert page.status_code == 200
    assert '<meta http-equiv="refresh" content="60">' in page.text
    twin = anonymous.get("/api/v1/screen/450321")
    assert twin.status_code == 200
    data = twin.json()
    assert data["published"] is True
    assert data["year"] == YEAR
    assert data["publication"]["publishable"] == "published_years"
    # the year before is not published: no comparison with it
    assert data["previous_year_published"] is False
    assert set(data["yoy"].values()) == {None} and set(data["previous_year"].values()) == {None}
    assert {v for s in data["monthly_trend"]["previous"].values() for v in s} == {None}
    assert not _keys_with(data, ("cost", "contact", "phone", "occupants", "floor_area_m2"))
    assert "cost_yuan" not in page.text
    codes = {i["credit_code"] for i in data["institutions"]}
    assert codes == {EDU, SCHOOL, SILENT}
    for item in data["institutions"]:
        assert html.escape(item["name"]) in page.text
        assert format_number(item["energy_tce"], 2) in page.text
    assert format_number(data["figures"]["energy_tce"], 2) in page.text
    assert _embedded(page.text, "screen-trend-data") == data["monthly_trend"]
    assert data["publication"]["rule_zh"] in page.text
    assert "尚未发布" not in page.text
    assert ORGAN not in page.text  # another county
    assert anonymous.get("/screen/999999").status_code == 404
    assert anonymous.get("/api/v1/screen/999999").json()["error"]["kind"] == "not_found"


@pytest.mark.parametrize("path", ["/overview", "/institutions", "/import", "/entry"])
def test_pages_need_a_login(world: World, path: str) -> None:
    response = world.client().get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
