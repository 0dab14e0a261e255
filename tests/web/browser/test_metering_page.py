"""The metering page in a real browser: the demo school's 统计员 binds an electricity
account, registers a meter under it (分项 and account from the selects), enters a
manual reading (抄表) and sees it as the meter's last reading; a reading below it
asks "表计更换/回零?" and keeps what was typed. Its own accounts and meters only
(numbers no other test uses)."""

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


def test_bind_add_meter_and_read_it(page: Page, demo_accounts: dict[str, Any],
                                    tmp_path: Path) -> None:
    page.set_default_timeout(30_000)
    login(page, "school", demo_accounts["school"].password)
    page.goto("/metering")
    bind = page.locator("#bind-form")
    bind.locator("select[name=carrier]").select_option("electricity")
    bind.locator("input[name=account]").fill("BROWSER-0771")
    bind.locator("input[name=valid_from]").fill("2025-01-01")
    with page.expect_navigation():
        bind.locator("button[type=submit]").click()
    expect(page.locator("#accounts")).to_contain_text("BROWSER-0771")
    add = page.locator("#add-form")
    add.locator("input[name=number]").fill("BR-M1")
    add.locator("input[name=name]").fill("浏览器总表")
    add.locator("select[name=item_code]").select_option("01A00")
    add.locator("input[name=ct]").fill("40")
    add.locator("select[name=account]").select_option("BROWSER-0771")
    add.locator("input[name=installed_at]").fill("2025-11-01T00:00")
    add.locator("input[name=initial]").fill("1000")
    with page.expect_navigation():
        add.locator("button[type=submit]").click()
    row = page.locator("#meters tr", has_text="BR-M1")
    expect(row).to_contain_text("01A00")
    expect(row).to_contain_text("40")
    reading = page.locator("#reading-forms tr[data-meter='BR-M1']")
    expect(reading.locator(".last-reading")).to_contain_text("尚无读数")
    reading.locator("input[name=at]").fill("2025-12-01T09:30")
    reading.locator("input[name=value]").fill("1234.5")
    with page.expect_navigation():
        reading.locator("button[type=submit]").click()
    reading = page.locator("#reading-forms tr[data-meter='BR-M1']")
    expect(reading.locator(".last-reading")).to_contain_text("1234.5")
    expect(reading.locator(".last-reading")).to_contain_text("2025-12-01 09:30")
    reading.locator("input[name=at]").fill("2025-12-02T09:30")
    reading.locator("input[name=value]").fill("12")
    with page.expect_navigation():
        reading.locator("button[type=submit]").click()
    expect(page.locator("#readings .field-error")).to_contain_text("回零")
    reading = page.locator("#reading-forms tr[data-meter='BR-M1']")
    expect(reading.locator("input[name=value]")).to_have_value("12")
    expect(reading.locator("input[name=confirm]")).to_be_visible()
    page.locator("#readings").screenshot(path=str(tmp_path / "readings.png"))
    page.screenshot(path=str(tmp_path / "metering.png"), full_page=True)
