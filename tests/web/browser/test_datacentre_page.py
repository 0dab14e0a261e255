"""The NY202 page in a real browser: the demo school's 统计员 adds a data-centre room,
enters its month (a refused figure first, kept as typed), and sees the room's PUE with
its source and target; the summary page lists it. A room code no other test uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import login
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]


def _shot(page: Page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("JIENENG_SHOTS", str(tmp_path)))
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, animations="disabled")


def test_enter_a_rooms_month(page: Page, demo_accounts: dict[str, Any],
                             tmp_path: Path) -> None:
    page.set_default_timeout(30_000)
    login(page, "school", demo_accounts["school"].password)
    page.goto("/datacentre?year=2024&month=11")
    add = page.locator("#add-room")
    add.locator("input[name=room_code]").fill("BR-DC1")
    add.locator("input[name=room_name]").fill("浏览器测试机房")
    add.locator("select[name=status]").select_option("new")
    with page.expect_navigation():
        add.locator("button[type=submit]").click()
    expect(page.locator("#rooms")).to_contain_text("BR-DC1")
    figures = page.locator("#room-figures")
    figures.locator("select[name=room_code]").select_option("BR-DC1")
    figures.locator("input[name=area]").fill("60")
    figures.locator("input[name=elec_total]").fill("90000")
    figures.locator("input[name=elec_it]").fill("100000")
    with page.expect_navigation():
        figures.locator("button[type=submit]").click()
    expect(page.locator("[role=alert]").first).to_contain_text("IT设备用电量不应大于机房总用电量")
    expect(page.locator("#room-figures input[name=elec_it]")).to_have_value("100000")
    figures = page.locator("#room-figures")
    figures.locator("select[name=room_code]").select_option("BR-DC1")
    figures.locator("input[name=elec_total]").fill("150000")
    with page.expect_navigation():
        figures.locator("button[type=submit]").click()
    row = page.locator("#rooms tr", has_text="BR-DC1")
    expect(row).to_contain_text("1.50")
    expect(row).to_contain_text("报表")
    expect(row).to_contain_text("高于目标")  # a new room's target is 1.3
    _shot(page, tmp_path, "datacentre-entry")
    page.goto("/datacentre/summary?year=2024&month=11")
    expect(page.locator("#above")).to_contain_text("BR-DC1")
    _shot(page, tmp_path, "datacentre-summary")
