"""Publishing with confirmation, and the big screen on one 1920×1080 display (issue 11 §1).

An administrator asks to publish the demo's 2024 (a year without reporting tasks, so
below the completeness thresholds): the confirmation page shows what becomes public
and the 上报率 / 审核率 against the thresholds, the browser will not send the form
without a reason, with one it publishes; the year is then withdrawn through its own
confirmation, leaving the demo as it was. The public screen fits 1920×1080 without
scrolling either way, shows no way into the platform to an anonymous visitor and
links back for a signed-in one. Screenshots: ``publication-confirm``,
``screen-1920x1080``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import login, shot
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, needs_web_app]

CITY = "450300"
YEAR = 2024  # a demo year with figures but no reporting tasks: incomplete
FIT = ("() => ({height: document.scrollingElement.scrollHeight,"
       " width: document.scrollingElement.scrollWidth,"
       " client: document.scrollingElement.clientWidth})")


def _fits(page: Page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every(el => el.jienengChart)")
    size = page.evaluate(FIT)
    assert size["height"] <= 1080, size
    assert size["width"] <= size["client"], size


def test_publish_with_confirmation_then_withdraw(page: Page,
                                                 demo_accounts: dict[str, Any]) -> None:
    page.set_default_timeout(30_000)
    login(page, "admin", demo_accounts["admin"].password)
    page.goto("/admin/publication")
    form = page.locator("form[action='/admin/publication/confirm']")
    form.locator("input[name=region_code]").fill(CITY)
    form.locator("input[name=year]").fill(str(YEAR))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/admin/publication/confirm" in page.url
    confirm = page.locator("#confirm")
    expect(confirm).to_have_attribute("data-complete", "false")
    expect(page.locator("#public-figures")).to_contain_text("tce")
    expect(page.locator("#completeness tr[data-rate=reporting_rate]")).to_contain_text("≥ 95.0%")
    expect(page.locator("#completeness tr[data-rate=review_rate]")).to_contain_text("≥ 90.0%")
    units = page.locator("#public-figures [data-units]").get_attribute("data-units")
    assert units is not None and int(units) > 500
    shot(page, "publication-confirm", full_page=True)
    # nothing is published yet, and the form needs a reason before the browser sends it
    assert page.request.get("/api/v1/admin/publication").json()["items"][0]["year"] != YEAR
    button = page.locator("#confirm-form button[type=submit]")
    button.click()
    assert "/admin/publication/confirm" in page.url
    assert page.evaluate("() => document.querySelector('textarea[name=override_reason]')"
                         ".validity.valueMissing")
    page.locator("textarea[name=override_reason]").fill("浏览器测试：上年度数据对比")
    with page.expect_navigation():
        button.click()
    assert page.url.endswith("/admin/publication")
    row = page.locator(f"#publications tr[data-region='{CITY}'][data-year='{YEAR}']")
    expect(row).to_contain_text("浏览器测试")
    # withdrawing asks too
    with page.expect_navigation():
        row.locator("form[action='/admin/publication/withdraw'] button").click()
    expect(page.locator("#confirm")).to_have_attribute("data-action", "withdraw")
    expect(row).to_have_count(0)
    with page.expect_navigation():
        page.locator("#confirm-form button[type=submit]").click()
    assert page.url.endswith("/admin/publication")
    expect(page.locator(f"#publications tr[data-year='{YEAR}']")).to_have_count(0)


def test_screen_fits_1920x1080_and_links_back_only_when_signed_in(
    browser: Browser, live_server: str, demo_accounts: dict[str, Any]
) -> None:
    for signed_in in (False, True):
        context = browser.new_context(viewport={"width": 1920, "height": 1080},
                                      locale="zh-CN", base_url=live_server)
        context.set_default_timeout(30_000)
        try:
            page = context.new_page()
            if signed_in:
                login(page, "guilin", demo_accounts["guilin"].password)
            page.goto(f"/screen/{CITY}", wait_until="networkidle")
            _fits(page)
            back = page.locator("#screen-back")
            if signed_in:
                expect(back.locator("a[href='/']")).to_be_visible()
                shot(page, "screen-1920x1080")
            else:
                expect(back).to_have_count(0)
                expect(page.locator("a[href='/']")).to_have_count(0)
        finally:
            context.close()
