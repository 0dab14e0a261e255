"""The ``/entry`` chooser opens each unit's oldest open report (issue 11 leftovers; the
usability review's "Entry defaults": it opened last calendar month, a month without a
task): 已退回 first, then overdue, then due; nothing open — the latest report; no
task at all — last month."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from jieneng.storage import tables as t
from jieneng.web.common import previous_month
from tests.web.conftest import SCHOOL, World, csrf


def _open(office: TestClient, period: str, deadline: str) -> None:
    answer = office.post("/api/v1/reporting/periods", json={
        "region_code": "450321", "period": period, "deadline": deadline},
        headers={"X-CSRF-Token": csrf(office)})
    assert answer.status_code == 200, answer.text


def _state(world: World, month: int, state: str) -> None:
    task, period = t.reporting_task, t.reporting_period
    with world.engine.begin() as conn:
        ids = select(task.c.id).select_from(task.join(period, period.c.id == task.c.period_id)
                                            ).where(task.c.institution_id == world.ids[SCHOOL],
                                                    period.c.month == month)
        conn.execute(update(task).where(task.c.id.in_(ids)).values(state=state))


def _link(client: TestClient) -> tuple[str, str | None]:
    page = client.get("/entry")
    assert page.status_code == 200
    row = page.text[page.text.index(SCHOOL):]
    found = re.search(r'<a href="(/entry/[^"]+)"(?: data-why="(\w+)")?', row)
    assert found is not None
    return found.group(1), found.group(2)


def test_the_chooser_opens_the_oldest_open_report(world: World) -> None:
    school = world.login("institution")
    year, month = previous_month()
    assert _link(school) == (f"/entry/{SCHOOL}/{year}/{month}", None)  # no task at all
    assert 'id="entry-next"' not in school.get("/entry").text

    office = world.login("region")
    future = date(date.today().year + 1, 1, 20).isoformat()
    _open(office, "2025-01", "2025-02-20")  # overdue
    _open(office, "2025-02", "2025-03-20")  # overdue
    _open(office, "2025-03", future)        # due
    assert _link(school) == (f"/entry/{SCHOOL}/2025/1", "overdue")  # the oldest deadline
    _state(world, 2, "returned")
    assert _link(school) == (f"/entry/{SCHOOL}/2025/2", "returned")  # returned comes first
    page = school.get("/entry").text
    assert 'id="entry-next"' in page and "已退回" in page
    _state(world, 2, "approved")
    _state(world, 1, "submitted")
    assert _link(school) == (f"/entry/{SCHOOL}/2025/3", "due")
    _state(world, 3, "approved")
    assert _link(school) == (f"/entry/{SCHOOL}/2025/3", "latest")  # nothing open
    assert 'id="entry-next"' not in school.get("/entry").text


def test_the_office_is_shown_the_oldest_report_it_files_for(world: World) -> None:
    """The county files for its units without an account of their own (nor a 主管部门's):
    its own oldest open report is named on top, not one the school's 统计员 owes."""
    office = world.login("region")
    _open(office, "2025-01", "2025-02-20")
    assert 'id="entry-next"' not in office.get("/entry").text  # everyone has a filer
    with world.engine.begin() as conn:  # the 教育局's account is locked: the county files
        conn.execute(update(t.app_user).where(t.app_user.c.username == "jiaoyuju")
                     .values(is_locked=True))
    page = office.get("/entry").text
    assert 'id="entry-next"' in page
    notice = page[page.index('id="entry-next"'):].split("</section>")[0]
    assert "/entry/" in notice and SCHOOL not in notice and "已逾期" in notice


def _task(world: World, month: int) -> int:
    task, period = t.reporting_task, t.reporting_period
    with world.engine.connect() as conn:
        return int(conn.execute(
            select(task.c.id).select_from(task.join(period, period.c.id == task.c.period_id))
            .where(task.c.institution_id == world.ids[SCHOOL], period.c.month == month)
        ).scalar_one())


def _links(client: TestClient, task: int) -> str | None:
    page = client.get(f"/reporting/tasks/{task}")
    assert page.status_code == 200
    if 'id="task-entry-links"' not in page.text:
        return None
    return page.text[page.text.index('id="task-entry-links"'):].split("</p>")[0]


def test_the_task_page_links_to_the_form_and_the_year_grid(world: World) -> None:
    office = world.login("region")
    _open(office, "2025-02", "2025-03-20")
    _open(office, "2025", "2026-03-31")
    task, annual = _task(world, 2), _task(world, 0)
    school = world.login("institution")
    links = _links(school, task)
    assert links is not None and "去填报" in links
    assert f'href="/entry/{SCHOOL}/2025/2"' in links and f'href="/entry/{SCHOOL}/2025"' in links
    assert f'href="/entry/{SCHOOL}/2025/profile"' in links
    _state(world, 2, "submitted")  # locked: the same place, to look
    links = _links(school, task)
    assert links is not None and "查看报表" in links and "去填报" not in links
    reviewer = _links(office, task)  # the county office files too (enter_data)
    assert reviewer is not None and f'href="/entry/{SCHOOL}/2025/2"' in reviewer
    yearly = _links(school, annual)  # a 年报: the year grid first
    assert yearly is not None and yearly.index(f'href="/entry/{SCHOOL}/2025"') < yearly.index(
        "profile")
