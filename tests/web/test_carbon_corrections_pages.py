"""Correcting and withdrawing carbon records on their pages (issue 14 §6 follow-up): the
event page's correction and withdrawal forms (what was typed kept on a refusal, the
reason required), offsets, the ledger-entries page, their JSON twins; another
institution's account refused; the local points rules loaded on the points page with
every issue by row and column, and exported."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from jieneng.core.caller import Actor
from jieneng.services.accounts.accounts import create_user
from tests.web.conftest import PASSWORD, SCHOOL, SILENT, World, csrf

EVENT = {"credit_code": SCHOOL, "name": "全县节能工作会", "place": "阳朔县会议中心",
         "start_date": "2025-06-12", "end_date": "2025-06-13", "attendees": "80",
         "q_venue_electricity": "1800", "q_travel_car_gasoline": "120"}


def _event(world: World) -> tuple[int, TestClient]:
    client = world.login("institution")
    made = client.post("/carbon/events", data={"csrf_token": csrf(client), **EVENT})
    assert made.status_code == 303, made.text[:500]
    return int(made.headers["location"].split("/")[-1].split("?")[0]), client


def _other_school(world: World) -> TestClient:
    world.users["silent"] = create_user(world.engine, Actor.cli(), username="silent_school",
                                        password=PASSWORD, role="institution",
                                        institution=SILENT)
    return world.login("silent")


def test_event_correction_and_withdrawal_forms(world: World) -> None:
    event_id, client = _event(world)
    page = client.get(f"/carbon/events/{event_id}")
    assert 'id="event-correct-form"' in page.text and 'value="1800"' in page.text
    token = csrf(client)
    fix = {**EVENT, "q_venue_electricity": "900", "name": "全县节能工作会（更正）"}
    refused = client.post(f"/carbon/events/{event_id}/correct",
                          data={"csrf_token": token, **fix, "reason": ""})
    assert refused.status_code == 422 and "请填写理由" in refused.text
    assert 'value="900"' in refused.text and "全县节能工作会（更正）" in refused.text
    before = client.get(f"/api/v1/carbon/events/{event_id}").json()
    done = client.post(f"/carbon/events/{event_id}/correct",
                       data={"csrf_token": token, **fix, "reason": "电量抄错"})
    assert done.status_code == 303
    after = client.get(f"/api/v1/carbon/events/{event_id}").json()
    assert after["event"]["name"] == "全县节能工作会（更正）"
    assert after["by_category"]["venue"] < before["by_category"]["venue"]
    shown = client.get(f"/carbon/events/{event_id}?done=corrected")
    assert "已更正" in shown.text
    english = client.post(f"/carbon/events/{event_id}/withdraw",
                          data={"csrf_token": token, "reason": ""},
                          headers={"Accept-Language": "en"})
    assert english.status_code == 422 and "a reason is required" in english.text
    gone = client.post(f"/carbon/events/{event_id}/withdraw",
                       data={"csrf_token": token, "reason": "重复登记"})
    assert gone.status_code == 303
    listing = client.get("/carbon/events?done=withdrawn")
    assert f'data-withdrawn-event="{event_id}"' in listing.text and "重复登记" in listing.text
    twin = client.get("/api/v1/carbon/events").json()
    assert twin["items"] == [] and twin["withdrawn"][0]["withdrawn_reason"] == "重复登记"
    assert client.get(f"/carbon/events/{event_id}").status_code == 404


def test_offsets_corrected_and_withdrawn_on_the_page_and_api(world: World) -> None:
    event_id, client = _event(world)
    token = csrf(client)
    client.post(f"/carbon/events/{event_id}/offsets", data={
        "csrf_token": token, "kind": "forestry", "quantity_t": "2"},
        files={"evidence": ("cert.pdf", b"%PDF-1.4 x", "application/pdf")})
    offset_id = client.get(
        f"/api/v1/carbon/events/{event_id}").json()["offsets"][0]["id"]
    refused = client.post(
        f"/carbon/events/{event_id}/offsets/{offset_id}/correct",
        data={"csrf_token": token, "kind": "ccer", "quantity_t": "abc",
              "description": "证书 A-17", "reason": "更正"})
    assert refused.status_code == 422 and "证书 A-17" in refused.text
    assert 'value="abc"' in refused.text
    api = client.post(
        f"/api/v1/carbon/events/{event_id}/offsets/{offset_id}/correct",
        json={"kind": "ccer", "quantity_t": 3, "description": "证书 A-17", "reason": "更正"},
        headers={"X-CSRF-Token": token})
    assert api.status_code == 200, api.text
    assert api.json()["quantity_t"] == 3
    withdrawn = client.post(
        f"/carbon/events/{event_id}/offsets/{offset_id}/withdraw",
        data={"csrf_token": token, "reason": "证书作废"})
    assert withdrawn.status_code == 303
    twin = client.get(f"/api/v1/carbon/events/{event_id}").json()
    assert twin["offsets"] == [] and twin["offsets_t"] == 0
    assert twin["withdrawn_offsets"][0]["withdrawn_reason"] == "证书作废"
    page = client.get(f"/carbon/events/{event_id}")
    assert f'data-withdrawn-offset="{offset_id}"' in page.text
    other = _other_school(world)
    for path in (f"/carbon/events/{event_id}/withdraw",
                 f"/carbon/events/{event_id}/offsets/{offset_id}/withdraw"):
        tried = other.post(path, data={"csrf_token": csrf(other),
                                       "reason": "x"})
        assert tried.status_code == 404, path


def test_ledger_entries_page_corrects_and_withdraws(world: World) -> None:
    client = world.login("institution")
    token = csrf(client)
    rows = (f"统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
            f"{SCHOOL},S1,张老师,2025-05-06,光盘行动,2\n"
            f"{SCHOOL},S2,李老师,2025-05-06,recycling,4\n")
    done = client.post("/carbon/points/import", data={"csrf_token": token},
                       files={"file": ("p.csv", rows.encode(), "text/csv")})
    assert done.status_code == 200
    page = client.get("/carbon/points/entries?month=2025-05")
    assert page.status_code == 200 and "张老师" in page.text
    items = client.get("/api/v1/carbon/points/entries?month=2025-05").json()["items"]
    plate = next(i for i in items if i["action"] == "clean_plate")
    recycling = next(i for i in items if i["action"] == "recycling")
    refused = client.post(f"/carbon/points/entries/{plate['id']}/correct", data={
        "csrf_token": token, "quantity": "1", "reason": "", "month": "2025-05"})
    assert refused.status_code == 422 and 'value="1"' in refused.text
    assert "请填写理由" in refused.text
    fixed = client.post(f"/carbon/points/entries/{plate['id']}/correct", data={
        "csrf_token": token, "quantity": "1", "reason": "只有一餐", "month": "2025-05"})
    assert fixed.status_code == 303 and "month=2025-05" in fixed.headers["location"]
    api = client.post(f"/api/v1/carbon/points/entries/{recycling['id']}/withdraw",
                      json={"reason": "重复"}, headers={"X-CSRF-Token": token})
    assert api.status_code == 200 and api.json()["withdrawn"] is True
    board = client.get("/api/v1/carbon/points?year=2025").json()
    assert board["totals"]["points"] == 1 and board["rule_version"] == 0
    shown = client.get("/carbon/points/entries?month=2025-05")
    assert f'data-withdrawn="{recycling["id"]}"' in shown.text and "重复" in shown.text
    other = _other_school(world)
    assert other.get("/api/v1/carbon/points/entries?month=2025-05").json()["items"] == []
    tried = other.post(f"/carbon/points/entries/{plate['id']}/withdraw",
                       data={"csrf_token": csrf(other), "reason": "x"})
    assert tried.status_code == 404
    viewer = world.login("viewer")
    assert viewer.post(f"/carbon/points/entries/{plate['id']}/withdraw", data={
        "csrf_token": csrf(viewer), "reason": "x"}).status_code == 403


def test_local_rules_loaded_and_exported_on_the_points_page(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    page = admin.get("/carbon/points")
    assert 'id="rules-load-form"' in page.text and 'id="rule-version"' in page.text
    exported = admin.get("/carbon/points/rules.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    rows[0]["points_per_unit"] = "x"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    bad = admin.post("/carbon/points/rules", data={"csrf_token": token},
                     files={"file": ("rules.csv", buffer.getvalue().encode(), "text/csv")})
    assert bad.status_code == 422 and 'id="load-issues"' in bad.text
    assert "points_per_unit" in bad.text and "“x”无效" in bad.text
    rows[0]["points_per_unit"] = "3"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    good = admin.post("/carbon/points/rules", data={"csrf_token": token},
                      files={"file": ("rules.csv", buffer.getvalue().encode(), "text/csv")})
    assert good.status_code == 200 and 'id="rules-report"' in good.text
    twin = admin.get("/api/v1/carbon/points").json()
    assert twin["rule_version"] == 1 and twin["rules"][0]["points_per_unit"] == 3
    again = admin.post("/api/v1/carbon/points/rules", headers={"X-CSRF-Token": token},
                       files={"file": ("rules.csv", admin.get(
                           "/carbon/points/rules.csv").content, "text/csv")})
    assert again.status_code == 200 and again.json()["unchanged"] is True
    office = world.login("region")
    assert 'id="rules-load-form"' not in office.get("/carbon/points").text
    assert office.post("/api/v1/carbon/points/rules", headers={
        "X-CSRF-Token": csrf(office)}).status_code == 403


def test_the_pages_in_english_have_every_text(world: World) -> None:
    event_id, client = _event(world)
    token = csrf(client)
    client.post(f"/carbon/events/{event_id}/offsets", data={
        "csrf_token": token, "kind": "ccer", "quantity_t": "1"})
    offset_id = client.get(f"/api/v1/carbon/events/{event_id}").json()["offsets"][0]["id"]
    client.post(f"/carbon/events/{event_id}/offsets/{offset_id}/withdraw",
                data={"csrf_token": token, "reason": "void"})
    client.post("/carbon/points/import", data={"csrf_token": token}, files={"file": (
        "p.csv", f"统一社会信用代码,员工编号,显示名,日期,行为,数量\n{SCHOOL},S1,张,2025-05-06,"
        "recycling,1\n".encode(), "text/csv")})
    admin = world.login("admin")
    en = {"Accept-Language": "en"}
    for who, url, shown in (
            (client, f"/carbon/events/{event_id}", "Correct the event and its activity data"),
            (client, "/carbon/points/entries?month=2025-05", "Ledger entries: correct"),
            (admin, "/carbon/points", "Load local points rules")):
        page = who.get(url, headers=en)
        assert page.status_code == 200 and shown in page.text, url
        assert "carbon.fix." not in page.text and "请填写" not in page.text, url
