"""The project lifecycle in a real browser (issue 13 "browser tests for the lifecycle"):
the demo school's 统计员 registers a project (its own unit already the owner; a code
taken keeps what was typed), sends it for approval with the move button its role is
offered; the city office (桂林市, approve_projects) sees the buttons of its moves,
moves it on to 采购 and the history lists every move with who made it. The list shows
the project, its map tile and the Excel link. A code no other test uses."""

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
CODE = "BR-LIFE-1"


def _register(page: Page) -> None:
    page.goto("/projects/new")
    form = page.locator("#register-form")
    assert form.locator("textarea[name=owners]").input_value().strip() != ""  # its own unit
    form.locator("input[name=code]").fill(CODE)
    form.locator("input[name=name]").fill("浏览器测试照明改造")
    form.locator("select[name=type]").select_option("retrofit")
    form.locator("input[name=area_m2]").fill("1200")
    form.locator("input[name=investment_yuan]").fill("350000")
    with page.expect_navigation():
        form.locator("#register-submit").click()


def test_register_and_move_through_the_lifecycle(page: Page, demo_accounts: dict[str, Any],
                                                 tmp_path: Path) -> None:
    page.set_default_timeout(30_000)
    login(page, "school", demo_accounts["school"].password)
    _register(page)
    expect(page.locator("#project-message")).to_contain_text("项目已登记")
    expect(page.locator("#state")).to_contain_text("征集/申报")
    expect(page.locator("#steps li[aria-current=step]")).to_contain_text("征集/申报")
    # the school may declare (manage_projects), not approve
    expect(page.locator("#move-form button[data-move=approval]")).to_be_visible()
    expect(page.locator("#move-form button[data-move=procurement]")).to_have_count(0)
    expect(page.locator("#move-form button[data-move=terminated]")).to_have_count(0)
    with page.expect_navigation():
        page.locator("#move-form button[data-move=approval]").click()
    expect(page.locator("#state")).to_contain_text("审批")
    expect(page.locator("#history tbody tr")).to_have_count(2)
    expect(page.locator("#no-moves")).to_be_visible()          # waiting for the office
    # a code taken: the form comes back with what was typed
    _register(page)
    expect(page.locator("#register-form")).to_be_visible()
    expect(page.locator("input[name=name]")).to_have_value("浏览器测试照明改造")
    expect(page.locator("input[name=investment_yuan]")).to_have_value("350000")
    expect(page.locator(".field-error").first).to_contain_text(CODE)

    page.context.clear_cookies()
    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto("/projects")
    row = page.locator(f"#project-list tr[data-project='{CODE}']")
    expect(row).to_contain_text("浏览器测试照明改造")
    expect(row).to_contain_text("审批")
    expect(page.locator("#project-map canvas").first).to_be_visible()
    expect(page.locator("a[data-export=xlsx]")).to_be_visible()
    row.locator("a").first.click()
    page.wait_for_url(f"**/projects/{CODE}")
    buttons = page.locator("#move-form button[data-move]")
    expect(buttons).to_have_count(3)                            # 采购, back to 申报, 终止
    page.locator("#move-form input[name=reason]").fill("")
    with page.expect_navigation():
        page.locator("#move-form button[data-move=declared]").click()
    expect(page.locator("#move-form .field-error")).to_be_visible()   # a send-back needs a reason
    expect(page.locator("#state")).to_contain_text("审批")
    with page.expect_navigation():
        page.locator("#move-form button[data-move=procurement]").click()
    expect(page.locator("#project-message")).to_contain_text("采购")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(3)
    expect(history.nth(1)).to_contain_text("school")
    expect(history.nth(2)).to_contain_text("guilin")
    expect(history.nth(2)).to_contain_text("采购")
    page.screenshot(path=str(tmp_path / "project.png"), full_page=True)
