"""The app factory, the layout and the indicators API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.scope import Scope
from jieneng.services.statistics.indicators import IndicatorQuery, compute
from jieneng.settings import Settings
from jieneng.web import app as web_app
from tests.web.conftest import ORGAN, SCHOOL, World

WEB = Path(web_app.__file__).parent


def test_default_secret_refused_outside_development() -> None:
    with pytest.raises(ValidationFailed):
        Settings(environment="production")


def test_import_connects_nothing() -> None:
    assert not hasattr(web_app, "app")  # no module-level app, no engine


def test_no_cdn_anywhere() -> None:
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py"), WEB / "static" / "app.css"]:
        text = path.read_text("utf-8")
        assert not re.search(r"(src|href)=[\"']https?://", text), path
        assert not re.search(r"(src|href)=[\"']//", text), path


def test_templates_hold_no_inline_script() -> None:
    """The Content-Security-Policy allows scripts from /static only: no inline code."""
    for path in WEB.rglob("*.html"):
        text = path.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=|javascript:|hx-on", text, re.I), path


def test_content_security_policy_on_html_only(world: World) -> None:
    login = world.client().get("/login")
    assert login.headers["content-security-policy"] == web_app.CONTENT_SECURITY_POLICY
    client = world.login("region")
    for path in ("/", "/account", "/api/v1/docs", "/no-such-page"):
        response = client.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        assert response.headers["content-security-policy"] == web_app.CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in web_app.CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in web_app.CONTENT_SECURITY_POLICY
    for path in ("/api/v1/me", "/static/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "content-security-policy" not in response.headers, path
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("role", "nav", "hidden"), [
    ("admin", ["概览", "名录", "数据填报", "导入", "大屏", "管理"], []),
    ("region", ["概览", "名录", "数据填报", "导入", "大屏"], ["/admin/users"]),
    ("viewer", ["概览", "名录", "大屏"], ["数据填报", "/admin/users"]),
])
def test_layout_nav_per_role(world: World, role: str, nav: list[str], hidden: list[str]) -> None:
    page = world.login(role).get("/")
    assert page.status_code == 200
    body = page.text
    assert '<html lang="zh-CN">' in body and "/static/app.css" in body
    assert 'name="viewport"' in body and "退出" in body and "English" in body
    navbar = body[body.index('class="mainnav"'):body.index("</nav>")]
    for label in nav:
        assert label in navbar, label
    for label in hidden:
        assert label not in navbar, label


def test_scope_name_in_top_bar(world: World) -> None:
    assert "阳朔县" in world.login("region").get("/").text
    assert "阳朔县演示第一中学" in world.login("institution").get("/").text


def test_openapi_document_and_docs_page(world: World) -> None:
    client = world.client()
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/indicators" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert not any(p.startswith("/admin") or p == "/login" for p in spec["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/indicators" in docs.text


def test_indicators_api_equals_the_service_within_scope(world: World) -> None:
    query = IndicatorQuery(region_code="450321", year=2025, group_by="institution")
    expected = compute(world.engine, query, Scope.region("450321"))
    got = world.login("region").get(
        "/api/v1/indicators?region=450321&year=2025&group_by=institution").json()
    assert got["energy_tce"] == expected["energy_tce"]
    assert [g["code"] for g in got["groups"]] == [g["code"] for g in expected["groups"]]
    mine = world.login("institution").get("/api/v1/indicators?year=2025&group_by=institution")
    assert mine.status_code == 200
    assert [g["code"] for g in mine.json()["groups"]] == [SCHOOL]
    city = world.login("viewer").get("/api/v1/indicators?year=2025&region=450302")
    assert city.json()["institutions_reported"] == 2
    outside = world.login("institution").get(f"/api/v1/indicators?year=2025&institution={ORGAN}")
    assert outside.status_code == 404


def test_demo_accounts_are_idempotent_and_can_log_in(world: World) -> None:
    from jieneng.services.accounts.accounts import list_users
    from jieneng.services.demo import ensure_demo_accounts

    first = ensure_demo_accounts(world.engine, "450300")
    count = list_users(world.engine)["total"]
    second = ensure_demo_accounts(world.engine, "450300")
    assert first == second and list_users(world.engine)["total"] == count
    by_name = {a.username: a for a in first}
    assert by_name["guilin"].role.value == "region" and by_name["guilin"].pinned_to == "桂林市"
    # the world's own accounts of the same names are not demo accounts: left alone, not listed
    assert "yangshuo" not in by_name and "admin" not in by_name
    client = world.client()
    client.get("/login")
    from tests.web.conftest import csrf

    response = client.post("/login", data={"username": "guilin",
                                           "password": by_name["guilin"].password,
                                           "csrf_token": csrf(client)})
    assert response.status_code == 303
    assert client.get("/api/v1/me").json()["scope"]["region_code"] == "450300"
