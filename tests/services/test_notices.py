"""Nothing gets lost between people (issue 11 §1): a return with its reason, a reopen,
a reviewer's question and its answer reach the person who must act — in the app, on
the entry form's banner and on the region's robot channel — and a reviewer's 催报
from the web goes through the reminders service, recorded, once a day per channel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.services.accounts.accounts import create_user
from jieneng.services.entry.imports import import_file
from jieneng.services.notifications import channels, notify, outbox
from jieneng.services.workflow import notices, reminders
from jieneng.services.workflow import questions as workflow_questions
from jieneng.services.workflow import review as workflow_review
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.storage import notify as notify_store
from jieneng.storage import tables as t
from jieneng.storage.institutions import get_institution
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.notify_world import RobotServer, add_period, settings_for

CLI = Actor.cli()
DEADLINE = date(2025, 4, 10)
PASSWORD = "Correct-Horse-Battery-9"
REASON = "3月电量比去年同期高 80%，请核实电表读数"


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, object]:
    """桂林 regions and institutions; the school's 统计员, 阳朔's reviewer, 秀峰's
    reviewer, a viewer."""
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    out: dict[str, object] = {}
    with engine.connect() as conn:
        for code in (ORGAN, SCHOOL, SILENT):
            row = get_institution(conn, code)
            assert row is not None
            out[code] = row.id
    out["clerk"] = create_user(engine, CLI, username="school", password=PASSWORD,
                               role="institution", institution=SCHOOL, display_name="一中统计员")
    out["county"] = create_user(engine, CLI, username="yangshuo", password=PASSWORD,
                                role="region", region_code="450321", display_name="阳朔县节能科")
    out["xiufeng"] = create_user(engine, CLI, username="xiufeng", password=PASSWORD,
                                 role="region", region_code="450302")
    out["viewer"] = create_user(engine, CLI, username="viewer", password=PASSWORD,
                                role="viewer", region_code="450300")
    return out


def _u(world: dict[str, object], name: str) -> User:
    found = world[name]
    assert isinstance(found, User)
    return found


def _task(engine: Engine, world: dict[str, object], state: str, **kw: object) -> int:
    iid = world[SCHOOL]
    assert isinstance(iid, int)
    return add_period(engine, region_code="450321", deadline=DEADLINE, tasks={iid: state},
                      **kw)[iid]  # type: ignore[arg-type]


def _state(engine: Engine, task_id: int, state: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.reporting_task).where(t.reporting_task.c.id == task_id)
                     .values(state=state))


def test_a_return_reaches_the_clerk_in_app_on_the_form_and_on_the_robot(
    engine: Engine, world: dict[str, object], db_url: str,
) -> None:
    task = _task(engine, world, "submitted")
    clerk, county = _u(world, "clerk"), _u(world, "county")
    with RobotServer() as robots:
        channels.create_channel(engine, actor=CLI, region_code="450321", kind="wecom",
                                target=robots.url("/wecom?key=county"))
        settings = settings_for(db_url, notify_attempts=1)
        workflow_tasks.act(engine, county, task, "return", reason=REASON, settings=settings)
        assert robots.bodies("/wecom") == []  # queued with the move, sent after its commit
        assert [d["status"] for d in outbox.deliver_pending(engine, settings)] == ["sent"]
        sent = robots.bodies("/wecom")
    assert len(sent) == 1 and REASON in sent[0]["text"]["content"]

    mine = notify.user_notifications(engine, clerk.id)
    assert mine["unread"] == 1
    note = mine["items"][0]
    assert note["kind"] == "returned" and "已退回" in note["title"]
    assert "阳朔县演示第一中学" in note["title"] and "2025年3月月报" in note["title"]
    assert REASON in note["body"] and "阳朔县节能科" in note["body"]
    assert note["link"] == f"/entry/{SCHOOL}/2025/3"
    assert notify.user_notifications(engine, county.id)["total"] == 0  # not the reviewer

    banner = notices.entry_notices(engine, clerk, SCHOOL, 2025, 3)
    assert len(banner) == 1 and banner[0]["task_id"] == task
    assert banner[0]["returned"]["reason"] == REASON
    assert banner[0]["returned"]["by"] == "阳朔县节能科"
    assert notices.entry_notices(engine, clerk, SCHOOL, 2025, 4) == []  # another month

    _state(engine, task, "in_progress")  # saved since: the reason still stands
    assert notices.entry_notices(engine, clerk, SCHOOL, 2025, 3)[0]["returned"]
    workflow_tasks.act(engine, clerk, task, "submit")
    assert notices.entry_notices(engine, clerk, SCHOOL, 2025, 3) == []  # resubmitted
    with pytest.raises(NotFound):  # another unit's form: nothing, as for the form itself
        notices.entry_notices(engine, clerk, ORGAN, 2025, 3)


def test_bulk_returns_and_reopens_reach_the_clerk(
    engine: Engine, world: dict[str, object],
) -> None:
    task = _task(engine, world, "submitted")
    clerk, county = _u(world, "clerk"), _u(world, "county")
    result = workflow_review.bulk_review(engine, county, "return", [(task, None)],
                                         reason=REASON)
    assert result["moved"] == [task]
    _state(engine, task, "approved")
    workflow_tasks.act(engine, county, task, "reopen", reason="抽查发现差错")
    kinds = [(n["kind"], n["body"].split("\n")[0])
             for n in notify.user_notifications(engine, clerk.id)["items"]]
    assert [k for k, _ in kinds] == ["reopened", "returned"]
    assert "抽查发现差错" in kinds[0][1] and REASON in kinds[1][1]
    banner = notices.entry_notices(engine, clerk, SCHOOL, 2025, 3)
    assert banner[0]["returned"]["action"] == "reopen"
    # approvals and submissions announce nothing
    before = notify.user_notifications(engine, clerk.id)["total"]
    workflow_tasks.act(engine, clerk, task, "submit")
    workflow_tasks.act(engine, county, task, "approve")
    assert notify.user_notifications(engine, clerk.id)["total"] == before


def test_a_question_reaches_the_clerk_and_the_answer_the_reviewer(
    engine: Engine, world: dict[str, object],
) -> None:
    task = _task(engine, world, "submitted")
    clerk, county = _u(world, "clerk"), _u(world, "county")
    asked = workflow_questions.ask(engine, county, task, month=3, carrier="electricity",
                                   question="电量为何翻倍？")
    note = notify.user_notifications(engine, clerk.id)["items"][0]
    assert note["kind"] == "question" and "审核提问" in note["title"]
    assert "电量为何翻倍？" in note["body"] and "3 月 · 电」" in note["body"]
    assert note["link"] == f"/reporting/tasks/{task}"
    banner = notices.entry_notices(engine, clerk, SCHOOL, 2025, 3)
    assert banner[0]["returned"] is None
    assert [q["question"] for q in banner[0]["questions"]] == ["电量为何翻倍？"]
    assert banner[0]["questions"][0]["asked_by"] == "阳朔县节能科"

    workflow_questions.answer(engine, clerk, task, asked["id"], text="新增空调")
    answered = notify.user_notifications(engine, county.id)["items"]
    assert [n["kind"] for n in answered] == ["answer"] and "新增空调" in answered[0]["body"]
    assert notices.entry_notices(engine, clerk, SCHOOL, 2025, 3) == []


def test_a_reviewer_reminds_one_unit_or_every_overdue_one_from_the_web(
    engine: Engine, world: dict[str, object], db_url: str,
) -> None:
    school, silent, organ = world[SCHOOL], world[SILENT], world[ORGAN]
    assert isinstance(school, int) and isinstance(silent, int) and isinstance(organ, int)
    tasks = add_period(engine, region_code="450300", deadline=DEADLINE, tasks={
        school: "returned", silent: "not_started", organ: "submitted"})
    county, clerk = _u(world, "county"), _u(world, "clerk")
    settings = settings_for(db_url, notify_attempts=1)
    day = DEADLINE + timedelta(days=2)

    one = reminders.remind(engine, settings, county, task_ids=[tasks[school]], day=day)
    assert (one["tasks"], one["reminded"], one["already"], one["recipients"]) == (1, 1, 0, 1)
    assert one["unreachable"] == 0
    note = notify.user_notifications(engine, clerk.id)["items"][0]
    assert note["kind"] == "reminder" and "已逾期 2 天" in note["title"]
    assert note["link"] == f"/entry/{SCHOOL}/2025/3"
    again = reminders.remind(engine, settings, county, task_ids=[tasks[school]], day=day)
    assert (again["reminded"], again["already"]) == (0, 1)  # once a day per channel

    with engine.connect() as conn:
        period = conn.execute(select(t.reporting_task.c.period_id)
                              .where(t.reporting_task.c.id == tasks[school])).scalar_one()
        actions = list(conn.execute(select(t.audit_log.c.action)
                                    .where(t.audit_log.c.action == "reporting.remind")))
    assert len(actions) == 2
    every = reminders.remind(engine, settings, county, period_id=period, day=day)
    # the county sees its two schools (the 秀峰 organ is outside and submitted anyway)
    assert (every["tasks"], every["reminded"], every["already"]) == (2, 0, 1)
    # the silent school has no account: the county files for it, and is the one reminding
    assert (every["unreachable"], every["own"]) == (0, 1)
    early = reminders.remind(engine, settings, county, period_id=period,
                             day=DEADLINE - timedelta(days=1))
    assert early["tasks"] == 0  # nothing is overdue before the deadline
    with engine.connect() as conn:
        logged = {(r.task_id, r.channel) for r in notify_store.log_entries(conn, day)}
    assert logged == {(tasks[school], "app")}  # the silent school has no account

    with pytest.raises(Conflict):
        reminders.remind(engine, settings, _u(world, "xiufeng"), task_ids=[tasks[organ]],
                         day=day)  # submitted: nothing to remind
    with pytest.raises(NotFound):  # 秀峰 cannot see 阳朔's school
        reminders.remind(engine, settings, _u(world, "xiufeng"), task_ids=[tasks[school]])
    for role in ("viewer", "clerk"):
        with pytest.raises(NotPermitted):
            reminders.remind(engine, settings, _u(world, role), task_ids=[tasks[school]])
    with pytest.raises(ValidationFailed):
        reminders.remind(engine, settings, county)
    with pytest.raises(NotFound):
        reminders.remind(engine, settings, county, period_id=999_999)


def test_an_alert_reaches_the_nearest_office_with_an_account(
    engine: Engine, world: dict[str, object],
) -> None:
    """A county without its own office account is looked after by its city's (the
    demo's alerts used to record "notified in-app — 0 user(s)")."""
    from jieneng.storage import alerts as alert_store

    city = create_user(engine, CLI, username="guilin", password=PASSWORD, role="region",
                       region_code="450300")
    county = _u(world, "county")
    with engine.connect() as conn:
        assert alert_store.responsible_users(conn, ["450321", "450300", "450000"]) == [
            county.id]
        assert alert_store.responsible_users(conn, ["450381", "450300", "450000"]) == [city.id]
        assert alert_store.responsible_users(conn, ["450000"]) == []
