"""A return reaching the 统计员 with its reason, in a real browser (issue 11 §1).

guilin (the city's 节能科) opens a submitted report of the demo school, types a
reason and clicks 退回; the school's 统计员 signs in and sees the unread count on the
bell, the notification with the reason, and — following its link — the "已退回"
banner with the reason on the entry form of that month. The screenshot of the form
with the badge and the banner is ``docs/screenshots/entry-returned.png``.

The task is a 2025 month of the school (test_flows writes only 2026-01); it is put
in the submitted state directly in the database first, as a 统计员 would have done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.web.browser.conftest import login, shot
from tests.web.browser.harness import Live, needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

REASON = "电量比去年同月高 46%，请核对电费单后重新上报"


def _school_task(live: Live) -> tuple[int, str, int, int]:
    """(task id, credit code, year, month) of a 2025 monthly task of the demo school,
    put in the submitted state."""
    from jieneng.services.database import open_database

    engine = open_database(live.database_url)
    try:
        with engine.begin() as conn:
            row = conn.execute(text(
                "SELECT t.id, i.credit_code, p.year, p.month FROM reporting_task t "
                "JOIN reporting_period p ON p.id = t.period_id "
                "JOIN institution i ON i.id = t.institution_id "
                "JOIN app_user u ON u.institution_id = i.id AND u.username = 'school' "
                "WHERE p.kind = 'monthly' AND p.year = 2025 "
                "ORDER BY p.month DESC LIMIT 1")).one()
            conn.execute(text("UPDATE reporting_task SET state = 'submitted' WHERE id = :id"),
                         {"id": row[0]})
        return int(row[0]), str(row[1]), int(row[2]), int(row[3])
    finally:
        engine.dispose()


def test_a_return_reaches_the_clerk_with_its_reason(
    page: Page, live: Live, demo_accounts: dict[str, Any],
) -> None:
    page.set_default_timeout(30_000)
    task, code, year, month = _school_task(live)

    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto(f"/reporting/tasks/{task}")
    form = page.locator("form:has(button[value=return])")
    form.locator("input[name=reason]").fill(REASON)
    with page.expect_navigation():
        form.locator("button[value=return]").click()
    expect(page.locator("main")).to_contain_text("已退回")

    page.context.clear_cookies()
    login(page, "school", demo_accounts["school"].password)
    badge = page.locator("#unread-count")
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) >= 1
    page.goto("/notifications")
    note = page.locator("#notifications li.unread").filter(has_text=REASON).first
    expect(note).to_contain_text("已退回")
    with page.expect_navigation():
        note.get_by_role("link").click()
    assert page.url.endswith(f"/entry/{code}/{year}/{month}")
    banner = page.locator(f"#task-notice-{task}")
    expect(banner).to_contain_text("本期报表已被退回")
    expect(banner).to_contain_text(REASON)
    expect(page.locator("#unread-count")).to_be_visible()
    shot(page, "entry-returned")


def test_a_reviewer_reminds_a_unit_from_the_rate_page(
    page: Page, demo_accounts: dict[str, Any],
) -> None:
    page.set_default_timeout(30_000)
    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto("/reporting/rate")
    row = page.locator("#not-reported tbody tr").filter(has=page.locator("form")).first
    unit = row.locator("td").nth(1).inner_text()
    with page.expect_navigation():
        row.get_by_role("button", name="催报").click()
    expect(page.locator("#remind-result")).to_contain_text("已催报")
    expect(page.locator("h1")).to_contain_text("催报结果")
    with page.expect_navigation():
        page.get_by_role("link", name="返回").click()
    expect(page.locator("#not-reported")).to_contain_text(unit)
