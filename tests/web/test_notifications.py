"""/notifications and its JSON twin show only the caller's own notifications; the bell
counts the unread ones; /admin/channels is for administrators, CSRF-checked, audited,
and never shows a webhook's token — on both databases."""

from __future__ import annotations

import json

from jieneng.services.accounts import audit
from jieneng.services.notifications import notify
from jieneng.services.notifications.notify import Message
from tests.web.conftest import World, csrf

SECRET_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY-42"


def _notify(world: World, role: str, title: str) -> None:
    with world.engine.begin() as conn:
        notify.notify_users(conn, [world.users[role].id], kind="reminder",
                            message=Message(title=title, body="请尽快上报", link="/entry"))


def test_only_own_notifications_and_mark_read(world: World) -> None:
    _notify(world, "institution", "学校的提醒")
    _notify(world, "viewer", "别人的提醒")
    school = world.login("institution")
    page = school.get("/notifications")
    assert page.status_code == 200
    assert "学校的提醒" in page.text and "别人的提醒" not in page.text
    assert 'id="unread-count">1<' in page.text  # the bell
    api = school.get("/api/v1/notifications").json()
    assert api["unread"] == 1 and [n["title"] for n in api["items"]] == ["学校的提醒"]

    viewer = world.login("viewer")
    theirs = viewer.get("/api/v1/notifications").json()["items"][0]["id"]
    # the school cannot mark the viewer's notification read
    answer = school.post("/api/v1/notifications/read", json={"ids": [theirs]},
                         headers={"X-CSRF-Token": csrf(school)})
    assert answer.status_code == 200 and answer.json() == {"marked": 0, "unread": 1}
    assert viewer.get("/api/v1/notifications").json()["unread"] == 1
    # the form marks one read, then the bell has no count
    mine = api["items"][0]["id"]
    done = school.post("/notifications/read",
                       data={"notification_id": str(mine), "csrf_token": csrf(school)})
    assert done.status_code == 303
    assert school.get("/api/v1/notifications?unread=true").json()["items"] == []
    assert "unread-count" not in school.get("/notifications").text
    # without a CSRF token nothing happens
    assert viewer.post("/notifications/read", data={}).status_code == 403
    assert viewer.get("/api/v1/notifications").json()["unread"] == 1


def test_admin_manages_channels_masked_and_audited(world: World) -> None:
    admin = world.login("admin")
    token = csrf(admin)
    added = admin.post("/admin/channels", data={
        "region_code": "450321", "kind": "wecom", "target": SECRET_URL, "csrf_token": token})
    assert added.status_code == 303
    page = admin.get("/admin/channels")
    assert page.status_code == 200
    assert "https://qyapi.weixin.qq.com/…" in page.text and "SECRET-KEY-42" not in page.text
    listed = admin.get("/api/v1/admin/channels").json()["items"]
    assert len(listed) == 1 and listed[0]["target"] == "https://qyapi.weixin.qq.com/…"
    channel_id = listed[0]["id"]
    bad = admin.post("/admin/channels", data={
        "region_code": "450321", "kind": "email", "target": "nope", "csrf_token": token})
    assert bad.status_code == 422
    made = admin.post("/api/v1/admin/channels", headers={"X-CSRF-Token": token}, json={
        "region_code": "450300", "kind": "feishu",
        "target": "https://open.feishu.cn/open-apis/bot/v2/hook/SECRET-HOOK"})
    assert made.status_code == 200 and "SECRET" not in made.text
    off = admin.patch(f"/api/v1/admin/channels/{channel_id}", json={"enabled": False},
                      headers={"X-CSRF-Token": token})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert admin.post(f"/admin/channels/{channel_id}/delete",
                      data={"csrf_token": token}).status_code == 303
    assert admin.delete(f"/api/v1/admin/channels/{channel_id}",
                        headers={"X-CSRF-Token": token}).status_code == 404
    entries = audit.list_entries(world.engine)["items"]
    assert {"channel.create", "channel.update", "channel.delete"} <= {
        e["action"] for e in entries}
    assert "SECRET" not in json.dumps(entries, ensure_ascii=False)

    region = world.login("region")
    assert region.get("/admin/channels").status_code == 403
    assert region.get("/api/v1/admin/channels").status_code == 403
    refused = region.post("/api/v1/admin/channels", headers={"X-CSRF-Token": csrf(region)},
                          json={"region_code": "450321", "kind": "email", "target": "a@b.cn"})
    assert refused.status_code == 403
