"""Reporting reminders end to end on both databases: which tasks and days, in-app per
institution account, one digest per region channel (local SMTP server, local HTTP
robot receiver, a dead channel), and never twice for the same task, day and channel."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, Table, func, select

from jieneng.core.caller import Actor
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.notifications import channels, notify, outbox
from jieneng.services.workflow import reminders
from jieneng.storage import notify as store
from jieneng.storage import tables as t
from jieneng.storage.institutions import get_institution
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.notify_world import (
    RobotServer,
    SmtpSink,
    add_period,
    closed_port,
    settings_for,
)

CLI = Actor.cli()
DEADLINE = date(2025, 4, 10)


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, int]:
    """桂林 regions, three institutions, a 公共机构 account for the school and the organ."""
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    ids: dict[str, int] = {}
    with engine.connect() as conn:
        for code in (ORGAN, SCHOOL, SILENT):
            row = get_institution(conn, code)
            assert row is not None
            ids[code] = row.id
    for name, code in (("school", SCHOOL), ("organ", ORGAN)):
        user = create_user(engine, CLI, username=name, password="Correct-Horse-Battery-9",
                           role="institution", institution=code)
        ids[name] = user.id
    return ids


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_which_days_remind(engine: Engine, world: dict[str, int], db_url: str) -> None:
    add_period(engine, region_code="450300", deadline=DEADLINE,
               tasks={world[SCHOOL]: "in_progress", world[ORGAN]: "submitted"})
    settings = settings_for(db_url, remind_days_before=3, remind_overdue_days=2)
    reminded = {
        day: [d.stage for d in reminders.due_tasks(engine, day, settings)]
        for day in (DEADLINE + timedelta(days=k) for k in range(-5, 5))
    }
    assert reminded == {
        date(2025, 4, 5): [], date(2025, 4, 6): [], date(2025, 4, 7): ["before"],
        date(2025, 4, 8): [], date(2025, 4, 9): [], date(2025, 4, 10): ["due"],
        date(2025, 4, 11): ["overdue"], date(2025, 4, 12): ["overdue"],
        date(2025, 4, 13): [], date(2025, 4, 14): [],
    }  # the submitted organ is never reminded


def test_reminders_in_app_and_digests_once_per_day(
    engine: Engine, world: dict[str, int], db_url: str
) -> None:
    tasks = add_period(engine, region_code="450300", deadline=DEADLINE, tasks={
        world[SCHOOL]: "not_started", world[SILENT]: "returned", world[ORGAN]: "approved"})
    sleeps: list[float] = []
    with SmtpSink() as smtp, RobotServer() as robots:
        settings = settings_for(db_url, smtp, notify_attempts=3)
        made = [
            channels.create_channel(engine, actor=CLI, region_code="450300", kind="wecom",
                                    target=robots.url("/wecom?key=city")),
            channels.create_channel(engine, actor=CLI, region_code="450321", kind="dingtalk",
                                    target=robots.url("/dingtalk?access_token=county")),
            channels.create_channel(engine, actor=CLI, region_code="450321", kind="feishu",
                                    target=robots.url("/feishu/hook/county")),
            channels.create_channel(engine, actor=CLI, region_code="450321", kind="email",
                                    target="yangshuo@example.cn"),
            channels.create_channel(engine, actor=CLI, region_code="450300", kind="webhook",
                                    target=f"http://127.0.0.1:{closed_port()}/dead"),
            # a channel of another county: nothing of its subtree is due
            channels.create_channel(engine, actor=CLI, region_code="450302", kind="wecom",
                                    target=robots.url("/wecom?key=xiufeng")),
        ]
        day = DEADLINE - timedelta(days=3)
        dry = reminders.run_reminders(engine, settings, day=day, dry_run=True)
        assert _count(engine, t.reminder_log) == 0 and not robots.received
        run = reminders.run_reminders(engine, settings, day=day, sleep=sleeps.append)
        again = reminders.run_reminders(engine, settings, day=day, sleep=sleeps.append)

        lines = {line.channel: line for line in run.lines}
        assert [(s.channel, s.tasks) for s in dry.lines] == [
            (s.channel, s.tasks) for s in run.lines]
        assert lines["app"].tasks == 1 and lines["app"].recipients == 1  # SILENT has no account
        ch = [f"ch:{c['id']}" for c in made]
        assert {k: (v.status, v.tasks) for k, v in lines.items() if k != "app"} == {
            c: ("queued", 2) for c in ch[:5]}
        assert again.lines == [] and again.due == 2  # nothing new the same day
        # the digests are in the outbox, sent after the run's commit: once each, the dead
        # channel retried later (60 s, then 120 s) until notify_attempts end it
        assert not robots.received and not smtp.messages and sleeps == []
        first = {d["channel"]: d["status"] for d in outbox.deliver_pending(engine, settings)}
        assert first == {**{c: "sent" for c in ch[:4]}, ch[4]: "pending"}
        assert outbox.deliver_pending(engine, settings) == []  # the retry is not due yet
        for minutes in (2, 6):
            outbox.deliver_pending(engine, settings,
                                   now=datetime.now(UTC) + timedelta(minutes=minutes))

        # the receivers got exactly one digest each
        wecom = robots.bodies("/wecom")
        assert len(wecom) == 1 and wecom[0]["msgtype"] == "text"
        content = wecom[0]["text"]["content"]
        assert "阳朔县演示第一中学" in content and "阳朔县演示第二中学" in content
        assert "秀峰区演示机关事务服务中心" not in content and "还有 3 天截止" in content
        assert len(robots.bodies("/dingtalk")) == 1
        feishu = robots.bodies("/feishu")
        assert len(feishu) == 1 and feishu[0]["msg_type"] == "text"
        assert "阳朔县演示第一中学" in feishu[0]["content"]["text"]
        assert len(smtp.messages) == 1
        assert smtp.handler.recipients == [["yangshuo@example.cn"]]

    with engine.connect() as conn:
        logged = {(r.task_id, r.channel): r for r in store.log_entries(conn, day)}
    assert len(logged) == 1 + 2 * 5
    dead = logged[(tasks[world[SCHOOL]], ch[4])]
    assert dead.status == "failed" and dead.attempts == 3
    assert dead.error.startswith("1: ConnectError") and dead.error.count("ConnectError") == 3
    assert logged[(tasks[world[SCHOOL]], "app")].status == "sent"
    mine = notify.user_notifications(engine, world["school"])
    assert mine["unread"] == 1 and "2025年3月月报" in mine["items"][0]["title"]
    assert notify.user_notifications(engine, world["organ"])["total"] == 0

    # the next day is not a reminder day (3 days before, then the deadline)
    assert reminders.run_reminders(engine, settings, day=day + timedelta(days=1)).lines == []
    # on the deadline, without SMTP, e-mail is skipped and recorded with its reason
    plain = settings_for(db_url, notify_attempts=1)
    with RobotServer():
        due = reminders.run_reminders(engine, plain, day=DEADLINE, sleep=lambda _: None)
        delivered = {d["channel"]: d for d in outbox.deliver_pending(engine, plain)}
    email = delivered[ch[3]]
    assert email["status"] == "skipped" and "SMTP" in email["error"]
    assert next(s for s in due.lines if s.channel == ch[3]).status == "queued"
    with engine.connect() as conn:
        assert {r.status for r in store.log_entries(conn, DEADLINE)
                if r.channel == ch[3]} == {"skipped"}
    assert notify.unread_count(engine, world["school"]) == 2


def test_concurrent_runs_send_once(engine: Engine, world: dict[str, int], db_url: str) -> None:
    add_period(engine, region_code="450300", deadline=DEADLINE,
               tasks={world[SCHOOL]: "not_started", world[SILENT]: "in_progress"})
    with RobotServer() as robots:
        settings = settings_for(db_url)
        channels.create_channel(engine, actor=CLI, region_code="450300", kind="wecom",
                                target=robots.url("/wecom"))
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait()
                reminders.run_reminders(engine, settings, day=DEADLINE)
            except BaseException as err:  # pragma: no cover - reported below
                errors.append(err)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        if engine.dialect.name == "sqlite":  # SQLite serialises writers: "locked" is allowed
            errors = [e for e in errors if "locked" not in str(e)]
        assert not errors
        outbox.deliver_pending(engine, settings)
        outbox.deliver_pending(engine, settings)
        assert len(robots.bodies("/wecom")) == 1
    assert notify.unread_count(engine, world["school"]) == 1
    assert _count(engine, t.notification) == 1
