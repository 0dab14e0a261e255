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
    form = {"region_code": "450300", "year": str(YEAR), "csrf_token": token}
    confirm = admin.get(f"/admin/publication/confirm?region_code=450300&year={YEAR}")
    assert confirm.status_code == 200 and 'id="confirm-form"' in confirm.text
    asked = admin.post("/admin/publication", data=form)  # no confirm: the page asks
    assert asked.status_code == 200 and 'id="confirm-form"' in asked.text
    assert _screen(anonymous)["published"] is False
    response = admin.post("/admin/publication", data={**form, "confirm": "1",
                                                      "override_reason": "测试数据无填报任务"})
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

    asked = admin.post("/admin/publication/withdraw", data=form)
    assert asked.status_code == 200 and 'data-action="withdraw"' in asked.text
    assert _screen(anonymous)["published"] is True
    response = admin.post("/admin/publication/withdraw", data={**form, "confirm": "1"})
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
        form = {"region_code": region, "year": year, "csrf_token": token, "confirm": "1"}
        response = admin.post("/admin/publication?lang=zh-CN", data=form)
        assert response.status_code == status, (region, year)
        assert zh in response.text, (region, year)
        english = admin.post("/admin/publication?lang=en", data=form)
        assert english.status_code == status and en in english.text, (region, year)
    response = admin.post("/admin/publication/withdraw?lang=zh-CN",
                          data={"region_code": "450300", "year": "2025", "csrf_token": token,
                                "confirm": "1"})
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
    admin.post("/admin/publication", data={**form, "csrf_token": csrf(admin), "confirm": "1",
                                           "override_reason": "测试数据无填报任务"})
    assert admin.post("/admin/publication/withdraw", data=form).status_code == 403
    assert admin.delete(f"/api/v1/admin/publication/450300/{YEAR}?confirm=true"
                        ).status_code == 403
    assert len(list_publications(world.engine)) == 1


def test_json_twin_lists_publishes_and_withdraws(world: World) -> None:
    admin = world.login("admin")
    headers = {"X-CSRF-Token": csrf(admin)}
    assert admin.get("/api/v1/admin/publication").json() == {"items": []}
    response = admin.post("/api/v1/admin/publication", headers=headers,
                          json={"region_code": "450321", "year": YEAR})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "publication.confirm_required"
    response = admin.post("/api/v1/admin/publication", headers=headers,
                          json={"region_code": "450321", "year": YEAR, "confirm": True})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "publication.incomplete"
    response = admin.post("/api/v1/admin/publication", headers=headers,
                          json={"region_code": "450321", "year": YEAR, "confirm": True,
                                "override_reason": "测试数据无填报任务"})
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
                          json={"region_code": "450302", "year": 2024, "confirm": True})
    assert response.status_code == 422
    assert response.json()["error"]["kind"] == "validation_failed"
    assert response.json()["error"]["code"] == "publication.no_figures"
    assert "no figures" in response.json()["error"]["message"]
    assert admin.post("/api/v1/admin/publication", headers=headers,
                      json={"region_code": "4503", "year": YEAR}).status_code == 422
    response = admin.delete(f"/api/v1/admin/publication/450321/{YEAR}", headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "publication.confirm_required"
    response = admin.delete(f"/api/v1/admin/publication/450321/{YEAR}?confirm=true",
                            headers=headers)
    assert response.status_code == 204
    assert admin.delete(f"/api/v1/admin/publication/450321/{YEAR}?confirm=true",
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
                           json={"region_code": "450300", "year": YEAR, "confirm": True,
                                 "override_reason": "测试数据无填报任务"})
    assert response.status_code == 200
    assert bearer.delete(f"/api/v1/admin/publication/450300/{YEAR}?confirm=true",
                         headers=headers).status_code == 204


def test_confirmation_shows_what_becomes_public_and_the_completeness(world: World) -> None:
    admin = world.login("admin")
    url = f"/admin/publication/confirm?region_code=450300&year={YEAR}"
    page = admin.get(url)
    assert page.status_code == 200
    twin = admin.get("/api/v1" + url[len(""):])
    assert twin.status_code == 200, twin.text
    data = twin.json()
    assert data["action"] == "publish" and data["complete"] is False
    assert data["shortfalls"] == ["reporting_rate", "review_rate"]
    assert data["thresholds"] == {"reporting_rate": 0.95, "review_rate": 0.9}
    assert data["figures"]["institutions_reported"] > 0
    text = page.text
    assert "将公开的内容" in text and "上报率" in text and "审核率" in text
    assert "≥ 95.0%" in text and "≥ 90.0%" in text and 'name="override_reason"' in text
    assert f'data-units="{data["figures"]["institutions_reported"]}"' in text
    english = admin.get(url + "&lang=en").text
    assert "What becomes public" in english and "Reporting rate" in english
    # a year without figures, a region that does not exist: the list page with the refusal
    assert admin.get("/admin/publication/confirm?region_code=450300&year=2024"
                     ).status_code == 422
    assert admin.get("/api/v1/admin/publication/confirm?region_code=999998&year=2025"
                     ).status_code == 404
    withdraw = admin.get(url + "&action=withdraw")
    assert withdraw.status_code == 200
    assert 'action="/admin/publication/withdraw"' in withdraw.text
    # without a reason the confirmed form is refused beside the reason's field
    token = csrf(admin)
    refused = admin.post("/admin/publication?lang=zh-CN", data={
        "region_code": "450300", "year": str(YEAR), "csrf_token": token, "confirm": "1"})
    assert refused.status_code == 422 and "数据尚不完整" in refused.text
    assert list_publications(world.engine) == []


def test_a_complete_year_publishes_without_a_reason(world: World) -> None:
    from sqlalchemy import update

    from jieneng.core.caller import command_line_user
    from jieneng.services.workflow.periods import open_period
    from jieneng.storage import tables as t

    open_period(world.engine, command_line_user(), region_code="450300", period="2025-12")
    with world.engine.begin() as conn:
        conn.execute(update(t.reporting_task).values(state="approved"))
    admin = world.login("admin")
    page = admin.get(f"/admin/publication/confirm?region_code=450300&year={YEAR}")
    assert 'data-complete="true"' in page.text and 'name="override_reason"' not in page.text
    response = admin.post("/admin/publication", data={
        "region_code": "450300", "year": str(YEAR), "csrf_token": csrf(admin), "confirm": "1"})
    assert response.status_code == 303
    (entry,) = _audit(world, "publication.publish")
    assert entry["after"]["complete"] is True and entry["after"]["reporting_rate"] == 1.0
    assert "override_reason" not in entry["after"]
