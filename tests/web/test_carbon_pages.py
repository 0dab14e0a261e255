"""The carbon pages (issue 14 §6): the events list and form (what was typed kept on
refusal, a mode without a factor refused naming it), an event's page with its result by
source, factors and sources, the offset form with evidence, the points page (leaderboards,
import form with errors by row and column, rules with sources), the JSON twins, the
workbooks and the scope."""

from __future__ import annotations

import io

import openpyxl

from tests.web.conftest import NAMES, ORGAN, SCHOOL, World, csrf

EVENT = {"credit_code": SCHOOL, "name": "全县节能工作会", "place": "阳朔县会议中心",
         "start_date": "2025-06-12", "end_date": "2025-06-13", "attendees": "80",
         "q_venue_electricity": "1800", "q_travel_car_gasoline": "120",
         "q_catering_natural_gas": "35"}


def _create(world: World, role: str = "institution") -> tuple[int, object]:
    client = world.login(role)
    made = client.post("/carbon/events", data={"csrf_token": csrf(client), **EVENT})
    assert made.status_code == 303, made.text[:500]
    return int(made.headers["location"].split("/")[-1].split("?")[0]), client


def test_event_form_result_and_offset(world: World) -> None:
    event_id, client = _create(world)
    page = client.get(f"/carbon/events/{event_id}?done=recorded")  # type: ignore[attr-defined]
    assert page.status_code == 200
    for shown in ("全县节能工作会", "场馆能耗", "生态环境部", 'data-line="venue_electricity"',
                  "尚未实现碳中和", 'id="offset-form"'):
        assert shown in page.text, shown
    twin = client.get(f"/api/v1/carbon/events/{event_id}").json()  # type: ignore[attr-defined]
    assert twin["total_t"] > 0 and twin["neutral"] is False
    token = csrf(client)  # type: ignore[arg-type]
    bad = client.post(f"/carbon/events/{event_id}/offsets", data={  # type: ignore[attr-defined]
        "csrf_token": token, "kind": "ccer", "quantity_t": "5", "description": "某项目"},
        files={"evidence": ("cert.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 422 and "cert.exe" in bad.text and "某项目" in bad.text
    renamed = client.post(f"/carbon/events/{event_id}/offsets", data={  # type: ignore[attr-defined]
        "csrf_token": token, "kind": "ccer", "quantity_t": "5", "description": "某项目"},
        files={"evidence": ("cert.ofd", b"%PDF-1.4 x", "application/ofd")})
    assert renamed.status_code == 422 and "与扩展名不符" in renamed.text
    ok = client.post(f"/carbon/events/{event_id}/offsets", data={  # type: ignore[attr-defined]
        "csrf_token": token, "kind": "forestry", "quantity_t": str(twin["total_t"] + 1)},
        files={"evidence": ("cert.pdf", b"%PDF-1.4 x", "application/pdf")})
    assert ok.status_code == 303, ok.text[:300]
    after = client.get(f"/carbon/events/{event_id}")  # type: ignore[attr-defined]
    assert "已实现碳中和" in after.text and "cert.pdf" in after.text
    offset_id = client.get(  # type: ignore[attr-defined]
        f"/api/v1/carbon/events/{event_id}").json()["offsets"][0]["id"]
    doc = client.get(f"/carbon/events/{event_id}/offsets/{offset_id}")  # type: ignore
    assert doc.status_code == 200 and doc.content == b"%PDF-1.4 x"
    outside = world.login("viewer")  # 秀峰区: the school's event is outside
    assert outside.get(f"/carbon/events/{event_id}").status_code == 404
    assert outside.get(f"/carbon/events/{event_id}/offsets/{offset_id}").status_code == 404
    assert NAMES[SCHOOL] not in outside.get("/carbon/events").text


def test_event_form_keeps_what_was_typed_and_names_the_missing_factor(world: World) -> None:
    client = world.login("institution")
    refused = client.post("/carbon/events", data={
        "csrf_token": csrf(client), **EVENT, "q_travel_air_medium": "25000"})
    assert refused.status_code == 422
    assert "飞机（航程 800–3000 km）" in refused.text and "管理员" in refused.text
    assert 'value="25000"' in refused.text and 'value="全县节能工作会"' in refused.text
    viewer = world.login("viewer")
    assert viewer.post("/carbon/events", data={"csrf_token": csrf(viewer), **EVENT}
                       ).status_code == 403
    english = client.get("/carbon/events", headers={"Accept-Language": "en"})
    assert "Event carbon neutrality" in english.text or "Event carbon" in english.text


def test_events_list_twin_and_workbook(world: World) -> None:
    event_id, client = _create(world)
    listing = client.get("/api/v1/carbon/events").json()  # type: ignore[attr-defined]
    assert [e["id"] for e in listing["items"]] == [event_id]
    assert {f["code"] for f in listing["factors"] if f["value"] is None} >= {"travel_hsr"}
    book = client.get("/carbon/events.xlsx")  # type: ignore[attr-defined]
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "全县节能工作会" in values


def test_points_page_import_and_twin(world: World, tmp_path: object) -> None:
    client = world.login("institution")
    token = csrf(client)
    rows = (f"统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
            f"{SCHOOL},S1,张老师,2025-05-06,光盘行动,2\n"
            f"{SCHOOL},S2,=HYPERLINK(\"x\"),2025-05-06,跳舞,1\n")
    refused = client.post("/carbon/points/import", data={"csrf_token": token},
                          files={"file": ("p.csv", rows.encode(), "text/csv")})
    assert refused.status_code == 422 and "跳舞" in refused.text
    assert 'id="import-issues"' in refused.text
    good = rows.replace("跳舞", "recycling").replace('=HYPERLINK("x")', "=SUM(A1)")
    done = client.post("/carbon/points/import", data={"csrf_token": token},
                       files={"file": ("p.csv", good.encode(), "text/csv")})
    assert done.status_code == 200 and 'id="import-report"' in done.text
    page = client.get("/carbon/points?year=2025")
    for shown in ("张老师", "光盘行动", "seeds/001", 'id="rule-table"'):
        assert shown in page.text, shown
    twin = client.get("/api/v1/carbon/points?year=2025").json()
    assert twin["totals"]["points"] == 2 + 2 and len(twin["rules"]) >= 5
    book = client.get("/carbon/points.xlsx?year=2025")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "'=SUM(A1)" in values  # formula-safe: text, not a formula
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    organ_view = world.login("viewer").get("/api/v1/carbon/points?year=2025").json()
    assert organ_view["staff"] == [] and SCHOOL not in str(organ_view)
    assert ORGAN not in str(client.get("/api/v1/carbon/points?year=2025").json())


def test_an_administrator_sets_a_missing_factor_with_its_source(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    page = admin.get("/carbon/events")
    assert 'data-factor-form="travel_hsr"' in page.text
    assert 'data-factor-form="venue_electricity"' not in page.text  # from the factor set
    refused = admin.post("/carbon/factors", data={"csrf_token": token, "mode": "travel_hsr",
                                                  "value": "0.041", "source": ""})
    assert refused.status_code == 422 and 'value="0.041"' in refused.text
    saved = admin.post("/carbon/factors", data={"csrf_token": token, "mode": "travel_hsr",
                                                "value": "0.041", "source": "某指南 第5条"})
    assert saved.status_code == 303
    listed = admin.get("/api/v1/carbon/events").json()["factors"]
    hsr = next(f for f in listed if f["code"] == "travel_hsr")
    assert hsr["value"] == 0.041 and hsr["source"] == "某指南 第5条" and hsr["set_by"] == "admin"
    office = world.login("region")
    assert 'data-factor-form' not in office.get("/carbon/events").text
    assert office.post("/carbon/factors", data={"csrf_token": csrf(office), "mode": "travel_hsr",
                                                "value": "1", "source": "x"}).status_code == 403
