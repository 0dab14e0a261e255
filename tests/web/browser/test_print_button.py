"""The 打印 button of the report pages (issue 11 §2 "Every report page has an A4 print
stylesheet"): visible on screen, it calls window.print() (static/print.js — no inline
handler under the Content-Security-Policy), and it is not on paper (print.css)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.web.browser.conftest import login
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

CITY, YEAR = "450300", 2025
PAGES = (
    f"/overview?region={CITY}&year={YEAR}",
    f"/overview/ranking?region={CITY}&year={YEAR}&category=01",
    f"/summaries?region={CITY}&year={YEAR}",
    f"/reporting/rate?region={CITY}",
    f"/review-report?region={CITY}&year={YEAR}",
    f"/targets/assessment?region={CITY}&year={YEAR}",
)


def test_the_print_button_prints_and_is_not_printed(page: Page,
                                                     demo_accounts: dict[str, Any]) -> None:
    login(page, "guilin", demo_accounts["guilin"].password)
    # window.print() would open the browser's dialog: count the calls instead
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1 }")
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        button = page.locator("button[data-action='print']")
        assert button.count() == 1, path
        assert button.inner_text() == "打印" and button.is_visible(), path
        button.click()
        assert page.evaluate("window.__printed") == 1, path
        page.emulate_media(media="print")
        assert not button.is_visible(), path
        page.emulate_media(media="screen")
