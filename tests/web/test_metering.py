"""The metering registry page and its JSON twin: an institution opens its own unit,
binds an account, a conflicting binding is refused naming both units (the other only
when in scope), bulk upload with a dry run, scope on the twin."""

from __future__ import annotations

from tests.web.conftest import NAMES, ORGAN, SCHOOL, World, csrf


def test_institution_binds_and_sees_its_registry(world: World) -> None:
    client = world.login("institution")
    page = client.get("/metering")
    assert page.status_code == 200 and NAMES[SCHOOL] in page.text
    token = csrf(client)
    done = client.post("/metering/bind", data={
        "csrf_token": token, "institution": SCHOOL, "carrier": "electricity",
        "account": "0301", "valid_from": "2026-01-01", "utility": "广西电网"})
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"])
    assert "0301" in page.text and "广西电网" in page.text
    twin = client.get(f"/api/v1/metering?institution={SCHOOL}")
    assert [a["number"] for a in twin.json()["accounts"]] == ["0301"]
    assert client.get(f"/api/v1/metering?institution={ORGAN}").status_code == 404


def test_a_conflicting_binding_names_both_units_to_an_administrator(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    first = admin.post("/api/v1/metering/bindings", headers={"X-CSRF-Token": token}, json={
        "credit_code": ORGAN, "carrier": "电", "account": "A-1", "valid_from": "2026-01-01"})
    assert first.status_code == 201, first.text
    second = admin.post("/api/v1/metering/bindings", headers={"X-CSRF-Token": token}, json={
        "credit_code": SCHOOL, "carrier": "电", "account": "A-1", "valid_from": "2026-01-01"})
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "metering.registry.account_bound_elsewhere"
    assert NAMES[ORGAN] in error["message"] and NAMES[SCHOOL] in error["message"]
    school = world.login("institution")
    refused = school.post("/metering/bind", data={
        "csrf_token": csrf(school), "institution": SCHOOL, "carrier": "electricity",
        "account": "A-1", "valid_from": "2026-02-01"})
    assert refused.status_code == 409
    assert NAMES[ORGAN] not in refused.text and ORGAN not in refused.text


def test_bulk_upload_dry_run_then_import(world: World) -> None:
    client = world.login("region")
    body = f"统一社会信用代码,能源品种,户号,表号,倍率\n{SCHOOL},电,0302,M1,40\n".encode()
    token = csrf(client)
    dry = client.post("/metering/import", headers={"X-CSRF-Token": token},
                      data={"dry_run": "1", "institution": SCHOOL},
                      files={"file": ("m.csv", body, "text/csv")})
    assert dry.status_code == 200 and "试导入" in dry.text
    assert client.get(f"/api/v1/metering?institution={SCHOOL}").json()["meters"] == []
    done = client.post("/metering/import", headers={"X-CSRF-Token": token},
                       data={"institution": SCHOOL},
                       files={"file": ("m.csv", body, "text/csv")})
    assert done.status_code == 200, done.text
    (meter,) = client.get(f"/api/v1/metering?institution={SCHOOL}").json()["meters"]
    assert (meter["number"], meter["multiplier"], meter["account"]) == ("M1", 40.0, "0302")
    again = client.post("/metering/import", headers={"X-CSRF-Token": token},
                        data={"institution": SCHOOL},
                        files={"file": ("m.csv", body, "text/csv")})
    assert again.status_code == 422 and "M1" in again.text
    template = client.get("/metering/template.csv")
    assert template.status_code == 200 and "户号".encode() in template.content
