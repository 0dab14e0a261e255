"""The utility-files page (upload with a dry run, the error table, the templates) and
the JSON of one account's days and bills: scope (another unit's account is 404, its
owner never named), revisions."""

from __future__ import annotations

from tests.web.conftest import NAMES, ORGAN, SCHOOL, World, csrf


def _bind(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    for code, number in ((SCHOOL, "0301"), (ORGAN, "0900")):
        done = admin.post("/api/v1/metering/bindings", headers={"X-CSRF-Token": token}, json={
            "credit_code": code, "carrier": "电", "account": number,
            "valid_from": "2026-01-01"})
        assert done.status_code == 201, done.text


def test_upload_dry_run_import_revision_and_json(world: World) -> None:
    _bind(world)
    client = world.login("institution")  # the school's account
    page = client.get("/metering/utility")
    assert page.status_code == 200 and "户号" in page.text
    template = client.get("/metering/utility/bills.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    body = "户号,日期,电量\n0301,2026-11-01,10\n0301,2026-11-02,12\n".encode("gbk")
    token = csrf(client)
    dry = client.post("/metering/utility", headers={"X-CSRF-Token": token},
                      data={"kind": "daily-kwh", "dry_run": "1"},
                      files={"file": ("d.csv", body, "text/csv")})
    assert dry.status_code == 200 and "试导入" in dry.text, dry.text
    days = client.get("/api/v1/metering/accounts/electricity/0301/days",
                      params={"from": "2026-11-01", "to": "2026-11-30"})
    assert days.status_code == 200 and days.json()["days"] == []
    done = client.post("/metering/utility", headers={"X-CSRF-Token": token},
                       data={"kind": "daily-kwh"}, files={"file": ("d.csv", body, "text/csv")})
    assert done.status_code == 200
    again = "户号,日期,电量\n0301,2026-11-01,11\n".encode()
    client.post("/metering/utility", headers={"X-CSRF-Token": token},
                data={"kind": "daily-kwh"}, files={"file": ("d2.csv", again, "text/csv")})
    days = client.get("/api/v1/metering/accounts/电/0301/days",
                      params={"from": "2026-11-01", "to": "2026-11-30", "history": "true"})
    got = days.json()
    assert [(d["day"], d["quantity"], d["revision"]) for d in got["days"]] == [
        ("2026-11-01", 11.0, 2), ("2026-11-02", 12.0, 1)]
    assert [(d["quantity"], d["revision"]) for d in got["revisions"]] == [(10.0, 1)]
    bills = "户号,账期起,账期止,电量,电费\n0301,2026-10-21,2026-11-20,300,210\n".encode()
    client.post("/metering/utility", headers={"X-CSRF-Token": token},
                data={"kind": "bills"}, files={"file": ("b.csv", bills, "text/csv")})
    got = client.get("/api/v1/metering/accounts/electricity/0301/bills").json()
    assert [(b["period_start"], b["cost_yuan"]) for b in got["bills"]] == [
        ("2026-10-21", 210.0)]


def test_another_units_account_is_refused_without_its_name(world: World) -> None:
    _bind(world)
    client = world.login("institution")
    token = csrf(client)
    body = "户号,日期,电量\n0900,2026-11-01,10\n".encode()
    refused = client.post("/metering/utility", headers={"X-CSRF-Token": token},
                          data={"kind": "daily-kwh"}, files={"file": ("d.csv", body, "text/csv")})
    assert refused.status_code == 422
    assert "0900" in refused.text and NAMES[ORGAN] not in refused.text
    assert ORGAN not in refused.text
    for tail in ("days", "bills"):
        answer = client.get(f"/api/v1/metering/accounts/electricity/0900/{tail}")
        assert answer.status_code == 404 and NAMES[ORGAN] not in answer.text
    viewer = world.login("viewer")
    assert viewer.get("/api/v1/metering/accounts/electricity/0900/days").status_code == 403


def test_month_rule_form_and_json(world: World) -> None:
    region = world.login("region_admin")  # 阳朔县's administrator: configure_rules
    token = csrf(region)
    assert region.get("/api/v1/metering/month-rule", params={"region": "450321"}).json() == {
        "region_code": "450321", "source_order": "daily_first", "allocation": "daily",
        "set_at": None}
    saved = region.post("/metering/utility/rule", data={
        "csrf_token": token, "region_code": "450321", "source_order": "bills_first",
        "allocation": "end_month"})
    assert saved.status_code == 200, saved.text
    assert "先用账单 / 整张账单计入账期结束的月份" in saved.text  # the rule by name, not its codes
    got = region.get("/api/v1/metering/month-rule", params={"region": "450321"}).json()
    assert (got["source_order"], got["allocation"], got["set_at"]) == (
        "bills_first", "end_month", "450321")
    outside = region.post("/api/v1/metering/month-rule", headers={"X-CSRF-Token": token},
                          json={"region_code": "450302", "source_order": "daily_first",
                                "allocation": "days"})
    assert outside.status_code == 404
    bad = region.post("/api/v1/metering/month-rule", headers={"X-CSRF-Token": token},
                      json={"region_code": "450321", "source_order": "whatever",
                            "allocation": "days"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "utility.bad_rule"
    office = world.login("region")  # the county office may read the rule, not set it
    refused = office.post("/api/v1/metering/month-rule", headers={"X-CSRF-Token": csrf(office)},
                          json={"region_code": "450321", "source_order": "daily_first",
                                "allocation": "days"})
    assert refused.status_code == 403
