"""API tokens (create, use, revoke) and CSRF on every state-changing route."""

from __future__ import annotations

import re

from sqlalchemy import select

from jieneng.storage import tables as t
from tests.web.conftest import World, csrf
from tests.web.routes import iter_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def test_token_create_use_revoke(world: World) -> None:
    session = world.login("region")
    created = session.post("/api/v1/tokens", json={"name": "script"},
                           headers={"X-CSRF-Token": csrf(session)})
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    assert secret.startswith("jn_")
    with world.engine.connect() as conn:
        stored = list(conn.execute(select(t.api_token.c.token_sha256)).scalars())
    assert secret not in stored and len(stored[0]) == 64  # only the SHA-256
    listed = session.get("/api/v1/tokens").json()
    assert [tok["name"] for tok in listed] == ["script"] and "token" not in listed[0]

    bearer = world.client()
    headers = {"Authorization": f"Bearer {secret}"}
    me = bearer.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["user"]["username"] == "yangshuo"
    # writes with a bearer token need no CSRF token
    second = bearer.post("/api/v1/tokens", json={"name": "second"}, headers=headers)
    assert second.status_code == 201
    # a bearer token works on the API only, never as a page login
    assert bearer.get("/account", headers=headers).status_code == 303

    revoked = bearer.delete(f"/api/v1/tokens/{created.json()['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert bearer.get("/api/v1/me", headers=headers).status_code == 401


def test_cannot_revoke_someone_elses_token(world: World) -> None:
    from jieneng.services.accounts.auth import create_token

    token, _ = create_token(world.engine, world.users["admin"], "admin's")
    other = world.login("viewer")
    response = other.delete(f"/api/v1/tokens/{token.id}", headers={"X-CSRF-Token": csrf(other)})
    assert response.status_code == 404


def test_locked_account_tokens_stop_working(world: World) -> None:
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import update_user
    from jieneng.services.accounts.auth import create_token

    _, secret = create_token(world.engine, world.users["viewer"], "x")
    headers = {"Authorization": f"Bearer {secret}"}
    assert world.client().get("/api/v1/me", headers=headers).status_code == 200
    update_user(world.engine, Actor.cli(), world.users["viewer"].id, locked=True)
    assert world.client().get("/api/v1/me", headers=headers).status_code == 401


def test_html_token_page_shows_the_secret_once(world: World) -> None:
    client = world.login("viewer")
    page = client.post("/account/tokens", data={"name": "excel", "csrf_token": csrf(client)})
    assert page.status_code == 201
    secret = re.search(r"jn_[\w-]+", page.text)
    assert secret is not None
    again = client.get("/account")
    assert "excel" in again.text and secret.group(0) not in again.text


#: routes that never read a session, so a forged cross-site request carries nothing they
#: accept: path → why (the test checks they refuse a signed-in session's request anyway)
NO_SESSION = {"/api/v1/readings": "a gateway's bearer token only (web.readings_push)"}


def _unsafe_routes(world: World) -> list[tuple[str, str]]:
    return sorted(
        (method, re.sub(r"{\w+(?::\w+)?}", "1", path))
        for path, methods in iter_routes(world.app)
        for method in methods & UNSAFE if path not in NO_SESSION
    )


def test_routes_without_a_session_refuse_a_sessions_request(world: World) -> None:
    client = world.login("admin")
    for path in NO_SESSION:
        response = client.post(path, json={"gateway": "g", "batch_id": "1", "readings": []},
                               headers={"X-CSRF-Token": csrf(client)})
        assert response.status_code == 401, path


def test_every_state_changing_route_checks_csrf(world: World) -> None:
    """Walks every POST/PUT/PATCH/DELETE route with a signed-in session and no token."""
    client = world.login("admin")
    routes = _unsafe_routes(world)
    assert len(routes) >= 10
    for method, url in routes:
        fields = {"username": "admin", "password": "x" * 10, "role": "admin", "name": "n"}
        response = client.request(method, url, data=fields)  # form without csrf_token
        assert response.status_code == 403, f"{method} {url}: {response.status_code}"
        wrong = client.request(method, url, data={**fields, "csrf_token": "wrong"})
        assert wrong.status_code == 403, f"{method} {url} with a wrong token"
        if url.startswith("/api/"):
            assert response.json()["error"]["code"] == "csrf_failed"


def test_htmx_header_is_accepted(world: World) -> None:
    client = world.login("viewer")
    response = client.post("/api/v1/tokens", json={"name": "htmx"},
                           headers={"X-CSRF-Token": csrf(client)})
    assert response.status_code == 201
