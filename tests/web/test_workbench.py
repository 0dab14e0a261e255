"""The workbench (工作台, ``/`` and ``/api/v1/workbench``) per role, and the unit search.

On the 桂林 world of ``tests/web/conftest.py`` with the city's 2025-01 period open
(its deadline long past): the school submits, the county asks about a figure and
returns the report with a reason; the second school submits and waits for review.
Each role's workbench then shows what it must act on, in its scope only, and every
count equals the list it links to.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from jieneng.core.caller import Actor
from jieneng.core.scope import Filters
from jieneng.services.accounts.accounts import create_user
from jieneng.services.workflow import periods, questions, tasks
from jieneng.storage import reporting as store
from jieneng.storage import tables as t
from tests.web.conftest import EDU, NAMES, ORGAN, OTHER, PASSWORD, SCHOOL, SILENT, World

REASON = "电量与上月相差十倍，请核实后重新上报"
QUESTION = "一月电量是否包含食堂？"


def _task_id(world: World, code: str) -> int:
    with world.engine.connect() as conn:
        rows, _ = store.task_page(conn, Filters(institution_ids=[world.ids[code]]), limit=1)
    return int(rows[0]["id"])


@pytest.fixture
def loop(world: World) -> World:
    """The period opened, the school's report returned with a reason and a question,
    the second school's report submitted."""
    engine = world.engine
    periods.open_period(engine, world.users["admin"], region_code="450300", period="2025-01")
    school, silent = _task_id(world, SCHOOL), _task_id(world, SILENT)
    clerk = create_user(engine, Actor.cli(), username="silent_clerk", password=PASSWORD,
                        role="institution", institution=SILENT)
    with engine.begin() as conn:  # both schools have typed their figures (保存)
        conn.execute(update(t.reporting_task).where(t.reporting_task.c.id.in_(
            [school, silent])).values(state="in_progress"))
    tasks.act(engine, world.users["institution"], school, "submit")
    questions.ask(engine, world.users["region"], school, month=1, carrier="electricity",
                  question=QUESTION)
    tasks.act(engine, world.users["region"], school, "return", reason=REASON)
    tasks.act(engine, clerk, silent, "submit")
    return world


def _links(body: str) -> set[str]:
    return {h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"]*)"', body)}


def test_the_school_sees_its_return_with_the_reason_and_the_question(loop: World) -> None:
    client = loop.login("institution")
    data = client.get("/api/v1/workbench").json()
    assert data["kind"] == "filer"
    school = _task_id(loop, SCHOOL)
    assert data["to_fill"]["total"] == 1
    (returned,) = data["returned"]["items"]
    assert returned["id"] == school and returned["state"] == "returned"
    assert returned["reason"] == REASON and returned["returned_by"] == "yangshuo"
    assert returned["overdue"] is True and data["deadlines"]["overdue"] == 1
    assert returned["entry_href"] == f"/entry/{SCHOOL}/2025/1"
    (question,) = data["questions"]["items"]
    assert question["question"] == QUESTION and question["href"] == f"/reporting/tasks/{school}"
    assert data["links"]["returned"] == "/reporting/tasks?state=returned"
    # the counts are those of the lists they link to
    listed = client.get("/api/v1/reporting/tasks", params={"state": "returned"}).json()
    assert listed["total"] == data["returned"]["total"]
    # the page says the same, in Chinese, with the links
    page = client.get("/")
    assert page.status_code == 200
    body = page.text
    assert "工作台" in body and REASON in body and QUESTION in body and "已逾期" in body
    assert f"/reporting/tasks/{school}" in body and f"/entry/{SCHOOL}/2025/1" in body
    assert "/reporting/tasks?state=returned" in body
    # nothing of the other school, and every link of the page opens
    assert SILENT not in body and NAMES[SILENT] not in body
    for href in _links(body):
        if href.startswith(("/static/", "/logout")):
            continue
        assert client.get(href).status_code in (200, 307), href


def test_english_workbench(loop: World) -> None:
    client = loop.login("institution")
    body = client.get("/?lang=en").text
    assert "Workbench" in body and "Returned reports" in body and REASON in body


@pytest.mark.parametrize(("role", "waiting", "overdue"), [
    ("admin", 1, 4),  # ORGAN, OTHER, EDU, SCHOOL not submitted; SILENT waits
    ("region", 1, 2),  # 阳朔县: EDU, SCHOOL
    ("region_admin", 1, 2),
    ("department", 0, 2),  # 教育局 and its school; no 主管部门 step: the office reviews
])
def test_a_reviewer_sees_submissions_overdue_units_findings_and_alerts(
    loop: World, role: str, waiting: int, overdue: int
) -> None:
    client = loop.login(role)
    data = client.get("/api/v1/workbench").json()
    assert data["kind"] == "reviewer"
    assert data["waiting"]["total"] == waiting
    queue = client.get("/api/v1/reporting/review").json()
    assert queue["total"] == waiting
    assert data["overdue"]["total"] == overdue
    (period,) = data["overdue"]["periods"]
    assert period["period"] == "2025-01" and period["overdue"] == overdue
    assert period["href"] == f"/reporting/rate?period={period['id']}"
    findings = client.get("/api/v1/quality/findings", params={"state": "open"}).json()
    assert data["findings"]["open"] == findings["total"]
    assert data["links"]["findings"] == "/quality?state=open"
    alerts = client.get("/api/v1/alerts").json()
    assert data["alerts"]["total"] == sum(a["state"] != "closed" for a in alerts["items"])
    body = client.get("/").text
    assert "待审核报表" in body and "逾期未报单位" in body
    if waiting:
        assert NAMES[SILENT] in body  # the submission waiting, by name
    for href in _links(body):
        if href.startswith(("/static/", "/logout", "/screen/")):
            continue
        assert client.get(href).status_code in (200, 307), f"{role} {href}"
    outside = {"region": (ORGAN, OTHER), "region_admin": (ORGAN, OTHER),
               "department": (ORGAN, OTHER), "admin": ()}[role]
    for code in outside:
        assert code not in body and NAMES[code] not in body


def test_a_department_also_sees_its_own_tasks_to_fill(loop: World) -> None:
    client = loop.login("department")
    data = client.get("/api/v1/workbench").json()
    (own,) = data["own"]["items"]
    assert own["institution"]["credit_code"] == EDU and own["overdue"] is True
    assert own["entry_href"] == f"/entry/{EDU}/2025/1"
    assert "本单位待填报任务" in client.get("/").text
    assert loop.login("region").get("/api/v1/workbench").json()["own"] is None


def test_the_reviewers_question_is_listed_for_the_county(loop: World) -> None:
    data = loop.login("region").get("/api/v1/workbench").json()
    (question,) = data["questions"]["items"]
    assert question["institution"]["credit_code"] == SCHOOL
    assert loop.login("department").get("/api/v1/workbench").json()["questions"]["total"] == 1


def test_the_viewer_reads_only(loop: World) -> None:
    client = loop.login("viewer")
    data = client.get("/api/v1/workbench").json()
    assert data["kind"] == "reader"
    assert "waiting" not in data or data["waiting"] is None
    hrefs = {p["href"] for p in data["pages"]}
    assert "/overview" in hrefs and "/quotas" in hrefs and "/entry" not in hrefs
    body = client.get("/").text
    assert "只读" in body
    for code in (EDU, SCHOOL, SILENT):
        assert code not in body and NAMES[code] not in body


# ---------------------------------------------------------------- the unit search


def _found(client: TestClient, q: str) -> set[str]:
    data = client.get("/api/v1/search", params={"q": q}).json()
    return {item["credit_code"] for item in data["institutions"]["items"]}


@pytest.mark.parametrize(("role", "visible"), [
    ("admin", {ORGAN, OTHER, EDU, SCHOOL, SILENT}),
    ("region", {EDU, SCHOOL, SILENT}),
    ("department", {EDU, SCHOOL, SILENT}),
    ("institution", {SCHOOL}),
    ("viewer", {ORGAN, OTHER}),
])
def test_the_unit_search_stays_in_scope(world: World, role: str, visible: set[str]) -> None:
    client = world.login(role)
    assert _found(client, "演示") == visible
    for code in (ORGAN, SCHOOL):  # by the beginning of the credit code
        assert _found(client, code[:10]) == {c for c in visible if c.startswith(code[:10])}
        assert _found(client, code) == ({code} & visible)
    page = client.get("/search", params={"q": "演示"})
    assert page.status_code == 200
    for code in visible:
        assert NAMES[code] in page.text, (role, code)
    for marker in world.markers(role):  # a school's row names its 主管部门: not a leak
        assert marker not in page.text, (role, marker)
    # the search box of the top bar keeps the text
    assert 'action="/search"' in page.text and 'value="演示"' in page.text


def test_the_search_finds_regions_in_scope_and_links_to_them(world: World) -> None:
    data = world.login("region").get("/api/v1/search", params={"q": "阳朔"}).json()
    assert [r["code"] for r in data["regions"]] == ["450321"]
    assert data["regions"][0]["href"] == "/overview?region=450321"
    assert world.login("region").get("/api/v1/search", params={"q": "秀峰"}).json()[
        "regions"] == []
    empty = world.login("viewer").get("/api/v1/search").json()
    assert empty["q"] == "" and empty["institutions"]["total"] == 0
    item = world.login("institution").get("/api/v1/search", params={"q": SCHOOL}).json()[
        "institutions"]["items"][0]
    assert item["href"] == f"/institutions/{SCHOOL}"
    assert item["entry_href"] == f"/entry?q={SCHOOL}"
    assert world.login("viewer").get("/api/v1/search", params={"q": ORGAN}).json()[
        "institutions"]["items"][0]["entry_href"] is None
