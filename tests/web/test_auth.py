"""Login, Argon2 hashes, lockout, sessions and logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from jieneng.storage import tables as t
from tests.web.conftest import PASSWORD, ROLES, World, csrf


def _login(world: World, client: object, username: str, password: str) -> object:
    c = client
    c.get("/login")  # type: ignore[attr-defined]
    return c.post("/login", data={  # type: ignore[attr-defined]
        "username": username, "password": password, "csrf_token": csrf(c), "next": "/account",
    })


def test_login_success_sets_a_hardened_session_cookie(world: World) -> None:
    client = world.client()
    response = _login(world, client, "yangshuo", PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/account"  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"].lower()  # type: ignore[attr-defined]
    assert "jieneng_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # only in production
    me = client.get("/api/v1/me").json()
    assert me["user"]["username"] == "yangshuo"
    assert me["scope"] == {"kind": "region", "region_code": "450321", "department_id": None,
                           "institution_id": None}
    assert me["scope_name"] == "阳朔县"


def test_password_is_stored_as_argon2_hash(world: World) -> None:
    with world.engine.connect() as conn:
        hashes = list(conn.execute(select(t.app_user.c.password_hash)).scalars())
    assert len(hashes) == len(ROLES)
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_wrong_password_is_refused_without_saying_which_part(world: World) -> None:
    client = world.client()
    wrong = _login(world, client, "yangshuo", "not-the-password")
    unknown = _login(world, client, "nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert "用户名或密码错误" in response.text  # type: ignore[attr-defined]
    assert client.get("/api/v1/me").status_code == 401


def test_lockout_after_five_failures_for_fifteen_minutes(world: World) -> None:
    client = world.client()
    for _ in range(5):
        assert _login(world, client, "viewer", "wrong-password").status_code == 401  # type: ignore[attr-defined]
    locked = _login(world, client, "viewer", PASSWORD)
    assert locked.status_code == 401  # type: ignore[attr-defined]
    assert "锁定" in locked.text  # type: ignore[attr-defined]
    with world.engine.connect() as conn:
        until = conn.execute(
            select(t.app_user.c.locked_until).where(t.app_user.c.username == "viewer")
        ).scalar_one()
    until = until if until.tzinfo else until.replace(tzinfo=UTC)
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    # the lock expires
    with world.engine.begin() as conn:
        conn.execute(update(t.app_user).where(t.app_user.c.username == "viewer")
                     .values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert _login(world, client, "viewer", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_success_resets_the_failure_count(world: World) -> None:
    client = world.client()
    for _ in range(4):
        _login(world, client, "viewer", "wrong-password")
    assert _login(world, client, "viewer", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    with world.engine.connect() as conn:
        count = conn.execute(
            select(t.app_user.c.failed_logins).where(t.app_user.c.username == "viewer")
        ).scalar_one()
    assert count == 0


def test_locked_account_loses_its_session_and_password_reset_ends_sessions(world: World) -> None:
    admin = world.login("admin")
    user = world.login("region")
    assert user.get("/api/v1/me").status_code == 200
    uid = world.users["region"].id
    token = csrf(admin)
    assert admin.post(f"/admin/users/{uid}/lock", data={"csrf_token": token}).status_code == 303
    assert user.get("/api/v1/me").status_code == 401
    assert admin.post(f"/admin/users/{uid}/unlock", data={"csrf_token": token}).status_code == 303
    user = world.login("region")
    assert admin.post(f"/admin/users/{uid}/password",
                      data={"csrf_token": token, "password": "A-new-password-1"}).status_code == 303
    assert user.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session(world: World) -> None:
    client = world.login("viewer")
    response = client.post("/logout", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_anonymous_page_redirects_to_login_with_next(world: World) -> None:
    response = world.client().get("/admin/audit?page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Faudit%3Fpage%3D2"


def test_login_never_redirects_off_site(world: World) -> None:
    client = world.client()
    client.get("/login")
    response = client.post("/login", data={
        "username": "viewer", "password": PASSWORD, "csrf_token": csrf(client),
        "next": "//evil.example/",
    })
    assert response.headers["location"] == "/"


def test_secure_cookie_in_production(world: World, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from jieneng.settings import Settings
    from jieneng.web.app import create_app

    app = create_app(Settings(database_url=db_url, environment="production",
                              secret_key="kX3v-9QpL_2wRt7Zm4Nb8Yc1Hd6Jf0Gs5Ae"))  # type: ignore[arg-type]
    try:
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()
    finally:
        app.state.engine.dispose()


def test_login_and_logout_are_audited_without_secrets(world: World) -> None:
    client = world.client()
    assert _login(world, client, "yangshuo", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    failed = world.client()
    assert _login(world, failed, "yangshuo", "wrong-password").status_code == 401  # type: ignore[attr-defined]
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action.like("auth.%"))
            .order_by(t.audit_log.c.id)
        ).all()
    uid = world.users["region"].id
    assert [(r.action, r.username, r.user_id, r.object_type, r.object_id) for r in rows] == [
        ("auth.login", "yangshuo", uid, "user", str(uid)),
        ("auth.logout", "yangshuo", uid, "user", str(uid)),
    ]  # a failed login is not an auth.login
    for r in rows:
        text = f"{r.before} {r.after}"
        assert PASSWORD not in text and "argon2" not in text


def _change(client: object, current: str, new: str, confirm: str | None = None) -> object:
    return client.post("/account/password", data={  # type: ignore[attr-defined]
        "csrf_token": csrf(client), "current_password": current,  # type: ignore[arg-type]
        "password": new, "password_confirm": new if confirm is None else confirm,
    })


def _password_hash(world: World, role: str) -> str:
    with world.engine.connect() as conn:
        return str(conn.execute(select(t.app_user.c.password_hash).where(
            t.app_user.c.id == world.users[role].id)).scalar_one())


def test_user_changes_own_password(world: World) -> None:
    other = world.login("institution")
    client = world.login("institution")
    token = client.post("/api/v1/tokens", json={"name": "script"},
                        headers={"X-CSRF-Token": csrf(client)}).json()["token"]
    old_hash = _password_hash(world, "institution")
    response = _change(client, PASSWORD, "My-new-password-1")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "密码已修改" in response.text  # type: ignore[attr-defined]
    new_hash = _password_hash(world, "institution")
    assert new_hash != old_hash and new_hash.startswith("$argon2id$")
    assert "My-new-password-1" not in new_hash
    # this session goes on; the other one ends, as after an administrator's reset
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    # API tokens are kept, as after an administrator's reset
    me = world.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    username = world.users["institution"].username
    assert _login(world, world.client(), username, PASSWORD).status_code == 401  # type: ignore[attr-defined]
    assert _login(world, world.client(), username, "My-new-password-1").status_code == 303  # type: ignore[attr-defined]
    with world.engine.connect() as conn:
        entry = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "user.password")
                             ).one()
    assert entry.username == username and entry.object_id == str(world.users["institution"].id)
    assert "My-new-password-1" not in f"{entry.before}{entry.after}" and "argon2" not in entry.after


def test_wrong_current_password_changes_nothing(world: World) -> None:
    client = world.login("viewer")
    old_hash = _password_hash(world, "viewer")
    wrong = _change(client, "not-my-password", "My-new-password-1")
    assert wrong.status_code == 422  # type: ignore[attr-defined]
    text = wrong.text  # type: ignore[attr-defined]
    field = text.index('name="current_password"')
    error = text.index('class="field-error">当前密码错误')
    assert field < error < text.index('name="password"')  # beside the field
    short = _change(client, PASSWORD, "short")
    assert short.status_code == 422 and "至少 8 个字符" in short.text  # type: ignore[attr-defined]
    differ = _change(client, PASSWORD, "My-new-password-1", "My-other-password-1")
    assert differ.status_code == 422 and "不一致" in differ.text  # type: ignore[attr-defined]
    assert _password_hash(world, "viewer") == old_hash
    assert client.get("/api/v1/me").status_code == 200
    with world.engine.connect() as conn:
        assert conn.execute(select(t.audit_log).where(
            t.audit_log.c.action == "user.password")).first() is None
