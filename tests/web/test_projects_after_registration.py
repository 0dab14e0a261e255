"""The project page after registration (web and JSON twins, status AND body): removing
a boundary line (effective day, reason; refusals keep what was typed), the measures
page (add, edit; a refusal keeps the typed values), and contract shares typed and
shown in percent (stored as fractions)."""

from __future__ import annotations

import pytest

from jieneng.services.projects.boundary import add_boundary
from jieneng.services.projects.registry import get_project
from tests.web.conftest import World, csrf
from tests.web.test_projects_forms import GOOD
from tests.web.test_projects_pages import seed_projects


@pytest.fixture
def projects(world: World) -> World:
    seed_projects(world)
    add_boundary(world.engine, world.users["admin"], "YS-EPC-2", kind="system",
                 description="二中空调系统")
    return world


def _line_id(world: World) -> int:
    return int(get_project(world.engine, world.users["admin"], "YS-EPC-2")["boundary"][0]["id"])


def test_boundary_removal_form_keeps_what_was_typed_and_marks_the_line(
        projects: World) -> None:
    office = projects.login("region")
    token = csrf(office)
    line = _line_id(projects)
    page = office.get("/projects/YS-EPC-2")
    assert 'id="boundary-remove-form"' in page.text and "在边界内" in page.text
    refused = office.post("/projects/YS-EPC-2/boundary/remove", data={
        "csrf_token": token, "r_id": str(line), "r_on": "2026-03-01", "r_reason": ""})
    assert refused.status_code == 422
    assert 'value="2026-03-01"' in refused.text and f'value="{line}" selected' in refused.text
    assert "reason" in refused.text                       # the field the refusal names
    bad_day = office.post("/projects/YS-EPC-2/boundary/remove", data={
        "csrf_token": token, "r_id": str(line), "r_on": "2026-02-30", "r_reason": "拆除"})
    assert bad_day.status_code == 422 and 'value="拆除"' in bad_day.text
    done = office.post("/projects/YS-EPC-2/boundary/remove", data={
        "csrf_token": token, "r_id": str(line), "r_on": "2026-03-01", "r_reason": "空调系统拆除"})
    assert done.status_code == 303, done.text[:300]
    after = office.get(done.headers["location"])
    assert "已从项目边界移出" in after.text and "自 2026-03-01 起移出" in after.text
    assert "空调系统拆除" in after.text and 'class="pg-removed"' in after.text
    assert 'id="boundary-remove-form"' not in after.text  # nothing left to remove
    twin = office.get("/api/v1/projects/YS-EPC-2").json()["boundary"][0]
    assert twin["removed_on"] == "2026-03-01" and twin["removed_reason"] == "空调系统拆除"
    english = projects.login("region")
    english.cookies.set("lang", "en")
    assert "removed from 2026-03-01" in english.get("/projects/YS-EPC-2?lang=en").text


def test_boundary_removal_twin_refusals_by_code(projects: World) -> None:
    office = projects.login("region")
    headers = {"X-CSRF-Token": csrf(office)}
    line = _line_id(projects)
    url = f"/api/v1/projects/YS-EPC-2/boundary/{line}/removal"
    ok = office.post(url, json={"removed_on": "2026-03-01", "reason": "拆除"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["removed_on"] == "2026-03-01"
    twice = office.post(url, json={"removed_on": "2026-04-01", "reason": "拆除"},
                        headers=headers)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "project_boundary_removal_twice"
    assert "2026-03-01" in twice.json()["error"]["message"]
    missing = office.post("/api/v1/projects/YS-EPC-2/boundary/99999/removal",
                          json={"removed_on": "2026-03-01", "reason": "x"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "project_boundary_removal_not_found"
    viewer = projects.login("viewer")
    assert viewer.post(url, json={"removed_on": "2026-03-01", "reason": "x"},
                       headers={"X-CSRF-Token": csrf(viewer)}).status_code == 403
    school = projects.login("institution")                  # YS-EPC-2 is SILENT's
    hidden = school.post(url, json={"removed_on": "2026-03-01", "reason": "x"},
                         headers={"X-CSRF-Token": csrf(school)})
    assert hidden.status_code in (403, 404) and "二中" not in hidden.text


def test_measures_page_adds_and_edits_keeping_what_was_typed(projects: World) -> None:
    office = projects.login("region")
    token = csrf(office)
    assert 'href="/projects/YS-EPC-2/measures"' in office.get("/projects/YS-EPC-2").text
    page = office.get("/projects/YS-EPC-2/measures")
    assert page.status_code == 200 and 'id="measure-add-form"' in page.text
    assert 'id="no-measures"' in page.text
    bad = office.post("/projects/YS-EPC-2/measures", data={
        "csrf_token": token, "name": "LED 照明改造", "carrier": "electricity",
        "investment_yuan": "-5", "expected_tce": "12.5"})
    assert bad.status_code == 422
    assert 'value="LED 照明改造"' in bad.text and 'value="12.5"' in bad.text
    assert 'value="electricity" selected' in bad.text
    added = office.post("/projects/YS-EPC-2/measures", data={
        "csrf_token": token, "name": "LED 照明改造", "carrier": "electricity",
        "investment_yuan": "200000", "expected_saving": "120000", "expected_tce": "14.7"})
    assert added.status_code == 303
    shown = office.get(added.headers["location"])
    assert "已增加节能措施" in shown.text and 'value="LED 照明改造"' in shown.text
    measure = office.get("/api/v1/projects/YS-EPC-2/measures").json()["measures"][0]
    assert measure["investment_yuan"] == 200000 and measure["expected_tce"] == 14.7
    refused = office.post(f"/projects/YS-EPC-2/measures/{measure['id']}", data={
        "csrf_token": token, "name": "", "expected_tce": "15.2"})
    assert refused.status_code == 422 and 'value="15.2"' in refused.text
    edited = office.post(f"/projects/YS-EPC-2/measures/{measure['id']}", data={
        "csrf_token": token, "name": "LED 与智能照明", "carrier": "electricity",
        "investment_yuan": "260000", "expected_tce": "15.2"})
    assert edited.status_code == 303
    detail = office.get("/projects/YS-EPC-2")
    assert "LED 与智能照明" in detail.text and "26.00" in detail.text  # 万元


def test_measures_twin_and_capability(projects: World) -> None:
    office = projects.login("region")
    headers = {"X-CSRF-Token": csrf(office)}
    made = office.post("/api/v1/projects/YS-EPC-2/measures", headers=headers, json={
        "name": "热泵", "carrier": "electricity", "expected_tce": 3.0})
    assert made.status_code == 201 and made.json()["name"] == "热泵"
    unknown = office.post("/api/v1/projects/YS-EPC-2/measures", headers=headers,
                          json={"name": "x", "carrier": "月光"})
    assert unknown.status_code == 422
    put = office.put(f"/api/v1/projects/YS-EPC-2/measures/{made.json()['id']}",
                     headers=headers, json={"name": "空气源热泵", "expected_tce": 3.5})
    assert put.status_code == 200 and put.json()["expected_tce"] == 3.5
    gone = office.put("/api/v1/projects/YS-EPC-2/measures/99999", headers=headers,
                      json={"name": "x"})
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "project_measure_not_found"
    viewer = projects.login("viewer")
    assert viewer.get("/projects/XF-HP-3/measures").status_code == 403
    assert viewer.post("/api/v1/projects/XF-HP-3/measures", json={"name": "x"},
                       headers={"X-CSRF-Token": csrf(viewer)}).status_code == 403
    no_token = office.post("/projects/YS-EPC-2/measures", data={"name": "x"})
    assert no_token.status_code == 403


def test_contract_shares_are_typed_and_shown_in_percent(projects: World) -> None:
    office = projects.login("region")
    token = csrf(office)
    form = {"csrf_token": token, **GOOD, "fee_base_yuan": "1200000",
            "price_mode": "base_year", "carbon_rights": "owner"}
    page = office.get("/projects/YS-EPC-2/contract")
    assert page.text.count("> %</span>") == 2 and "按百分数填写（70 即 70%）" in page.text
    assert "(0–1)" not in page.text and "0–1 之间的小数" not in page.text
    too_big = office.post("/projects/YS-EPC-2/contract", data={**form, "sharing_ratio": "150"})
    assert too_big.status_code == 422 and 'value="150"' in too_big.text
    assert "节能服务公司分享比例的值“150”无效：应为 0～100 的百分数" in too_big.text
    saved = office.post("/projects/YS-EPC-2/contract", data={
        **form, "sharing_ratio": "70%", "guaranteed_rate": "12.5"})
    assert saved.status_code == 303, saved.text[:400]
    raw = office.get("/api/v1/projects/YS-EPC-2").json()["contract"]["raw"]
    assert raw["sharing_ratio"] == pytest.approx(0.7)
    assert raw["guaranteed_rate"] == pytest.approx(0.125)
    again = office.get("/projects/YS-EPC-2/contract")
    assert 'value="70"' in again.text and 'value="12.5"' in again.text
    assert "70.0%" in office.get("/projects/YS-EPC-2").text
