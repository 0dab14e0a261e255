"""Factor set per region: the admin page (form, CSRF, field errors) and the API
(``GET /api/v1/factor-sets``, ``GET/PUT /api/v1/factor-sets/{region}``)."""

from __future__ import annotations

from tests.web.conftest import World, csrf


def test_admin_page_chooses_and_removes_a_set(world: World) -> None:
    admin = world.login("admin")
    page = admin.get("/admin/factor-sets")
    assert page.status_code == 200
    assert "gbt2589-statistical" in page.text and "1.2143" in page.text and "1.33" in page.text
    token = csrf(admin)
    ok = admin.post("/admin/factor-sets", data={
        "csrf_token": token, "region_code": "450300", "factor_set": "gbt2589-statistical",
        "co2_scope": "regional"})
    assert ok.status_code == 303 and ok.headers["location"] == "/admin/factor-sets"
    listed = admin.get("/admin/factor-sets").text
    assert "450300" in listed and "区域电网平均" in listed
    assert admin.get("/api/v1/factor-sets/450321").json()["source_region"] == "450300"

    bad = admin.post("/admin/factor-sets", data={
        "csrf_token": token, "region_code": "450300", "factor_set": "made-up"})
    assert bad.status_code == 422 and 'class="field-error"' in bad.text
    assert "made-up" in bad.text  # the message names what was refused
    missing = admin.post("/admin/factor-sets", data={
        "csrf_token": token, "region_code": "999999", "factor_set": "pi-published"})
    assert missing.status_code == 404 and "999999" in missing.text  # as the JSON twin
    english = admin.get("/admin/factor-sets?lang=en")
    assert "Factor sets" in english.text and "Regional grid average" in english.text

    cleared = admin.post("/admin/factor-sets", data={
        "csrf_token": token, "region_code": "450300", "factor_set": ""})
    assert cleared.status_code == 303
    assert admin.get("/api/v1/factor-sets/450321").json()["source_region"] is None
    audit = admin.get("/api/v1/audit").json()["items"]
    assert [e["action"] for e in audit[:2]] == ["factor_set.clear", "factor_set.set"]


def test_admin_page_refuses_others_and_missing_csrf(world: World) -> None:
    region = world.login("region")
    assert region.get("/admin/factor-sets").status_code == 403
    refused = region.post("/admin/factor-sets", data={
        "csrf_token": csrf(region), "region_code": "450321", "factor_set": "pi-published"})
    assert refused.status_code == 403
    admin = world.login("admin")
    no_token = admin.post("/admin/factor-sets", data={
        "region_code": "450300", "factor_set": "pi-published"})
    assert no_token.status_code == 403
    assert admin.get("/api/v1/factor-sets/450300").json()["own"] is None


def test_api_lists_the_sets_for_any_signed_in_user(world: World) -> None:
    viewer = world.login("viewer")
    data = viewer.get("/api/v1/factor-sets").json()
    assert [s["name"] for s in data["sets"]] == ["pi-published", "gbt2589-statistical"]
    assert data["co2_scopes"] == ["national", "regional", "provincial"]
    assert data["installation_default"] == "pi-published"
    gas = {s["name"]: next(c for c in s["coefficients"] if c["carrier"] == "natural_gas")
           for s in data["sets"]}
    assert gas["pi-published"]["source_value"] == 1.33
    assert gas["gbt2589-statistical"]["source_value"] == 1.2143
    assert world.client().get("/api/v1/factor-sets").status_code == 401


def test_api_get_within_scope_put_for_admins(world: World) -> None:
    admin = world.login("admin")
    headers = {"X-CSRF-Token": csrf(admin)}
    put = admin.put("/api/v1/factor-sets/450300", headers=headers,
                    json={"factor_set": "gbt2589-statistical", "co2_scope": None})
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["factor_set"] == "gbt2589-statistical" and body["source_region"] == "450300"
    assert body["own"] == {"factor_set": "gbt2589-statistical", "co2_scope": None}
    assert body["co2_scope"] == "national"

    region = world.login("region")  # pinned to 450321
    mine = region.get("/api/v1/factor-sets/450321")
    assert mine.status_code == 200
    assert mine.json()["factor_set"] == "gbt2589-statistical"
    assert mine.json()["source_region"] == "450300" and mine.json()["own"] is None
    assert region.get("/api/v1/factor-sets/450302").status_code == 404
    assert region.get("/api/v1/factor-sets/450300").status_code == 404
    denied = region.put("/api/v1/factor-sets/450321", headers={"X-CSRF-Token": csrf(region)},
                        json={"factor_set": "pi-published"})
    assert denied.status_code == 403  # a NotPermitted with its specific code
    assert denied.json()["error"]["code"] == "capability_required"

    # the indicators of the API follow the choice
    indicators = region.get("/api/v1/indicators", params={"year": 2025})
    assert indicators.status_code == 200
    assert indicators.json()["factor_set"]["name"] == "gbt2589-statistical"

    bad = admin.put("/api/v1/factor-sets/450300", headers=headers,
                    json={"factor_set": "made-up"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "factor_set"
    bad_scope = admin.put("/api/v1/factor-sets/450300", headers=headers,
                          json={"factor_set": "pi-published", "co2_scope": "global"})
    assert bad_scope.status_code == 422
    assert admin.put("/api/v1/factor-sets/999999", headers=headers,
                     json={"factor_set": "pi-published"}).status_code == 404
    assert admin.put("/api/v1/factor-sets/450300",
                     json={"factor_set": "pi-published"}).status_code == 403  # no CSRF token

    cleared = admin.put("/api/v1/factor-sets/450300", headers=headers, json={"factor_set": None})
    assert cleared.status_code == 200 and cleared.json()["own"] is None
    assert cleared.json()["factor_set"] == "pi-published"
    assert region.get("/api/v1/indicators", params={"year": 2025}).json()[
        "factor_set"]["name"] == "pi-published"
