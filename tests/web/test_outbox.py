"""Channel sends leave the web request (issue 11 leftovers): a return records the in-app
notification and the robot message in its transaction; the message is delivered after
the commit — by the app's background worker, woken at once, or by a delivery pass —
with retries and every failure recorded. Local HTTP robot receiver, as the channel
tests use."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from jieneng.core.caller import Actor
from jieneng.services.notifications import channels, notify, outbox
from jieneng.services.notifications.notify import Message
from jieneng.settings import Settings
from jieneng.storage import tables as t
from tests.services.notify_world import RobotServer, closed_port
from tests.web.conftest import SCHOOL, World, csrf

REASON = "2月电量比上月高 80%，请核实电表读数"


def _submitted_task(world: World, office: TestClient) -> int:
    opened = office.post("/api/v1/reporting/periods", json={
        "region_code": "450321", "period": "2025-02", "deadline": "2025-03-15"},
        headers={"X-CSRF-Token": csrf(office)})
    assert opened.status_code == 200, opened.text
    task, period = t.reporting_task, t.reporting_period
    with world.engine.begin() as conn:
        found = int(conn.execute(
            select(task.c.id).select_from(task.join(period, period.c.id == task.c.period_id))
            .where(task.c.institution_id == world.ids[SCHOOL], period.c.month == 2)
        ).scalar_one())
        conn.execute(update(task).where(task.c.id == found).values(state="submitted"))
    return found


def _return(office: TestClient, task: int) -> None:
    version = office.get(f"/api/v1/reporting/tasks/{task}").json()["version"]
    answer = office.post(f"/reporting/tasks/{task}/action", data={
        "action": "return", "version": str(version), "reason": REASON,
        "csrf_token": csrf(office)})
    assert answer.status_code == 303, answer.text


def _outbox(engine: Engine) -> list[tuple[str, int]]:
    o = t.notify_outbox
    with engine.connect() as conn:
        return [(r.status, r.attempts) for r in conn.execute(select(o).order_by(o.c.id))]


def test_the_request_only_records_delivery_happens_after(world: World) -> None:
    settings: Settings = world.app.state.settings
    with RobotServer() as robots:
        for target in (robots.url("/wecom?key=county"), f"http://127.0.0.1:{closed_port()}/x"):
            channels.create_channel(world.engine, actor=Actor.cli(), region_code="450321",
                                    kind="wecom", target=target)
        office = world.login("region")  # no lifespan here: no worker runs
        task = _submitted_task(world, office)
        started = time.monotonic()
        _return(office, task)
        assert time.monotonic() - started < 2.0  # the dead robot is not waited for
        # in the app at once; the robots not yet — both messages wait in the outbox
        school = world.login("institution")
        assert school.get("/api/v1/notifications").json()["unread"] == 1
        assert robots.received == []
        assert _outbox(world.engine) == [("pending", 0), ("pending", 0)]

        first = outbox.deliver_pending(world.engine, settings)
        assert [d["status"] for d in first] == ["sent", "pending"]
        assert REASON in robots.bodies("/wecom")[0]["text"]["content"]
        assert outbox.deliver_pending(world.engine, settings) == []  # retry not due yet
        later = datetime.now(UTC)
        for minutes in (2, 6):  # 60 s, then 120 s after the failures
            later += timedelta(minutes=minutes)
            outbox.deliver_pending(world.engine, settings, now=later)
        assert _outbox(world.engine) == [("sent", 1), ("failed", settings.notify_attempts)]
        failed = outbox.entries(world.engine, status="failed")[0]
        assert failed["error"].startswith("1: ConnectError")
        assert failed["error"].count("ConnectError") == settings.notify_attempts
        assert "127.0.0.1" not in failed["error"]  # no target in the error
        assert len(robots.bodies("/wecom")) == 1  # a sent message is never sent again
        # the administrators see the outbox with the failure on /admin/channels
        page = world.login("admin").get("/admin/channels").text
        table = page[page.index('id="outbox"'):].split("</table>")[0]
        assert 'data-status="failed"' in table and "ConnectError" in table
        assert 'data-status="sent"' in table


def test_the_app_worker_delivers_right_after_the_commit(world: World) -> None:
    with RobotServer() as robots:
        channels.create_channel(world.engine, actor=Actor.cli(), region_code="450321",
                                kind="wecom", target=robots.url("/wecom?key=county"))
        with TestClient(world.app, follow_redirects=False) as client:  # lifespan: the worker
            office = world.login("region", client)
            task = _submitted_task(world, office)
            _return(office, task)
            deadline = time.monotonic() + 5  # woken after the commit, not the 5 s poll
            while not robots.received and time.monotonic() < deadline:
                time.sleep(0.05)
        assert len(robots.bodies("/wecom")) == 1
    assert _outbox(world.engine) == [("sent", 1)]


def test_a_rolled_back_decision_sends_nothing_and_leases_expire(world: World) -> None:
    settings: Settings = world.app.state.settings
    with RobotServer() as robots:
        made = channels.create_channel(world.engine, actor=Actor.cli(), region_code="450321",
                                       kind="wecom", target=robots.url("/wecom"))
        channel = notify.Channel(made["id"], "450321", "wecom", robots.url("/wecom"))
        conn = world.engine.connect()
        with conn.begin() as txn:
            outbox.enqueue(conn, [channel], Message("t", "b"))
            txn.rollback()
        conn.close()
        assert _outbox(world.engine) == []
        with world.engine.begin() as c:
            outbox.enqueue(c, [channel], Message("lease", "b"))
            # a worker died holding it: ``sending`` with its lease running
            c.execute(update(t.notify_outbox).values(
                status="sending", next_at=datetime.now(UTC) + timedelta(minutes=5)))
        assert outbox.deliver_pending(world.engine, settings) == []
        again = outbox.deliver_pending(world.engine, settings,
                                       now=datetime.now(UTC) + timedelta(minutes=6))
        assert [d["status"] for d in again] == ["sent"] and len(robots.received) == 1
        # a channel deleted before its message went: skipped, with the reason
        with world.engine.begin() as c:
            outbox.enqueue(c, [channel], Message("gone", "b"))
        channels.delete_channel(world.engine, actor=Actor.cli(), channel_id=made["id"])
        gone = outbox.deliver_pending(world.engine, settings)
        assert [(d["status"], d["error"]) for d in gone] == [("skipped", "channel deleted")]
    with world.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(t.notify_outbox)).scalar_one() == 2
