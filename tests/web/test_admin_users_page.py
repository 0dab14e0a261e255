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


def test_audit_log_reads_as_sentences_and_filters(world: World) -> None:
    admin = world.login("admin")
    admin.post("/admin/users", data={
        "csrf_token": csrf(admin), "username": "yixiao", "password": "Long-enough-1",
        "role": "institution", "institution": SCHOOL, "display_name": "一中统计员"})
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    assert "新建账户" in page.text and "一中统计员" in page.text  # no \\u escapes
    assert "\\u" not in page.text and "时间为北京时间" in page.text
    users = admin.get("/admin/audit", params={"action": "user"})
    rows = users.text.split("<tbody>")[1]
    assert 'data-action="user.create"' in rows and 'data-action="auth.login"' not in rows
    logins = admin.get("/admin/audit", params={"action": "auth", "user": "admin"})
    assert 'data-action="auth.login"' in logins.text
    assert 'data-action="user.create"' not in logins.text.split("<tbody>")[1]
    future = admin.get("/admin/audit", params={"since": "2999-01-01"})
    assert "没有符合条件的记录" in future.text
    twin = admin.get("/api/v1/audit", params={"action": "user", "until": "2999-12-31"}).json()
    assert twin["total"] >= 1 and all(e["action"].startswith("user.") for e in twin["items"])
    assert admin.get("/api/v1/audit", params={"action": "a%"}).status_code == 422


def test_audit_changes_lists_only_what_differs() -> None:
    from jieneng.web.audit import changes
    assert changes({"state": "open", "n": 1}, {"state": "acknowledged", "n": 1}) == [
        ("state", "open", "acknowledged")]
    assert changes(None, {"名称": "桂林"}) == [("名称", "—", "桂林")]


def test_times_are_china_time_and_the_layout_names_its_icon(world: World) -> None:
    from datetime import UTC, datetime

    from jieneng.core.messages import text
    from jieneng.web.timefmt import local_time
    assert local_time(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027-01-01 00:30"
    assert local_time("2026-12-03T13:20:36") == "2026-12-03 21:20"
    assert local_time(None) == ""
    page = world.login("admin").get("/admin/publication")
    assert "UTC" not in page.text
    assert text("zh-CN", "admin.publication_at") == "发布时间（北京时间）"
    assert 'rel="icon" href="/static/favicon.svg"' in page.text
    assert 'data-file-choose="选择文件"' in page.text
    assert world.login("viewer").get("/static/favicon.svg").status_code == 200


def test_accounts_for_every_unit_of_a_region_without_one(world: World) -> None:
    import io

    from openpyxl import load_workbook

    from tests.web.conftest import ORGAN, OTHER
    admin = world.login("admin")
    page = admin.get("/admin/users")
    assert 'id="bulk"' in page.text
    done = admin.post("/admin/users/bulk", data={"csrf_token": csrf(admin),
                                                  "region_code": "450302"})
    assert done.status_code == 200, done.text
    assert "attachment" in done.headers["content-disposition"]
    assert done.headers["cache-control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(done.content), read_only=True).active
                .iter_rows(values_only=True))
    assert rows[0][:4] == ("单位", "统一社会信用代码", "用户名", "初始密码")
    made = {r[1]: r for r in rows[1:3]}
    assert set(made) == {ORGAN, OTHER}
    assert "本次建立 2 个账户" in str(rows[4][0]) and "尚余 0 家" in str(rows[4][0])
    new = world.client()
    new.get("/login")
    login = new.post("/login", data={"csrf_token": csrf(new), "username": ORGAN,
                                     "password": made[ORGAN][3]}, follow_redirects=False)
    assert login.status_code == 303, login.text
    again = admin.post("/admin/users/bulk", data={"csrf_token": csrf(admin),
                                                   "region_code": "450302"})
    rows = list(load_workbook(io.BytesIO(again.content), read_only=True).active
                .iter_rows(values_only=True))
    assert any("本次建立 0 个账户" in str(r[0]) for r in rows if r[0])
    assert admin.get("/admin/users", params={"q": ORGAN}).text.count("<tr>") >= 1


def test_bulk_accounts_stay_inside_a_region_admins_subtree(world: World) -> None:
    manager = world.login("region_admin")  # 阳朔县
    outside = manager.post("/admin/users/bulk", data={"csrf_token": csrf(manager),
                                                       "region_code": "450302"})
    assert outside.status_code == 404
    for role in ("region", "institution", "viewer"):
        client = world.login(role)
        refused = client.post("/admin/users/bulk", data={"csrf_token": csrf(client),
                                                          "region_code": "450321"})
        assert refused.status_code == 403, role


def test_initial_passwords_meet_the_policy() -> None:
    from jieneng.services.accounts.bulk import initial_password
    from jieneng.services.accounts.passwords import validate_password
    for _ in range(50):
        validate_password(initial_password(), "11450302MB0000000X")
