"""/quality and /quality/rules with their JSON twins: findings of my scope, the
explanation form, running a region, editing rule settings — CSRF required, audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from jieneng.services.accounts import audit
from jieneng.storage import tables as t
from tests.web.conftest import ORGAN, SCHOOL, World, csrf


def _finding(world: World, code: str, rule: str = "yoy_change",
             severity: str = "warning") -> None:
    with world.engine.begin() as conn:
        conn.execute(t.quality_finding.insert().values(
            institution_id=world.ids[code], year=2025, month=0, carrier="electricity",
            rule=rule, severity=severity, value=1200.0,
            params=json.dumps({"previous": 1000.0, "change": 0.2, "threshold": 0.1}),
            state="open", found_at=datetime.now(UTC)))


def test_findings_page_twin_and_explanation(world: World) -> None:
    _finding(world, SCHOOL)
    _finding(world, ORGAN)
    school = world.login("institution")
    page = school.get("/quality?year=2025")
    assert page.status_code == 200
    assert "同比变化" in page.text and "/quality/findings/" in page.text
    data = school.get("/api/v1/quality/findings?year=2025&rule=yoy_change").json()
    assert data["total"] == 1 and data["items"][0]["credit_code"] == SCHOOL
    assert ORGAN not in page.text
    finding = data["items"][0]
    assert "+20.0%" in finding["message_zh"] and "please explain" in finding["message_en"]
    url = f"/quality/findings/{finding['id']}/explain"
    assert school.post(url, data={"explanation": "新增教学楼"}).status_code == 403  # no token
    done = school.post(url, data={"explanation": "新增教学楼", "csrf_token": csrf(school)})
    assert done.status_code == 303
    item = school.get("/api/v1/quality/findings?state=explained").json()["items"][0]
    assert item["explanation"] == "新增教学楼"
    assert any(e["action"] == "quality.explain"
               for e in audit.list_entries(world.engine, per_page=200)["items"])
    # the JSON twin of the explanation, for a finding out of scope: 404
    region = world.login("region")
    outside = region.get("/api/v1/quality/findings?region=450302")
    assert outside.status_code == 404
    viewer = world.login("viewer")
    token = csrf(viewer)
    refused = viewer.post(f"/api/v1/quality/findings/{finding['id']}/explanation",
                          json={"explanation": "x"}, headers={"X-CSRF-Token": token})
    assert refused.status_code in (403, 404)


def test_run_region_and_rule_settings(world: World) -> None:
    region = world.login("region")
    ran = region.post("/quality/run", data={"region_code": "450321", "year": "2025",
                                            "csrf_token": csrf(region)})
    assert ran.status_code == 303 and ran.headers["location"].startswith("/quality?")
    school = world.login("institution")
    refused = school.post("/quality/run", data={"region_code": "450321", "year": "2025",
                                                "csrf_token": csrf(school)})
    assert refused.status_code == 403
    rules = region.get("/api/v1/quality/rules?region=450321").json()
    assert {r["code"] for r in rules["rules"]} >= {"missing_month", "unit_slip_10000"}
    assert region.get("/quality/rules?region=450321").status_code == 200
    manager = world.login("region_admin")
    saved = manager.post("/quality/rules", data={
        "region_code": "450321", "rule": "yoy_change", "enabled": "on",
        "severity": "notice", "param_threshold": "0.25", "csrf_token": csrf(manager)})
    assert saved.status_code == 303
    rule = next(r for r in region.get("/api/v1/quality/rules?region=450321").json()["rules"]
                if r["code"] == "yoy_change")
    assert rule["effective"]["severity"] == "notice"
    assert rule["effective"]["params"]["threshold"] == 0.25
    bad = manager.post("/quality/rules", data={
        "region_code": "450321", "rule": "yoy_change", "enabled": "on",
        "severity": "notice", "param_threshold": "-3", "csrf_token": csrf(manager)})
    assert bad.status_code == 422
    plain = region.post("/quality/rules", data={
        "region_code": "450321", "rule": "yoy_change", "severity": "error",
        "csrf_token": csrf(region)})
    assert plain.status_code == 403
    assert region.get("/api/v1/quality/reference-prices").json() == {"items": []}
