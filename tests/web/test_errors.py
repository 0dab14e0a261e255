"""One error shape: every exception class of the tree, and FastAPI's own errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from jieneng.core.exceptions import ImportRejected
from tests.web.conftest import World, csrf


def _as(world: World, role: str) -> TestClient:
    return world.login(role)


def _import_rejected() -> None:
    raise ImportRejected("文件有错误，未导入", "the file has errors; nothing was imported",
                         issues=[{"row": 3, "column": "电(千瓦时)", "message_zh": "不是数字"}])


def _boom() -> None:
    raise RuntimeError("secret internals")


def _extra_routes(world: World) -> None:
    router = APIRouter()
    router.add_api_route("/api/v1/_test/import", _import_rejected)
    router.add_api_route("/api/v1/_test/boom", _boom)
    router.add_api_route("/_test/boom", _boom)
    router.add_api_route("/_test/import", _import_rejected)
    world.app.include_router(router)


Call = Callable[[World], Any]

#: (name, call, status, kind, code): ``kind`` the general class, ``code`` the specific
#: catalogue code (docs/messages.md; the same as the kind for the errors with no finer one)
CASES: list[tuple[str, Call, int, str, str]] = [
    ("ValidationFailed", lambda w: _as(w, "admin").post(
        "/api/v1/users", json={"username": "x1", "password": "Long-enough-1", "role": "region"},
        headers={"X-CSRF-Token": "?"}), 403, "not_permitted", "csrf_failed"),
    ("ValidationFailed via token", lambda w: _bearer(w, "admin").post(
        "/api/v1/users", json={"username": "x1", "password": "Long-enough-1", "role": "region"}),
        422, "validation_failed", "accounts.role_needs_region_code"),
    ("NotFound", lambda w: _as(w, "admin").get("/api/v1/users/999999"), 404, "not_found",
     "accounts.user_not_found"),
    ("NotFound (outside scope)", lambda w: _as(w, "region").get(
        "/api/v1/indicators?year=2025&region=450302"), 404, "not_found",
     "scope.region_not_found"),
    ("Conflict", lambda w: _bearer(w, "admin").post(
        "/api/v1/users", json={"username": "viewer", "password": "Long-enough-1",
                               "role": "admin"}), 409, "conflict", "accounts.username_taken"),
    # a refusal for want of a capability: NotPermitted with its specific code
    ("NotPermitted", lambda w: _as(w, "viewer").get("/api/v1/users"), 403, "not_permitted",
     "capability_required"),
    ("ImportRejected", lambda w: w.client().get("/api/v1/_test/import"), 422,
     "import_rejected", "import_rejected"),
    ("RequestValidationError", lambda w: _as(w, "viewer").get("/api/v1/indicators"), 422,
     "invalid_request", "invalid_request"),
    ("HTTP 404", lambda w: w.client().get("/api/v1/no-such-thing"), 404, "not_found",
     "not_found"),
    ("HTTP 405", lambda w: w.client().delete("/api/v1/me"), 405, "method_not_allowed",
     "method_not_allowed"),
    ("HTTP 401", lambda w: w.client().get("/api/v1/me"), 401, "not_authenticated",
     "not_authenticated"),
    ("bad token", lambda w: w.client().get(
        "/api/v1/me", headers={"Authorization": "Bearer jn_nope"}), 401, "not_authenticated",
     "not_authenticated"),
    ("unhandled", lambda w: TestClient(w.app, raise_server_exceptions=False).get(
        "/api/v1/_test/boom"), 500, "internal_error", "internal_error"),
]


def _bearer(world: World, role: str) -> TestClient:
    from jieneng.services.accounts.auth import create_token

    _, secret = create_token(world.engine, world.users[role], "test")
    client = world.client()
    client.headers["Authorization"] = f"Bearer {secret}"
    return client


@pytest.mark.parametrize(("name", "call", "status", "kind", "code"), CASES,
                         ids=[c[0] for c in CASES])
def test_api_error_shape(
    world: World, name: str, call: Call, status: int, kind: str, code: str
) -> None:
    _extra_routes(world)
    response = call(world)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "kind", "message", "details"}
    assert (body["error"]["kind"], body["error"]["code"]) == (kind, code)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text and "secret internals" not in response.text
    if code == "import_rejected":
        assert body["error"]["details"]["issues"][0]["row"] == 3
    if code == "invalid_request":
        assert body["error"]["details"][0]["loc"] == ["query", "year"]


def test_messages_follow_the_requested_language(world: World) -> None:
    client = world.client()
    zh = client.get("/api/v1/me").json()["error"]["message"]
    en = client.get("/api/v1/me?lang=en").json()["error"]["message"]
    header = world.client().get("/api/v1/me", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert zh == "请先登录"
    assert en == "Please sign in first"
    assert header.json()["error"]["message"] == en
    viewer = world.login("viewer")
    denied = viewer.get("/api/v1/users?lang=en").json()["error"]["message"]
    assert denied.startswith("a viewer account may not") and "administrators" in denied


def test_html_errors_are_pages_without_traceback(world: World) -> None:
    _extra_routes(world)
    client = TestClient(world.app, raise_server_exceptions=False, follow_redirects=False)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "页面或资源不存在" in missing.text
    boom = client.get("/_test/boom")
    assert boom.status_code == 500 and "secret internals" not in boom.text
    assert "Traceback" not in boom.text
    rejected = client.get("/_test/import")
    assert rejected.status_code == 422 and "电(千瓦时)" in rejected.text
    admin = world.login("admin")
    assert admin.get("/admin/users/999999").status_code == 404
    assert csrf(admin)
