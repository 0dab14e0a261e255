"""The entry forms of the project page and their JSON twins (issue 13 §5): the
contract (checked against the rule set; each broken rule shown with its article, the
value entered and the limit; what was typed kept), the boundary (a meter of another
institution refused naming both), the baseline fit, the statements and the
settlement — each as the capability table allows (manage_projects for contract and
boundary, approve_projects for the M&V actions), status AND body checked."""

from __future__ import annotations

import pytest

from jieneng.services.metering.registry import MeterSpec, add_meter
from tests.web.conftest import NAMES, SCHOOL, SILENT, World, csrf
from tests.web.test_projects_pages import seed_projects

GOOD = {"term_start": "2026-01-01", "term_end": "2031-01-01", "base_start": "2025-01-01",
        "base_end": "2026-01-01", "number": "YS-TG-合同-01", "om_scope": "空调与照明运维"}


@pytest.fixture
def projects(world: World) -> World:
    seed_projects(world)
    return world


def test_contract_form_checks_the_rules_and_keeps_what_was_typed(projects: World) -> None:
    office = projects.login("region")
    token = csrf(office)
    page = office.get("/projects/YS-EPC-2")
    assert 'id="contract-edit"' in page.text and 'href="/projects/YS-EPC-2/contract"' in page.text
    assert office.get("/projects/YS-EPC-2/contract").status_code == 200
    refused = office.post("/projects/YS-EPC-2/contract", data={"csrf_token": token, **GOOD})
    assert refused.status_code == 422
    assert 'id="contract-findings"' in refused.text
    for shown in ("国管节能〔2022〕287号", "JS/T 301-2024", "要求", "YS-TG-合同-01",
                  "空调与照明运维", 'value="2031-01-01"'):
        assert shown in refused.text, shown
    bad = office.post("/projects/YS-EPC-2/contract", data={
        "csrf_token": token, **GOOD, "fee_base_yuan": "一百万"})
    assert bad.status_code == 422 and "一百万" in bad.text and "YS-TG-合同-01" in bad.text
    saved = office.post("/projects/YS-EPC-2/contract", data={
        "csrf_token": token, **GOOD, "fee_base_yuan": "1200000", "price_mode": "base_year",
        "carbon_rights": "owner"})
    assert saved.status_code == 303, saved.text[:400]
    after = office.get(saved.headers["location"])
    assert "合同已通过规则检查并保存" in after.text and "YS-TG-合同-01" in after.text
    assert 'id="contract-check"' in after.text and "1,200,000.00" in after.text
    again = office.get("/projects/YS-EPC-2/contract")
    assert 'value="1200000.0"' in again.text and 'value="base_year" selected' in again.text


def test_contract_twin_and_scope(projects: World) -> None:
    school = projects.login("institution")                  # SCHOOL: YS-EPC-2 is SILENT's
    token = csrf(school)
    body = {k: v for k, v in GOOD.items()} | {"fee_base_yuan": 1.2e6,
                                              "price_mode": "base_year"}
    outside = school.put("/api/v1/projects/YS-EPC-2/contract", json=body,
                         headers={"X-CSRF-Token": token})
    assert outside.status_code == 404 and "二中能源费用托管" not in outside.text
    assert school.get("/projects/YS-EPC-2/contract").status_code == 404
    form = school.post("/projects/YS-EPC-2/contract", data={"csrf_token": token, **GOOD})
    assert form.status_code == 404 and "二中能源费用托管" not in form.text
    office = projects.login("region")
    headers = {"X-CSRF-Token": csrf(office)}
    refused = office.put("/api/v1/projects/YS-EPC-2/contract", json=GOOD, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["failed"] == ["fee_base", "price_mode"]
    assert "JS/T 301-2024" in refused.json()["error"]["message"]
    ok = office.put("/api/v1/projects/YS-EPC-2/contract", json=body, headers=headers)
    assert ok.status_code == 200 and ok.json()["term_end"] == "2031-01-01"
    assert all(r["passed"] for r in ok.json()["check_result"])
    viewer = projects.login("viewer")
    assert viewer.put("/api/v1/projects/XF-HP-3/contract", json=body,
                      headers={"X-CSRF-Token": csrf(viewer)}).status_code == 403


def test_boundary_form_refuses_a_meter_of_another_institution(projects: World) -> None:
    admin = projects.users["admin"]
    add_meter(projects.engine, admin, SILENT, MeterSpec("SIL-1", "electricity"))
    office = projects.login("region")
    token = csrf(office)
    assert 'id="boundary-form"' in office.get("/projects/YS-PV-1").text
    refused = office.post("/projects/YS-PV-1/boundary", data={
        "csrf_token": token, "b_kind": "meter", "b_meter": "SIL-1",
        "b_description": "二中总表"})
    assert refused.status_code == 409
    alert = refused.text.split('role="alert"', 1)[1].split("</p>", 1)[0]
    assert NAMES[SILENT] in alert and NAMES[SCHOOL] in alert      # both named
    assert 'value="SIL-1"' in refused.text and 'value="二中总表"' in refused.text
    added = office.post("/projects/YS-PV-1/boundary", data={
        "csrf_token": token, "b_kind": "building", "b_description": "教学楼屋面",
        "b_area": "1200"})
    assert added.status_code == 303
    page = office.get(added.headers["location"])
    assert "已添加到项目边界" in page.text and "教学楼屋面" in page.text
    api = office.post("/api/v1/projects/YS-PV-1/boundary", json={
        "kind": "system", "description": "逆变器"}, headers={"X-CSRF-Token": token})
    assert api.status_code == 201 and api.json()["description"] == "逆变器"
    twice = office.post("/api/v1/projects/YS-PV-1/boundary", json={
        "kind": "meter", "meter": "SIL-1"}, headers={"X-CSRF-Token": token})
    assert twice.status_code == 409
    viewer = projects.login("viewer")
    assert 'id="boundary-form"' not in viewer.get("/projects/XF-HP-3").text


def test_mv_actions_need_approve_projects_and_keep_what_was_typed(projects: World) -> None:
    school = projects.login("institution")
    token = csrf(school)
    page = school.get("/projects/YS-PV-1")
    for form in ("baseline-form", "statements-form", "settlement-form"):
        assert f'id="{form}"' not in page.text                   # manage only
    assert school.post("/projects/YS-PV-1/baseline", data={
        "csrf_token": token, "baseline_start": "2024-01-01",
        "baseline_end": "2024-12-31"}).status_code == 403
    office = projects.login("region")
    token = csrf(office)
    page = office.get("/projects/YS-EPC-2")
    for form in ("baseline-form", "statements-form", "settlement-form"):
        assert f'id="{form}"' in page.text
    fit = office.post("/projects/YS-EPC-2/baseline", data={
        "csrf_token": token, "fit_carrier": "electricity", "method": "monthly",
        "baseline_start": "2024-01-01", "baseline_end": "2024-12-31"})
    assert fit.status_code == 422 and 'value="2024-12-31"' in fit.text    # no data
    assert 'role="alert"' in fit.text or "field-error" in fit.text
    wrong = office.post("/projects/YS-EPC-2/baseline", data={
        "csrf_token": token, "method": "monthly", "baseline_start": "2024-13-01",
        "baseline_end": "2024-12-31"})
    assert wrong.status_code == 422 and "2024-13-01" in wrong.text
    period = office.post("/projects/YS-EPC-2/statements", data={
        "csrf_token": token, "action": "period", "period": "2025-13"})
    assert period.status_code == 422 and "2025-13" in period.text
    settle = office.post("/projects/YS-PV-1/settlement", data={
        "csrf_token": token, "action": "settle", "s_period": "2025", "fee_factor": "0.95"})
    assert settle.status_code == 422 and 'value="0.95"' in settle.text  # a PV project: no mode
    confirm = office.post("/projects/YS-EPC-2/settlement", data={
        "csrf_token": token, "action": "confirm", "s_period": "2025"})
    assert confirm.status_code in (404, 422) and 'value="2025"' in confirm.text
    headers = {"X-CSRF-Token": token}
    api = office.post("/api/v1/projects/YS-EPC-2/baseline", headers=headers, json={
        "baseline_start": "2024-01-01", "baseline_end": "2024-12-31", "method": "nope"})
    assert api.status_code == 422 and "nope" in api.text
    due = office.post("/api/v1/projects/YS-EPC-2/statements/due", headers=headers,
                      json={"through": "2025-01-01"})
    assert due.status_code in (200, 422), due.text[:300]
    assert office.post("/api/v1/projects/YS-PV-1/settlements", headers=headers,
                       json={"period": "2025"}).status_code == 422
    assert office.post("/api/v1/projects/YS-EPC-2/settlements/2025/confirm",
                       headers=headers).status_code in (404, 422)
    assert school.post("/api/v1/projects/YS-PV-1/statements", json={"period": "2025"},
                       headers={"X-CSRF-Token": csrf(school)}).status_code == 403
