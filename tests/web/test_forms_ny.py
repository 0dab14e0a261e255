"""The NY202 / NY203 pages and JSON twins on both databases: an institution adds a
room and enters its month, a refusal is shown on the form, the summary's figures are
the same on the page, in the JSON and in the workbook, rooms above target are listed
and warned, an upload is all-or-nothing, scope."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.forms_ny.world import add_rooms
from tests.web.conftest import NAMES, ORGAN, SCHOOL, World, csrf


def test_institution_adds_a_room_and_enters_its_month(world: World) -> None:
    client = world.login("institution")
    page = client.get("/datacentre?year=2025&month=3")
    assert page.status_code == 200 and NAMES[SCHOOL] in page.text
    token = csrf(client)
    base = {"csrf_token": token, "institution": SCHOOL, "year": "2025", "month": "3"}
    added = client.post("/datacentre/rooms", data={**base, "room_code": "R9",
                                                   "room_name": "网络机房", "status": "new"})
    assert added.status_code == 303, added.text
    refused = client.post("/datacentre/figures", data={
        **base, "room_code": "R9", "area": "40", "elec_total": "1000", "elec_it": "1200"})
    assert refused.status_code == 422 and "IT设备用电量不应大于机房总用电量" in refused.text
    saved = client.post("/datacentre/figures", data={
        **base, "room_code": "R9", "area": "40", "elec_total": "1,400", "elec_it": "1000"})
    assert saved.status_code == 303
    twin = client.get(f"/api/v1/datacentre?institution={SCHOOL}&year=2025&month=3").json()
    (room,) = twin["rooms"]
    assert (room["room_code"], room["pue"], room["pue_source"], room["target"],
            room["above"]) == ("R9", 1.4, "form", 1.3, True)
    assert "1.40" in client.get(saved.headers["location"]).text
    assert client.get(f"/api/v1/datacentre?institution={ORGAN}").status_code == 404
    viewer = world.login("viewer")
    assert viewer.get("/datacentre").status_code == 403


def test_summary_figures_agree_on_page_json_and_workbook(world: World, tmp_path: Path) -> None:
    add_rooms(world.engine, tmp_path)
    client = world.login("region")  # 阳朔县: EDU, SCHOOL, SILENT
    data = client.get("/api/v1/datacentre/summary?year=2025&month=1").json()
    codes = {r["credit_code"] for r in data["rooms"]}
    assert ORGAN not in codes and SCHOOL in codes
    totals = data["totals"]
    assert totals["pue"] == sum(r["elec_total"] for r in data["rooms"]) / sum(
        r["elec_it"] for r in data["rooms"])
    above = {r["room_code"] for r in data["above"]}
    assert above == {r["room_code"] for r in data["rooms"] if r["pue"] > 1.6}
    page = client.get("/datacentre/summary?year=2025&month=1")
    assert page.status_code == 200 and f"{totals['pue']:.2f}" in page.text
    assert NAMES[ORGAN] not in page.text
    if above:
        assert 'id="above-warning"' in page.text
    book = client.get("/datacentre/summary.xlsx?year=2025&month=1")
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.content)).worksheets
    cells = [c for row in sheets[0].iter_rows(values_only=True) for c in row if c is not None]
    assert f"{totals['pue']:.2f}" in " ".join(str(c) for c in cells)
    pues = sorted(round(c, 6) for row in sheets[0].iter_rows(values_only=True) for c in row
                  if isinstance(c, int | float) and 1 < c < 3)
    assert {round(r["pue"], 6) for r in data["rooms"]} <= set(pues)
    assert data["heating"]["institutions"] == 3
    assert NAMES[ORGAN] not in book.content.decode("latin-1")


def test_upload_is_all_or_nothing_and_scoped(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    good = f"统一社会信用代码,年,月,采暖面积(平方米)\n{SCHOOL},2025,0,500\n".encode()
    bad = (f"统一社会信用代码,年,月,采暖面积(平方米)\n{SCHOOL},2025,0,500\n"
           f"{ORGAN},2025,0,600\n").encode()
    refused = client.post("/datacentre/import", headers={"X-CSRF-Token": token},
                          data={"kind": "heating"}, files={"file": ("h.csv", bad, "text/csv")})
    assert refused.status_code == 422 and NAMES[ORGAN] not in refused.text
    done = client.post("/datacentre/import", headers={"X-CSRF-Token": token},
                       data={"kind": "heating"}, files={"file": ("h.csv", good, "text/csv")})
    assert done.status_code == 200 and 'id="import-report"' in done.text
    twin = client.get(f"/api/v1/datacentre?institution={SCHOOL}&year=2025&month=0").json()
    assert twin["heating"]["heated_area"] == 500.0
    template = client.get("/datacentre/template.xlsx?kind=heating")
    assert template.status_code == 200 and template.content[:2] == b"PK"


def test_summary_opens_on_the_latest_reported_period_with_figures_that_agree(
        world: World, tmp_path: Path) -> None:
    add_rooms(world.engine, tmp_path)  # 2025-01 and the 2025 annual report
    client = world.login("region")
    data = client.get("/api/v1/datacentre/summary").json()
    assert data["period"] == {"year": 2025, "month": 0}
    totals = data["totals"]
    assert totals["pue_total"] == sum(r["total_used"] for r in data["rooms"])
    page = client.get("/datacentre/summary")
    assert page.status_code == 200 and "2025年 年报" in page.text
    assert f"{totals['pue_total']:,.0f}" in page.text and '<select name="month">' in page.text
    assert "月（0" not in page.text
