"""/admin/users for people: scopes by name, a notice after creating, account search
(usability review: scopes shown as '#52', creation without a success message)."""

from __future__ import annotations

from tests.web.conftest import SCHOOL, World, csrf


def test_scopes_are_named_not_numbered(world: World) -> None:
    page = world.login("admin").get("/admin/users")
    assert page.status_code == 200
    assert "阳朔县演示第一中学" in page.text and "阳朔县演示教育局" in page.text
    assert "#" + str(world.ids[SCHOOL]) not in page.text


def test_creating_an_account_says_so(world: World) -> None:
    admin = world.login("admin")
    done = admin.post("/admin/users", data={
        "csrf_token": csrf(admin), "username": "yixiao", "password": "Long-enough-1",
        "role": "institution", "institution": SCHOOL}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/users?created=yixiao"
    page = admin.get(done.headers["location"])
    assert 'id="created"' in page.text and "已建立账户 yixiao" in page.text


def test_search_by_unit_name_username_and_credit_code(world: World) -> None:
    admin = world.login("admin")
    by_unit = admin.get("/admin/users", params={"q": "第一中学"})
    rows = by_unit.text.split("<tbody>")[1].split("</tbody>")[0]
    assert "阳朔县演示第一中学" in rows and rows.count("<tr>") == 1
    by_code = admin.get("/admin/users", params={"q": SCHOOL[-6:].lower()})
    assert "阳朔县演示第一中学" in by_code.text
    none = admin.get("/admin/users", params={"q": "100%_"})
    assert "没有符合条件的账户" in none.text
    by_name = admin.get("/admin/users", params={"q": "ADMIN"})
    assert "/admin/users/" + str(world.users["admin"].id) in by_name.text


def test_a_region_admin_searches_only_its_subtree(world: World) -> None:
    manager = world.login("region_admin")
    page = manager.get("/admin/users", params={"q": "admin"})
    assert page.status_code == 200
    assert "/admin/users/" + str(world.users["admin"].id) + '"' not in page.text
