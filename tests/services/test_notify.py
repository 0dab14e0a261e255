"""Notification channels against real receivers: a local SMTP server, a local HTTP
robot receiver, a closed port; retries with backoff; channels inherited by region;
administration audited with the target masked — on both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.services.accounts import audit
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.notifications import channels, notify
from jieneng.services.notifications.notify import Channel, Message
from tests.sample import Files
from tests.services.notify_world import RobotServer, SmtpSink, closed_port, settings_for

CLI = Actor.cli()
MSG = Message(title="填报提醒", body="阳朔县演示第一中学 尚未上报", link="/entry")


@pytest.fixture
def regions(engine: Engine, files: Files) -> Engine:
    import_file(engine, "regions", files.regions)
    return engine


def test_payload_shapes_of_the_robots() -> None:
    text = "填报提醒\n阳朔县演示第一中学 尚未上报\n/entry"
    assert notify.payload("wecom", MSG) == {"msgtype": "text", "text": {"content": text}}
    assert notify.payload("dingtalk", MSG) == {"msgtype": "text", "text": {"content": text}}
    assert notify.payload("feishu", MSG) == {"msg_type": "text", "content": {"text": text}}
    assert notify.payload("webhook", MSG) == {"title": "填报提醒", "body": MSG.body,
                                               "link": "/entry", "text": text}
    long = Message(title="长", body="字" * 2000)
    clipped = notify.payload("wecom", long)["text"]["content"]
    assert len(clipped.encode()) <= 2048 and clipped.endswith("…")


def test_mask_target_hides_the_token() -> None:
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY-123"
    assert notify.mask_target("wecom", url) == "https://qyapi.weixin.qq.com/…"
    assert "SECRET" not in notify.mask_target("feishu", url)
    assert notify.mask_target("email", "tongji@example.cn") == "t***@example.cn"


def test_validate_target() -> None:
    assert notify.validate_target("email", " a@b.cn ") == "a@b.cn"
    with pytest.raises(ValidationFailed):
        notify.validate_target("email", "not-an-address")
    with pytest.raises(ValidationFailed):
        notify.validate_target("wecom", "ftp://x/y")
    with pytest.raises(ValidationFailed):
        notify.validate_target("sms", "123")


def test_every_channel_delivers_and_a_dead_one_is_retried_then_failed(db_url: str) -> None:
    sleeps: list[float] = []
    with SmtpSink() as smtp, RobotServer() as robots:
        settings = settings_for(db_url, smtp, notify_attempts=3)
        channels = [
            Channel(1, "450300", "wecom", robots.url("/wecom?key=k1")),
            Channel(2, "450300", "webhook", f"http://127.0.0.1:{closed_port()}/hook?t=SECRET"),
            Channel(3, "450300", "dingtalk", robots.url("/dingtalk?access_token=k2")),
            Channel(4, "450300", "feishu", robots.url("/feishu/hook/k3")),
            Channel(5, "450300", "email", "tongji@example.cn"),
            Channel(6, "450300", "webhook", robots.url("/generic")),
        ]
        results = notify.deliver_all(channels, MSG, settings, sleep=sleeps.append)
        by_key = {r.channel: r for r in results}
        assert [by_key[f"ch:{i}"].status for i in range(1, 7)] == [
            "sent", "failed", "sent", "sent", "sent", "sent"]
        dead = by_key["ch:2"]
        assert len(dead.attempts) == 3 and not any(a.ok for a in dead.attempts)
        assert dead.error is not None and dead.error.startswith("1: ConnectError")
        assert "SECRET" not in dead.error and "127.0.0.1" not in dead.error
        assert sleeps == [1.0, 2.0]  # exponential backoff, only for the dead channel
        text = MSG.text
        assert robots.bodies("/wecom") == [{"msgtype": "text", "text": {"content": text}}]
        assert robots.bodies("/dingtalk") == [{"msgtype": "text", "text": {"content": text}}]
        assert robots.bodies("/feishu") == [{"msg_type": "text", "content": {"text": text}}]
        assert robots.bodies("/generic")[0]["title"] == "填报提醒"
        assert len(smtp.messages) == 1
        mail = smtp.messages[0]
        assert mail["Subject"] == "填报提醒" and mail["To"] == "tongji@example.cn"
        assert "阳朔县演示第一中学" in mail.get_content()


def test_a_refusing_robot_and_http_errors_fail_after_retries(db_url: str) -> None:
    with RobotServer() as robots:
        settings = settings_for(db_url, notify_attempts=2)
        refused = notify.deliver(Channel(1, "450300", "wecom", robots.url("/refuse")), MSG,
                                 settings, sleep=lambda _: None)
        error = notify.deliver(Channel(2, "450300", "webhook", robots.url("/error")), MSG,
                               settings, sleep=lambda _: None)
    assert refused.status == "failed" and len(refused.attempts) == 2
    assert refused.error is not None and "93000" in refused.error
    assert error.status == "failed" and error.error == "1: HTTP 500; 2: HTTP 500"
    assert len(robots.bodies("/refuse")) == 2


def test_email_without_smtp_is_skipped_with_a_reason(db_url: str) -> None:
    result = notify.deliver(Channel(1, "450300", "email", "a@b.cn"), MSG, settings_for(db_url),
                            sleep=lambda _: None)
    assert result.status == "skipped" and result.attempts == []
    assert result.error is not None and "SMTP" in result.error


def test_channels_are_inherited_from_ancestors_and_audited(regions: Engine) -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN-XYZ"
    city = channels.create_channel(regions, actor=CLI, region_code="450300", kind="dingtalk",
                                   target=url)
    county = channels.create_channel(regions, actor=CLI, region_code="450321", kind="email",
                                     target="yangshuo@example.cn")
    channels.create_channel(regions, actor=CLI, region_code="450302", kind="wecom",
                            target="https://qyapi.weixin.qq.com/x?key=K")
    assert city["target"] == "https://oapi.dingtalk.com/…"
    with regions.connect() as conn:
        tree = channels.load_tree(conn)
        found = channels.channels_for_region(conn, "450321", tree=tree)
        assert sorted(c.id for c in found) == sorted([city["id"], county["id"]])
        assert [c.id for c in channels.channels_for_region(conn, "450300", tree=tree)] == [
            city["id"]]
    channels.set_channel_enabled(regions, actor=CLI, channel_id=city["id"], enabled=False)
    with regions.connect() as conn:
        found = channels.channels_for_region(conn, "450321", tree=channels.load_tree(conn))
        assert [c.id for c in found] == [county["id"]]
    channels.delete_channel(regions, actor=CLI, channel_id=county["id"])
    with pytest.raises(NotFound):
        channels.delete_channel(regions, actor=CLI, channel_id=county["id"])
    with pytest.raises(NotFound):
        channels.create_channel(regions, actor=CLI, region_code="999999", kind="email",
                                target="a@b.cn")
    entries = audit.list_entries(regions)["items"]
    actions = [e["action"] for e in entries]
    assert actions.count("channel.create") == 3
    assert "channel.update" in actions and "channel.delete" in actions
    assert "TOKEN-XYZ" not in json.dumps(entries, ensure_ascii=False)
    listed = json.dumps(channels.list_channels(regions), ensure_ascii=False)
    assert "TOKEN-XYZ" not in listed and "key=K" not in listed


def test_in_app_notifications_are_the_users_own(regions: Engine) -> None:
    a = create_user(regions, CLI, username="user_a", password="Correct-Horse-1", role="viewer",
                    region_code="450300")
    b = create_user(regions, CLI, username="user_b", password="Correct-Horse-2", role="viewer",
                    region_code="450300")
    with regions.begin() as conn:
        assert notify.notify_users(conn, [a.id, b.id], kind="reminder", message=MSG) == 2
        notify.notify_users(conn, [a.id], kind="reminder", message=Message("二", "2"))
    assert notify.unread_count(regions, a.id) == 2
    mine = notify.user_notifications(regions, a.id)
    assert [n["title"] for n in mine["items"]] == ["二", "填报提醒"]
    theirs = notify.user_notifications(regions, b.id)["items"]
    # b cannot mark a's notification read; a can
    assert notify.mark_read(regions, b.id, [mine["items"][0]["id"]]) == 0
    assert notify.unread_count(regions, a.id) == 2
    assert notify.mark_read(regions, a.id, [mine["items"][0]["id"]]) == 1
    assert notify.unread_count(regions, a.id) == 1
    assert notify.mark_read(regions, a.id) == 1
    assert notify.unread_count(regions, a.id) == 0
    assert notify.unread_count(regions, b.id) == 1 and len(theirs) == 1
