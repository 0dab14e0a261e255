"""The fleet page (issue 14 §5) and its JSON twin and workbook as every role: the fleet
by fuel, the NEV shares against the 30 % target, the charging share against the
region's target, the institutions not cleared of coal with why, the lists; the import
form (capability ``import_data``: a dry run stores nothing, a refused file names row
and column in zh and en, nothing stored). A role never sees another scope's rows."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from jieneng.services.fleet import import_fleet
from tests.web.conftest import ORGAN, ROLES, SCHOOL, World, csrf

VEHICLES = ("统一社会信用代码,车辆编号,燃料类型,购置年份,状态,处置年份\n"
            f"{SCHOOL},YS-1,汽油,2018,在用,\n"
            f"{SCHOOL},YS-2,纯电动,2025,在用,\n"
            f"{SCHOOL},YS-3,柴油,2025,在用,\n"
            f"{ORGAN},XF-1,插电混动,2025,在用,\n")
PARKING = ("统一社会信用代码,年份,停车位数,充电车位数\n"
           f"{SCHOOL},2025,50,5\n{ORGAN},2025,40,2\n")
COAL = ("统一社会信用代码,设备编号,设备类型,额定容量,容量单位,状态,拆除日期\n"
        f"{SCHOOL},B-1,燃煤锅炉,2,t/h,在用,\n")
#: what each role sees: the school (阳朔县) or 秀峰区's organ
SEES_SCHOOL = {"admin": True, "region_admin": True, "region": True, "department": True,
               "institution": True, "viewer": False}


@pytest.fixture
def fleet(world: World, tmp_path) -> World:  # type: ignore[no-untyped-def]
    admin = world.users["admin"]
    for name, body in (("v.csv", VEHICLES), ("p.csv", PARKING), ("c.csv", COAL)):
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        import_fleet(world.engine, admin, path)
    return world


@pytest.mark.parametrize("role", ROLES)
def test_page_twin_and_workbook_in_scope(fleet: World, role: str) -> None:
    client = fleet.login(role)
    for url in ("/fleet?year=2025", "/api/v1/fleet?year=2025", "/fleet.xlsx?year=2025"):
        response = client.get(url)
        assert response.status_code == 200, f"{role} {url}: {response.text[:300]}"
        if url.startswith("/fleet.xlsx"):
            book = load_workbook(io.BytesIO(response.content))
            body = "\n".join(str(c.value) for s in book for row in s.iter_rows()
                             for c in row if c.value is not None)
        else:
            body = response.text
        assert (SCHOOL in body) == SEES_SCHOOL[role], f"{role} {url}"
        assert (ORGAN in body) == (role in ("admin", "viewer")), f"{role} {url}"


def test_the_figures(fleet: World) -> None:
    data = fleet.login("region").get("/api/v1/fleet", params={"year": "2025"}).json()
    v = data["vehicles"]
    assert (v["fleet"], v["fleet_nev"], v["bought"], v["bought_nev"]) == (3, 1, 2, 1)
    assert v["purchase_share"] == pytest.approx(0.5) and v["meets_target"] is True
    assert data["charging"]["share"] == pytest.approx(0.1)
    assert data["charging"]["meets_target"] is True  # the shipped 8 %
    coal = data["coal"]
    assert coal["not_cleared"] == 1 and coal["list"][0]["credit_code"] == SCHOOL
    assert "燃煤设施" in coal["list"][0]["reason"]
    assert "institution_id" not in coal["list"][0]
    page = fleet.login("region").get("/fleet", params={"year": "2025"})
    assert 'data-card="purchases"' in page.text and "50.0%" in page.text


def test_import_form(world: World) -> None:
    client = world.login("institution")
    assert client.get("/fleet/import").status_code == 200
    template = client.get("/fleet/template.csv", params={"kind": "parking"})
    assert template.status_code == 200 and "停车位数" in template.content.decode("utf-8-sig")
    body = f"统一社会信用代码,年份,停车位数,充电车位数\n{SCHOOL},2025,10,3\n".encode()
    checked = client.post("/fleet/import", files={"file": ("p.csv", body)},
                          data={"csrf_token": csrf(client), "dry_run": "1"})
    assert checked.status_code == 200 and 'id="import-report"' in checked.text
    assert client.get("/api/v1/fleet").json()["lists"]["parking"]["items"] == []
    done = client.post("/fleet/import", files={"file": ("p.csv", body)},
                       data={"csrf_token": csrf(client)})
    assert done.status_code == 200, done.text
    rows = client.get("/api/v1/fleet").json()["lists"]["parking"]["items"]
    assert [r["charging_spaces"] for r in rows] == [3]
    bad = f"统一社会信用代码,年份,停车位数,充电车位数\n{SCHOOL},2024,10,30\n{ORGAN},2024,5,1\n"
    refused = client.post("/fleet/import", files={"file": ("bad.csv", bad.encode())},
                          data={"csrf_token": csrf(client)})
    assert refused.status_code == 422
    assert 'id="import-issues"' in refused.text
    rows = client.get("/api/v1/fleet").json()["lists"]["parking"]["items"]
    assert [r["year"] for r in rows] == [2025]  # nothing of the refused file stored


def test_import_needs_the_capability(world: World) -> None:
    client = world.login("viewer")
    assert client.get("/fleet/import").status_code == 403
    assert client.get("/fleet/template.csv").status_code == 403
