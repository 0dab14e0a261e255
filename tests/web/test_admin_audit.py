"""Administration of accounts (pages and API) and the audit log of every write."""

from __future__ import annotations

from tests.web.conftest import EDU, ROLES, World, csrf


def test_admin_creates_a_user_through_the_form_with_field_errors(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    bad = admin.post("/admin/users", data={
        "csrf_token": token, "username": "lingui", "password": "Long-enough-1",
        "role": "region", "region_code": "999999"})
    assert bad.status_code == 422
    assert "行政区划 999999 不存在" in bad.text and 'value="lingui"' in bad.text
    ok = admin.post("/admin/users", data={
        "csrf_token": token, "username": "lingui", "password": "Long-enough-1",
        "role": "region", "region_code": "450323", "display_name": "临桂区管理员"})
    assert ok.status_code == 303
    page = admin.get("/admin/users")
    assert "临桂区管理员" in page.text
    dup = admin.post("/admin/users", data={
        "csrf_token": token, "username": "lingui", "password": "Long-enough-1",
        "role": "viewer", "region_code": "450323"})
    assert dup.status_code == 409 and "已存在" in dup.text  # a Conflict, as the JSON twin


def test_department_account_by_credit_code(world: World) -> None:
    admin = world.login("admin")
    response = admin.post("/api/v1/users", headers={"X-CSRF-Token": csrf(admin)}, json={
        "username": "edu2", "password": "Long-enough-1", "role": "department",
        "institution": EDU})
    assert response.status_code == 201, response.text
    assert response.json()["institution_id"] == world.ids[EDU]


def test_api_users_pagination_and_patch(world: World) -> None:
    admin = world.login("admin")
    page = admin.get("/api/v1/users?page=1&per_page=2").json()
    assert page["total"] == len(ROLES) and page["per_page"] == 2 and len(page["items"]) == 2
    assert admin.get("/api/v1/users?page=3&per_page=2").json()["items"][0]["username"]
    assert admin.get("/api/v1/users?per_page=1000").status_code == 422
    uid = world.users["viewer"].id
    patched = admin.patch(f"/api/v1/users/{uid}", headers={"X-CSRF-Token": csrf(admin)},
                          json={"region_code": "450321", "display_name": "阳朔只读"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["region_code"] == "450321"
    assert patched.json()["display_name"] == "阳朔只读"
    for role in ("region", "department", "institution", "viewer"):
        assert world.login(role).get("/api/v1/users").status_code == 403


def test_every_write_is_audited_with_before_and_after(world: World) -> None:
    admin = world.login("admin")
    uid = world.users["viewer"].id
    token = csrf(admin)
    admin.post(f"/admin/users/{uid}/lock", data={"csrf_token": token})
    admin.post(f"/admin/users/{uid}/unlock", data={"csrf_token": token})
    admin.post(f"/admin/users/{uid}/password", data={"csrf_token": token,
                                                     "password": "Another-Password-1"})
    admin.post("/api/v1/tokens", json={"name": "t"}, headers={"X-CSRF-Token": token})
    log = admin.get("/api/v1/audit?per_page=50").json()
    actions = [e["action"] for e in log["items"]]
    # newest first; the five accounts of the fixture were created from the CLI
    assert actions[:4] == ["token.create", "user.password", "user.unlock", "user.lock"]
    assert actions.count("user.create") == len(ROLES)
    lock = log["items"][3]
    assert lock["username"] == "admin" and lock["object_id"] == str(uid)
    assert lock["before"]["is_locked"] is False and lock["after"]["is_locked"] is True
    password = log["items"][1]
    assert "password_hash" not in str(password) and password["after"]["password"].startswith("*")
    assert log["total"] == len(log["items"])
    html = admin.get("/admin/audit")
    assert html.status_code == 200 and "user.lock" in html.text


def test_lockout_is_audited(world: World) -> None:
    client = world.client()
    for _ in range(5):
        client.get("/login")
        client.post("/login", data={"username": "viewer", "password": "wrong-password",
                                    "csrf_token": csrf(client)})
    log = world.login("admin").get("/api/v1/audit").json()
    # newest first: the administrator's own login comes after the lockout
    assert [e["action"] for e in log["items"][:2]] == ["auth.login", "login.lockout"]


def test_admin_cannot_lock_or_demote_themselves(world: World) -> None:
    admin = world.login("admin")
    me = world.users["admin"].id
    token = csrf(admin)
    assert admin.post(f"/admin/users/{me}/lock", data={"csrf_token": token}).status_code == 403
    demote = admin.patch(f"/api/v1/users/{me}", json={"role": "viewer", "region_code": "450300"},
                         headers={"X-CSRF-Token": token})
    assert demote.status_code == 403
    assert admin.get("/api/v1/me").json()["user"]["role"] == "admin"
