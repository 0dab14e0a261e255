"""A work-plan item in a real browser (issue 14 "browser tests for … a plan item"): in the
demo city's plan, 阳朔县's office (``yangshuo``, report_progress) opens its share of item
12 (典型示范案例, returned once by the city), reports it done — value, note and an
evidence file; a percent over 100 is refused and what was typed stays —; the city office
(``guilin``, manage_work_plans) finds the report waiting on the item page, accepts it,
and the item shows 已完成 with the evidence in its history; the plan's progress page
shows the new state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import login
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]
NOTE = "浏览器测试：已补充案例材料并报送自治区。"


def _item(page: Page) -> str:
    """The URL of 阳朔县's share of item 12, from the plan's progress page."""
    page.goto("/workplans")
    page.locator("#plan-list tbody tr a").first.click()
    page.wait_for_url("**/workplans/*")
    page.locator("#item-filters select[name=responsible]").select_option("450321")
    with page.expect_navigation():
        page.locator("#item-filters button[type=submit]").click()
    link = page.locator("#item-list td[data-col=number] a", has_text="12-450321")
    href = link.get_attribute("href")
    assert href
    return href


def test_report_and_accept_an_item(page: Page, demo_accounts: dict[str, Any],
                                   tmp_path: Path) -> None:
    page.set_default_timeout(30_000)
    login(page, "yangshuo", demo_accounts["yangshuo"].password)
    href = _item(page)
    page.goto(href)
    expect(page.locator("#report-list tbody tr").first).to_contain_text("已退回")
    form = page.locator("#report-form")
    evidence = tmp_path / "案例材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    form.locator("select[name=state]").select_option("done")
    form.locator("input[name=value]").fill("1")
    form.locator("input[name=percent]").fill("150")
    form.locator("textarea[name=comment]").fill(NOTE)
    form.locator("input[name=evidence]").set_input_files(str(evidence))
    with page.expect_navigation():
        page.locator("#report-submit").click()
    expect(page.locator("#report .field-error")).to_be_visible()       # over 100 %
    expect(page.locator("textarea[name=comment]")).to_have_value(NOTE)
    expect(page.locator("input[name=percent]")).to_have_value("150")
    page.locator("input[name=percent]").fill("100")
    page.locator("input[name=evidence]").set_input_files(str(evidence))
    with page.expect_navigation():
        page.locator("#report-submit").click()
    expect(page.locator("#item-message")).to_contain_text("已报送")
    first = page.locator("#report-list tbody tr").first
    expect(first).to_contain_text(NOTE)
    expect(first).to_contain_text("待审核")
    expect(first.locator("a[download]")).to_contain_text("案例材料.pdf")
    expect(page.locator(".review-form")).to_have_count(0)              # not the county's
    page.screenshot(path=str(tmp_path / "reported.png"), full_page=True)

    page.context.clear_cookies()
    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto(href)
    pending = page.locator("#report-list tbody tr[data-review=pending]")
    expect(pending).to_have_count(1)
    with page.expect_navigation():
        pending.locator("button[data-action=accept]").click()
    expect(page.locator("#item-message")).to_contain_text("已通过")
    expect(page.locator("#status")).to_contain_text("已完成")
    expect(page.locator("#report-list tbody tr").first).to_contain_text("已通过")
    page.goto(href.split("/items/")[0] + "?responsible=450321")
    row = page.locator("#item-list tr", has_text="12-450321")
    expect(row).to_have_attribute("data-status", "done")
    page.screenshot(path=str(tmp_path / "accepted.png"), full_page=True)
