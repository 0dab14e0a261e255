"""Nothing gets lost between people, in the web (issue 11 §1): a return with its reason
reaches the 统计员 — a notification row, the unread count on the bell, the banner on
the entry form — and reviewers send 催报 from the task and rate pages, refused for
viewers and 公共机构 (403 ``capability_required``)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from jieneng.core import chinatime
from jieneng.storage import tables as t
from tests.web.conftest import SCHOOL, SILENT, World, csrf

REASON = "2月电量比上月高 80%，请核实电表读数"


def _open(world: World, office: TestClient) -> None:
    opened = office.post("/api/v1/reporting/periods", json={
        "region_code": "450321", "period": "2025-02", "deadline": "2025-03-15"},
        headers={"X-CSRF-Token": csrf(office)})
    assert opened.status_code == 200, opened.text


def _task_id(world: World, code: str) -> int:
    task, period = t.reporting_task, t.reporting_period
    with world.engine.connect() as conn:
        found = conn.execute(
            select(task.c.id).select_from(task.join(period, period.c.id == task.c.period_id))
            .where(task.c.institution_id == world.ids[code], period.c.month == 2)
        ).scalar_one()
    return int(found)


def _submitted(world: World, task_id: int) -> None:
    with world.engine.begin() as conn:
        conn.execute(update(t.reporting_task).where(t.reporting_task.c.id == task_id)
                     .values(state="submitted"))


def test_a_return_with_its_reason_reaches_the_clerk(world: World) -> None:
    office = world.login("region")
    _open(world, office)
    task = _task_id(world, SCHOOL)
    _submitted(world, task)
    version = office.get(f"/api/v1/reporting/tasks/{task}").json()["version"]
    returned = office.post(f"/reporting/tasks/{task}/action", data={
        "action": "return", "version": str(version), "reason": REASON,
        "csrf_token": csrf(office)})
    assert returned.status_code == 303, returned.text

    school = world.login("institution")
    mine = school.get("/api/v1/notifications").json()
    assert mine["unread"] == 1
    note = mine["items"][0]
    assert note["kind"] == "returned" and REASON in note["body"]
    assert note["link"] == f"/entry/{SCHOOL}/2025/2"
    home = school.get("/notifications")
    assert 'id="unread-count">1<' in home.text and REASON in home.text  # the bell's badge
    form = school.get(f"/entry/{SCHOOL}/2025/2")
    assert form.status_code == 200
    assert f'id="task-notice-{task}"' in form.text
    assert "本期报表已被退回" in form.text and REASON in form.text
    twin = school.get(f"/api/v1/entry/{SCHOOL}/2025/2").json()
    assert twin["notices"][0]["returned"]["reason"] == REASON
    assert twin["notices"][0]["task_id"] == task
    # another month's form has no banner; the reviewer got nothing
    assert "task-notice-" not in school.get(f"/entry/{SCHOOL}/2025/3").text
    assert office.get("/api/v1/notifications").json()["unread"] == 0
    # English
    english = school.get(f"/entry/{SCHOOL}/2025/2?lang=en")
    assert "This report was returned" in english.text


def test_a_question_shows_on_the_entry_form(world: World) -> None:
    office = world.login("region")
    _open(world, office)
    task = _task_id(world, SCHOOL)
    _submitted(world, task)
    asked = office.post(f"/api/v1/reporting/tasks/{task}/questions", json={
        "month": 2, "carrier": "electricity", "question": "电量为何翻倍？"},
        headers={"X-CSRF-Token": csrf(office)})
    assert asked.status_code == 200, asked.text
    school = world.login("institution")
    assert school.get("/api/v1/notifications").json()["items"][0]["kind"] == "question"
    form = school.get(f"/entry/{SCHOOL}/2025/2").text
    assert "审核人的问题（待回答 1 条）" in form and "电量为何翻倍？" in form
    assert f'href="/reporting/tasks/{task}"' in form
    # the task page names the carrier and the asker, offers the carriers as a choice
    page = office.get(f"/reporting/tasks/{task}").text
    asker = office.get("/api/v1/reporting/tasks/" + str(task)).json()["questions"][0]
    assert asker["asked_by"] and asker["asked_at"] and asker["carrier"] == "electricity"
    assert f"{asker['asked_by']} 提问于" in page and "2 月 · 电</strong>" in page
    assert '<select name="carrier" required>' in page and 'value="electricity"' in page


def test_reviewers_remind_from_the_task_and_rate_pages(world: World) -> None:
    office = world.login("region")
    _open(world, office)
    task = _task_id(world, SCHOOL)
    page = office.get(f"/reporting/tasks/{task}")
    assert 'id="remind-task"' in page.text
    sent = office.post("/reporting/remind", data={
        "task_id": str(task), "back": f"/reporting/tasks/{task}", "csrf_token": csrf(office)})
    assert sent.status_code == 200, sent.text
    assert 'id="remind-result"' in sent.text and "已催报 1 个任务" in sent.text
    assert f'href="/reporting/tasks/{task}"' in sent.text
    school = world.login("institution")
    note = school.get("/api/v1/notifications").json()["items"][0]
    assert note["kind"] == "reminder"
    with world.engine.connect() as conn:
        logged = conn.execute(select(t.reminder_log.c.task_id, t.reminder_log.c.channel)).all()
        audited = conn.execute(select(t.audit_log.c.action)
                               .where(t.audit_log.c.action == "reporting.remind")).all()
    assert [(r[0], r[1]) for r in logged] == [(task, "app")] and len(audited) == 1
    again = office.post("/api/v1/reporting/remind", json={"task_ids": [task]},
                        headers={"X-CSRF-Token": csrf(office)})
    assert again.status_code == 200
    assert (again.json()["reminded"], again.json()["already"]) == (0, 1)

    # the rate page: one button per unit not reported, one for every overdue unit
    rate = office.get("/reporting/rate?region=450321")
    assert rate.status_code == 200
    # 我的任务 flags the overdue task (its deadline has passed, not yet submitted)
    listed = office.get("/api/v1/reporting/tasks").json()["items"]
    assert next(i for i in listed if i["id"] == task)["overdue"] is True
    assert '<span class="tag bad">' in office.get("/reporting/tasks").text
    # a region field suggests the caller's regions by name (a datalist), not a bare code box
    overview = office.get("/overview").text
    assert 'list="region-options"' in overview and '<option value="450321">' in overview
    assert 'id="remind-all"' in rate.text  # the deadline 2025-03-15 has passed
    items = office.get("/api/v1/reporting/rate?region=450321").json()["not_reported"]["items"]
    assert task in {i["task_id"] for i in items}
    period = office.get(f"/api/v1/reporting/tasks/{task}").json()["period_id"]
    every = office.post("/api/v1/reporting/remind", json={"period_id": period},
                        headers={"X-CSRF-Token": csrf(office)})
    assert every.status_code == 200 and every.json()["tasks"] == 3
    assert every.json()["day"] == chinatime.today().isoformat()

    # a task already submitted: 409 with its code; nothing chosen: 422
    _submitted(world, _task_id(world, SILENT))
    refused = office.post("/api/v1/reporting/remind",
                          json={"task_ids": [_task_id(world, SILENT)]},
                          headers={"X-CSRF-Token": csrf(office)})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reminders.task_not_owed"
    empty = office.post("/reporting/remind", data={"csrf_token": csrf(office)})
    assert empty.status_code == 422 and "请选择要催报的任务或报告期" in empty.text


def test_viewers_and_institutions_cannot_remind(world: World) -> None:
    office = world.login("region")
    _open(world, office)
    task = _task_id(world, SCHOOL)
    for role in ("viewer", "institution"):
        client = world.login(role)
        api = client.post("/api/v1/reporting/remind", json={"task_ids": [task]},
                          headers={"X-CSRF-Token": csrf(client)})
        assert api.status_code == 403, role
        assert api.json()["error"]["code"] == "capability_required"
        form = client.post("/reporting/remind",
                           data={"task_id": str(task), "csrf_token": csrf(client)})
        assert form.status_code == 403, role
    school = world.login("institution")
    assert 'id="remind-task"' not in school.get(f"/reporting/tasks/{task}").text
    assert "/reporting/remind" not in school.get("/reporting/rate").text
