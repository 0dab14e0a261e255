"""The year grid of 数据填报 in a real browser (issue 11 §1 "entry like a spreadsheet").

The demo school's 统计员 opens the grid of 2027 (a year no other browser test reads),
pastes a 12 × 2 block copied from Excel (tab-separated: electricity quantity and cost
of January … December) into the January electricity cell, sees the totals follow,
saves, and finds the twelve months stored. Then March is locked (its 月报 submitted,
put in the database as a 统计员 would have): its cells are read-only and a paste over
them leaves them out. Then the session expires while a typed cell is unsaved: 保存
leads to the login page, and after signing in the grid is back with the typed value
(the draft in localStorage), which is then saved. The screenshot of the grid is
``docs/screenshots/entry-year.png`` (the demo's 2025), ``entry-year-paste.png`` and
``entry-profile.png``. The March period and task are removed at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from tests.web.browser.conftest import login, shot
from tests.web.browser.harness import Live, needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

YEAR = 2027
#: January … December: electricity [kWh] and its cost [元], as Excel copies them
ROWS = [(20000 + 500 * m, 16000 + 400 * m) for m in range(12)]
TSV = "\r\n".join(f"{q}\t{c}" for q, c in ROWS) + "\r\n"


def _paste(page: Page, selector: str, data: str) -> None:
    """A paste of ``data`` (text/plain) into the cell ``selector``, as Ctrl+V would."""
    page.locator(selector).focus()
    page.evaluate("""([selector, data]) => {
        const dt = new DataTransfer();
        dt.setData('text/plain', data);
        document.querySelector(selector).dispatchEvent(new ClipboardEvent('paste', {
            clipboardData: dt, bubbles: true, cancelable: true}));
    }""", [selector, data])


def _save(page: Page) -> None:
    """保存; if the page asks to confirm warnings, confirm and save again."""
    with page.expect_navigation():
        page.locator("#year-grid button.primary").click()
    if page.locator("#year-grid input[name=confirm]").count():
        page.locator("#year-grid input[name=confirm]").check()
        with page.expect_navigation():
            page.locator("#year-grid button.primary").click()
    assert "saved=" in page.url, page.url


@pytest.fixture
def school(live: Live) -> Iterator[tuple[str, int]]:
    """(credit code, institution id) of the demo school; removes the test's March
    period of 2027 afterwards."""
    from jieneng.services.database import open_database

    engine = open_database(live.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT i.credit_code, i.id FROM institution i "
                "JOIN app_user u ON u.institution_id = i.id AND u.username = 'school'")).one()
        yield str(row[0]), int(row[1])
    finally:
        with engine.begin() as conn:
            ids = [r[0] for r in conn.execute(text(
                "SELECT id FROM reporting_period WHERE year = :y"), {"y": YEAR})]
            for period_id in ids:
                conn.execute(text("DELETE FROM task_transition WHERE task_id IN "
                                  "(SELECT id FROM reporting_task WHERE period_id = :p)"),
                             {"p": period_id})
                conn.execute(text("DELETE FROM reporting_task WHERE period_id = :p"),
                             {"p": period_id})
                conn.execute(text("DELETE FROM reporting_period WHERE id = :p"), {"p": period_id})
        engine.dispose()


def _lock_march(live: Live, institution_id: int) -> None:
    """March 2027 of the school: a 月报 already submitted (only this school's task)."""
    from jieneng.services.database import open_database

    engine = open_database(live.database_url)
    try:
        with engine.begin() as conn:
            region = conn.execute(text("SELECT region_code FROM institution WHERE id = :i"),
                                  {"i": institution_id}).scalar_one()
            period = conn.execute(text(
                "INSERT INTO reporting_period (region_code, kind, year, month, deadline, "
                "department_step, opened_at) VALUES (:r, 'monthly', :y, 3, :d, false, :at) "
                "RETURNING id"), {"r": region, "y": YEAR, "d": f"{YEAR}-04-20",
                                  "at": f"{YEAR}-03-01 00:00:00"}).scalar_one()
            conn.execute(text(
                "INSERT INTO reporting_task (period_id, institution_id, state, version) "
                "VALUES (:p, :i, 'submitted', 1)"), {"p": period, "i": institution_id})
    finally:
        engine.dispose()


def _stored(page: Page, code: str) -> dict[int, dict[str, Any]]:
    response = page.request.get(f"/api/v1/entry/{code}/{YEAR}")
    assert response.status == 200, response.text()
    return {m["month"]: m for m in response.json()["months"]}


def test_paste_a_year_from_excel_locked_month_and_expired_session(
    page: Page, live: Live, demo_accounts: dict[str, Any], school: tuple[str, int],
) -> None:
    page.set_default_timeout(30_000)
    code, institution_id = school
    login(page, "school", demo_accounts["school"].password)
    page.goto(f"/entry/{code}/{YEAR}")
    assert "按年填报" in page.locator("h1").inner_text()
    assert all("electricity" not in m["values"] for m in _stored(page, code).values())

    # paste 12 × 2 from the clipboard into January's electricity cell
    _paste(page, "input[name=q_1_electricity]", TSV)
    for month, (q, c) in enumerate(ROWS, start=1):
        assert page.locator(f"input[name=q_{month}_electricity]").input_value() == str(q)
        assert page.locator(f"input[name=c_{month}_electricity]").input_value() == str(c)
    assert "24" in page.locator("#grid-status").inner_text()
    total = page.locator('[data-total="q_electricity"]').inner_text()
    assert f"{sum(q for q, _ in ROWS):,}" in total.replace(".00", "")
    # keyboard: Enter goes down a month, ArrowRight to the cost at the end of the text
    page.locator("input[name=q_1_electricity]").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "q_2_electricity"
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.name") == "c_2_electricity"
    shot(page, "entry-year-paste")
    _save(page)
    stored = _stored(page, code)
    for month, (q, c) in enumerate(ROWS, start=1):
        assert stored[month]["values"]["electricity"]["quantity"] == q
        assert stored[month]["values"]["electricity"]["cost_yuan"] == c

    # March locked: read-only, left out of a paste, and said so
    _lock_march(live, institution_id)
    page.goto(f"/entry/{code}/{YEAR}")
    march = page.locator("input[name=q_3_electricity]")
    assert march.is_disabled() and page.locator("tr[data-month='3'].eg-locked").count() == 1
    assert page.locator("input[name=q_4_electricity]").is_enabled()
    _paste(page, "input[name=q_2_electricity]", "1\t2\r\n3\t4\r\n")
    assert march.input_value() == str(ROWS[2][0])  # untouched
    assert "2" in page.locator("#grid-status").inner_text()
    assert "已锁定" in page.locator("#grid-status").inner_text()
    page.goto(f"/entry/{code}/{YEAR}")  # drop the pasted February

    # the session expires with a typed cell: after signing in again it is still there
    page.locator("input[name=q_5_electricity]").fill("22222")
    page.context.clear_cookies()
    with page.expect_navigation():
        page.locator("#year-grid button.primary").click()
    assert "/login" in page.url and "next=" in page.url
    login_form = page.locator("form:has(input[name=password])")
    login_form.locator("input[name=username]").fill("school")
    login_form.locator("input[name=password]").fill(demo_accounts["school"].password)
    with page.expect_navigation():
        login_form.locator("[type=submit]").first.click()
    assert page.url.endswith(f"/entry/{code}/{YEAR}"), page.url
    assert page.locator("input[name=q_5_electricity]").input_value() == "22222"
    assert page.locator("#grid-draft").is_visible()
    _save(page)
    assert _stored(page, code)[5]["values"]["electricity"]["quantity"] == 22222
    # saved: the draft is gone
    assert page.evaluate(f"localStorage.getItem('jieneng:grid:{code}:{YEAR}')") is None

    # the demo's last complete year: approved months read-only, last year beside
    page.goto(f"/entry/{code}/2025")
    assert page.locator("tr.eg-locked").count() >= 1
    shot(page, "entry-year", full_page=True)
    page.goto(f"/entry/{code}/2025/profile")
    assert page.locator("input[name=occupants]").input_value() != ""
    shot(page, "entry-profile")
