"""/admin/publication and /api/v1/admin/publication: administrators publish and withdraw
a year of a region, the big screen follows, every change is audited, CSRF is required —
on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from jieneng.services.accounts import audit
from jieneng.services.publishing.publication import list_publications
from tests.web.conftest import ROLES, SCHOOL, World, csrf

YEAR = 2025


def _screen(client: TestClient, region: str = "450321") -> dict[str, Any]:
    response = client.get(f"/api/v1/screen/{region}")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def _audit(world: World, action: str) -> list[dict[str, Any]]:
    items = audit.list_entries(world.engine, per_page=200)["items"]
    return [e for e in items if e["action"] == action]


def test_admin_publishes_then_withdraws_and_the_screen_follows(world: World) -> None:
    admin = world.login("admin")
    anonymous = world.client()
    page = admin.get("/admin/publication")
    assert page.status_code == 200
    assert "尚未发布任何年度" in page.text
    assert 'href="/admin/publication"' in admin.get("/admin/users").text  # the admin tab
    assert _screen(anonymous)["published"] is False

    token = csrf(admin)
    response = admin.post("/admin/publication",
                          data={"region_code": "450300", "year": str(YEAR), "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/admin/publication"
    listed = admin.get("/admin/publication").text
    assert 'data-region="450300" data-year="2025"' in listed and "桂林市" in listed
    assert "action=\"/admin/publication/withdraw\"" in listed
    data = _screen(anonymous)
    assert data["published"] is True and data["year"] == YEAR
    assert SCHOOL in {i["credit_code"] for i in data["institutions"]}
    html = anonymous.get("/screen/450321").text
    assert 'id="publication"' in html and "尚未发布" not in html
    (entry,) = _audit(world, "publication.publish")
    assert entry["username"] == "admin" and entry["object_id"] == "450300:2025"
    assert entry["after"]["year"] == YEAR and entry["before"] is None

    response = admin.post("/admin/publication/withdraw",
                          data={"region_code": "450300", "year": str(YEAR), "csrf_token": token})
    assert response.status_code == 303
    assert _screen(anonymous)["published"] is False
    assert "尚未发布" in anonymous.get("/screen/450321").text
    (gone,) = _audit(world, "publication.withdraw")
    assert gone["username"] == "admin" and gone["after"] is None
    assert gone["before"]["region_code"] == "450300"
    assert list_publications(world.engine) == []


def test_publish_form_errors_are_shown_in_the_requested_language(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    # the status of the JSON twin for the same refusal (web.forms.form_error)
    cases = {("450300", "2024"): ("没有数据", "no figures", 422),  # a year without data
             ("999999", "2025"): ("不存在", "does not exist", 404),
             ("450300", "20x5"): ("无效", "invalid year", 422)}
    for (region, year), (zh, en, status) in cases.items():
        form = {"region_code": region, "year": year, "csrf_token": token}
        response = admin.post("/admin/publication?lang=zh-CN", data=form)
        assert response.status_code == status, (region, year)
        assert zh in response.text, (region, year)
        english = admin.post("/admin/publication?lang=en", data=form)
        assert english.status_code == status and en in english.text, (region, year)
    response = admin.post("/admin/publication/withdraw?lang=zh-CN",
                          data={"region_code": "450300", "year": "2025", "csrf_token": token})
    assert response.status_code == 404 and "未发布" in response.text
    assert list_publications(world.engine) == []
    assert _audit(world, "publication.publish") == []


def test_others_get_403_and_anonymous_a_login(world: World) -> None:
    for role in ROLES:
        if role == "admin":
            continue
        client = world.login(role)
        token = csrf(client)
        assert client.get("/admin/publication").status_code == 403, role
        form = {"region_code": "450300", "year": str(YEAR), "csrf_token": token}
        assert client.post("/admin/publication", data=form).status_code == 403, role
        assert client.post("/admin/publication/withdraw", data=form).status_code == 403, role
        headers = {"X-CSRF-Token": token}
        assert client.get("/api/v1/admin/publication").status_code == 403, role
        response = client.post("/api/v1/admin/publication", headers=headers,
                               json={"region_code": "450300", "year": YEAR})
        assert response.status_code == 403, role  # a NotPermitted with its specific code
        assert response.json()["error"]["code"] == "capability_required"
        response = client.delete(f"/api/v1/admin/publication/450300/{YEAR}", headers=headers)
        assert response.status_code == 403, role
    anonymous = world.client()
    response = anonymous.get("/admin/publication")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert anonymous.get("/api/v1/admin/publication").status_code == 401
    assert list_publications(world.engine) == []


def test_csrf_token_required(world: World) -> None:
    admin = world.login("admin")
    form = {"region_code": "450300", "year": str(YEAR)}
    assert admin.post("/admin/publication", data=form).status_code == 403
    assert admin.post("/admin/publication", data={**form, "csrf_token": "x"}).status_code == 403
    response = admin.post("/api/v1/admin/publication", json={"region_code": "450300",
                                                             "year": YEAR})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    assert list_publications(world.engine) == []
    admin.post("/admin/publication", data={**form, "csrf_token": csrf(admin)})
    assert admin.post("/admin/publication/withdraw", data=form).status_code == 403
    assert admin.delete(f"/api/v1/admin/publication/450300/{YEAR}").status_code == 403
    assert len(list_publications(world.engine)) == 1


def test_json_twin_lists_publishes_and_withdraws(world: World) -> None:
    admin = world.login("admin")
    headers = {"X-CSRF-Token": csrf(admin)}
    assert admin.get("/api/v1/admin/publication").json() == {"items": []}
    response = admin.post("/api/v1/admin/publication", headers=headers,
                          json={"region_code": "450321", "year": YEAR})
    assert response.status_code == 200, response.text
    item = response.json()
    assert item["region_code"] == "450321" and item["region_name"] == "阳朔县"
    assert item["year"] == YEAR and item["published_by"] == "admin" and item["published_at"]
    assert admin.get("/api/v1/admin/publication").json() == {"items": [item]}
    anonymous = world.client()
    assert _screen(anonymous, "450321")["year"] == YEAR
    assert _screen(anonymous, "450302")["published"] is False  # a sibling: not covered
    assert _screen(anonymous, "450300")["published"] is False  # the city above: not covered
    response = admin.post("/api/v1/admin/publication?lang=en", headers=headers,
                          json={"region_code": "450302", "year": 2024})
    assert response.status_code == 422
    assert response.json()["error"]["kind"] == "validation_failed"
    assert response.json()["error"]["code"] == "publication.no_figures"
    assert "no figures" in response.json()["error"]["message"]
    assert admin.post("/api/v1/admin/publication", headers=headers,
                      json={"region_code": "4503", "year": YEAR}).status_code == 422
    response = admin.delete(f"/api/v1/admin/publication/450321/{YEAR}", headers=headers)
    assert response.status_code == 204
    assert admin.delete(f"/api/v1/admin/publication/450321/{YEAR}",
                        headers=headers).status_code == 404
    assert _screen(anonymous, "450321")["published"] is False
    assert [e["object_id"] for e in _audit(world, "publication.publish")] == ["450321:2025"]
    assert [e["object_id"] for e in _audit(world, "publication.withdraw")] == ["450321:2025"]


def test_bearer_token_publishes_without_csrf(world: World) -> None:
    admin = world.login("admin")
    created = admin.post("/api/v1/tokens", json={"name": "publish"},
                         headers={"X-CSRF-Token": csrf(admin)})
    assert created.status_code == 201
    secret = created.json()["token"]
    bearer = world.client()
    headers = {"Authorization": f"Bearer {secret}"}
    response = bearer.post("/api/v1/admin/publication", headers=headers,
                           json={"region_code": "450300", "year": YEAR})
    assert response.status_code == 200
    assert bearer.delete(f"/api/v1/admin/publication/450300/{YEAR}",
                         headers=headers).status_code == 204
