"""The account pages as a 管理机构管理员 (``region_admin`` of 阳朔县 450321)."""

from __future__ import annotations

import re

from sqlalchemy import select

from jieneng.services.accounts import audit
from jieneng.storage import tables as t
from tests.web.conftest import ORGAN, SILENT, World, csrf


def _usernames(html: str) -> set[str]:
    return set(re.findall(r"<td>\d+</td><td>([^<]+)</td>", html))


def test_the_list_shows_only_the_subtree(world: World) -> None:
    client = world.login("region_admin")
    page = client.get("/admin/users")
    assert page.status_code == 200
    # the department and the school of 阳朔县; not the peer region account, not itself,
    # not the viewer of 秀峰区, not the administrator
    assert _usernames(page.text) == {"jiaoyuju", "school"}
    assert 'href="/admin/users"' in page.text  # the 管理 entry of the navigation
    assert 'href="/admin/audit"' not in page.text  # no administrator tabs
    options = set(re.findall(r'<option value="(\w+)"', page.text))
    assert options == {"region", "department", "institution", "viewer"}


def test_a_user_outside_the_subtree_is_404_and_admin_pages_403(world: World) -> None:
    client = world.login("region_admin")
    assert client.get(f"/admin/users/{world.users['institution'].id}").status_code == 200
    for role in ("viewer", "admin", "region", "region_admin"):
        assert client.get(f"/admin/users/{world.users[role].id}").status_code == 404, role
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/factor-sets").status_code == 403
    assert client.get("/api/v1/users").status_code == 403  # the API stays administrator-only
    # a plain 管理机构 account manages nothing
    region = world.login("region")
    assert region.get("/admin/users").status_code == 403


def test_create_inside_and_refuse_outside(world: World) -> None:
    client = world.login("region_admin")
    token = csrf(client)

    def create(username: str, role: str, region: str = "", institution: str = "") -> object:
        return client.post("/admin/users", data={
            "csrf_token": token, "username": username, "password": "A-good-password-1",
            "role": role, "region_code": region, "institution": institution,
        })

    assert create("silent", "institution", institution=SILENT).status_code == 303  # type: ignore[attr-defined]
    for username, role, region, institution in (
        ("boss", "admin", "", ""), ("boss2", "region_admin", "450321", ""),
        ("peer", "region", "450321", ""), ("far", "viewer", "450302", ""),
        ("organ", "institution", "", ORGAN),
    ):
        refused = create(username, role, region, institution)
        assert refused.status_code == 403, username  # type: ignore[attr-defined]
        assert "管理机构管理员只能管理" in refused.text  # type: ignore[attr-defined]
    with world.engine.connect() as conn:
        names = set(conn.execute(select(t.app_user.c.username)).scalars())
    assert "silent" in names and not names & {"boss", "boss2", "peer", "far", "organ"}
    entry = next(e for e in audit.list_entries(world.engine)["items"]
                 if e["action"] == "user.create" and e["after"]["username"] == "silent")
    assert entry["username"] == "yangshuo_admin"


def test_lock_inside_is_audited_outside_is_404(world: World) -> None:
    client = world.login("region_admin")
    token = csrf(client)
    school, viewer = world.users["institution"].id, world.users["viewer"].id
    assert client.post(f"/admin/users/{viewer}/lock",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/admin/users/{viewer}/password",
                       data={"csrf_token": token, "password": "X-new-password-1"}
                       ).status_code == 404
    assert client.post(f"/admin/users/{school}/lock",
                       data={"csrf_token": token}).status_code == 303
    with world.engine.connect() as conn:
        locked = {r.id: r.is_locked for r in conn.execute(
            select(t.app_user.c.id, t.app_user.c.is_locked))}
    assert locked[school] and not locked[viewer]
    entry = next(e for e in audit.list_entries(world.engine)["items"]
                 if e["action"] == "user.lock")
    assert entry["username"] == "yangshuo_admin" and entry["object_id"] == str(school)
    # promoting the school's account is refused on the form, nothing changes
    refused = client.post(f"/admin/users/{school}", data={
        "csrf_token": token, "role": "admin", "display_name": "", "region_code": "",
        "institution": ""})
    assert refused.status_code == 403
    with world.engine.connect() as conn:
        role = conn.execute(select(t.app_user.c.role).where(t.app_user.c.id == school)
                            ).scalar_one()
    assert role == "institution"


def test_the_data_scope_is_that_of_a_region_account(world: World) -> None:
    me = world.login("region_admin").get("/api/v1/me").json()
    assert me["user"]["role"] == "region_admin"
    assert me["scope"] == {"kind": "region", "region_code": "450321", "department_id": None,
                           "institution_id": None}
