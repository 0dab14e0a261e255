"""The reporting pages and their JSON twins: open, save → in progress, submit blocked
by findings, scope, optimistic lock, locked figures, bulk review."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import delete, func, insert, select

from jieneng.core.scope import Filters
from jieneng.storage import reporting as store
from jieneng.storage.tables import consumption_record, quality_finding
from tests.web.conftest import ORGAN, SCHOOL, World, csrf


def _task(world: World, code: str) -> dict[str, object]:
    with world.engine.connect() as conn:
        rows, _ = store.task_page(conn, Filters(institution_ids=[world.ids[code]]), limit=1)
    return rows[0]


def _open(world: World) -> TestClient:
    office = world.login("region")
    page = office.get("/reporting")
    assert page.status_code == 200 and "开启报告期" in page.text
    opened = office.post("/reporting/periods", data={
        "region": "450321", "period": "2025-02", "csrf_token": csrf(office)})
    assert opened.status_code == 200, opened.text
    assert "新建任务 3 个" in opened.text
    return office


def _save(client: TestClient, code: str, value: float) -> int:
    response = client.post(f"/api/v1/entry/{code}/2025/2",
                           json={"values": [{"carrier": "electricity", "value": value}]},
                           headers={"X-CSRF-Token": csrf(client)})
    return response.status_code


def test_open_period_and_the_clerk_cannot_submit_with_an_error(world: World) -> None:
    office = _open(world)
    outside = office.post("/reporting/periods", data={
        "region": "450302", "period": "2025-02", "csrf_token": csrf(office)})
    assert outside.status_code == 404
    school = world.login("institution")
    assert world.login("institution").post("/reporting/periods", data={
        "region": "450321", "period": "2025-03", "csrf_token": csrf(school)}).status_code == 403
    assert _save(school, SCHOOL, 1200) == 200
    task = _task(world, SCHOOL)
    assert task["state"] == "in_progress"
    with world.engine.begin() as conn:
        conn.execute(insert(quality_finding).values(
            institution_id=world.ids[SCHOOL], year=2025, month=2, carrier="electricity",
            rule="negative", severity="error", found_at=datetime.now(UTC)))
    url = f"/api/v1/reporting/tasks/{task['id']}"
    headers = {"X-CSRF-Token": csrf(school)}
    detail = school.get(url).json()
    assert detail["errors"] == 1 and detail["actions"] == ["submit"]
    refused = school.post(f"{url}/actions", json={"action": "submit"}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["kind"] == "validation_failed"
    assert refused.json()["error"]["code"] == "reporting.data_check_errors"
    page = school.post(f"/reporting/tasks/{task['id']}/action", data={
        "action": "submit", "version": str(task["version"]), "csrf_token": csrf(school)})
    assert page.status_code == 422 and "数据审核存在错误" in page.text
    with world.engine.begin() as conn:
        conn.execute(delete(quality_finding))
    done = school.post(f"/reporting/tasks/{task['id']}/action", data={
        "action": "submit", "version": str(task["version"]), "csrf_token": csrf(school)})
    assert done.status_code == 303
    shown = school.get(done.headers["location"])
    assert shown.status_code == 200 and "已上报" in shown.text and "撤回" in shown.text
    # the submitted month is locked, on the form and in the API
    with world.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(consumption_record)).scalar_one()
    assert _save(school, SCHOOL, 1300) == 409
    locked = school.post(f"/api/v1/entry/{SCHOOL}/2025/2",
                         json={"values": [{"carrier": "electricity", "value": 1}]},
                         headers=headers)
    assert "已锁定" in locked.json()["error"]["message"]
    csv = f"统一社会信用代码,年,月,电(千瓦时)\n{SCHOOL},2025,2,999\n".encode()
    imported = school.post("/api/v1/imports?kind=consumption", headers=headers,
                           files={"file": ("c.csv", csv, "text/csv")})
    assert imported.status_code == 409, imported.text
    with world.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(consumption_record)).scalar_one()
    assert after == before


def test_a_reviewer_cannot_act_outside_scope_and_stale_versions_conflict(world: World) -> None:
    admin = world.login("admin")
    response = admin.post("/api/v1/reporting/periods", json={
        "region_code": "450300", "period": "2025-02"}, headers={"X-CSRF-Token": csrf(admin)})
    assert response.status_code == 200 and response.json()["tasks_added"] == 5
    organ, school = _task(world, ORGAN), _task(world, SCHOOL)
    office = world.login("region")
    headers = {"X-CSRF-Token": csrf(office)}
    outside = office.post(f"/api/v1/reporting/tasks/{organ['id']}/actions",
                          json={"action": "approve"}, headers=headers)
    assert outside.status_code == 404
    assert office.get(f"/reporting/tasks/{organ['id']}").status_code == 404
    clerk = world.login("institution")
    assert _save(clerk, SCHOOL, 900) == 200
    version = int(str(school["version"])) + 1  # the save moved it
    submit = clerk.post(f"/api/v1/reporting/tasks/{school['id']}/actions",
                        json={"action": "submit", "version": version},
                        headers={"X-CSRF-Token": csrf(clerk)})
    assert submit.status_code == 200 and submit.json()["state"] == "submitted"
    stale = office.post(f"/api/v1/reporting/tasks/{school['id']}/actions",
                        json={"action": "approve", "version": version}, headers=headers)
    assert stale.status_code == 409 and stale.json()["error"]["kind"] == "conflict"
    queue = office.get("/api/v1/reporting/review").json()
    assert [t["id"] for t in queue["items"]] == [school["id"]]
    assert queue["items"][0]["errors"] == 0
    page = office.get("/review")
    assert page.status_code == 200 and f'value="{school["id"]}:{version + 1}"' in page.text
    refused = office.post("/review", data={
        "task": [f"{school['id']}:{version + 1}", f"{organ['id']}:1"], "decision": "approve",
        "csrf_token": csrf(office)})
    assert refused.status_code == 200 and "已处理 1 份，1 份未处理" in refused.text
    detail = office.get(f"/api/v1/reporting/tasks/{school['id']}").json()
    assert detail["state"] == "approved" and detail["actions"] == ["reopen"]
    assert [h["action"] for h in detail["history"]] == ["save", "submit", "approve"]
    assert "审核队列" in page.text and "填报任务" in page.text  # nav links


def test_english_pages_and_viewer_read_only(world: World) -> None:
    admin = world.login("admin")
    opened = admin.post("/api/v1/reporting/periods", json={
        "region_code": "450300", "period": "2025"}, headers={"X-CSRF-Token": csrf(admin)})
    assert opened.status_code == 200
    viewer = world.login("viewer")
    tasks = viewer.get("/reporting/tasks?lang=en")
    assert tasks.status_code == 200 and "My tasks" in tasks.text
    organ = _task(world, ORGAN)
    detail = viewer.get(f"/api/v1/reporting/tasks/{organ['id']}").json()
    assert detail["actions"] == [] and not detail["can_ask"]
    review = viewer.get("/review")
    assert review.status_code == 200 and 'name="decision"' not in review.text
    denied = viewer.post("/review", data={"task": [str(organ["id"])], "decision": "approve",
                                          "csrf_token": csrf(viewer)})
    assert denied.status_code == 403
