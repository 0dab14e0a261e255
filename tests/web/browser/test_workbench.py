"""The workbench (工作台) in a real browser, as the demo school's 统计员 and as the
city's reviewer (guilin), at an office screen and at a phone's width.

After login the home page is the workbench; its counts equal the JSON twin and the
lists they link to, a click on a count opens that list, the menu folds into one
button on a phone, and the unit search of the top bar finds a unit. The screenshots
(docs/screenshots/workbench-*.png) are saved on the way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Traffic, login, shot
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def patient(page: Page) -> None:
    page.set_default_timeout(30_000)


def _api(page: Page, path: str, **params: Any) -> Any:
    response = page.request.get(path, params=params or None)
    assert response.status == 200, f"{path}: {response.status} {response.text()[:300]}"
    return response.json()


def _count(page: Page, label: str) -> int:
    card = page.locator(".wb-count", has_text=label).first
    return int(card.locator(".n").inner_text().strip())


def test_the_school_lands_on_its_workbench(
    page: Page, traffic: Traffic, demo_accounts: dict[str, Any]
) -> None:
    login(page, "school", demo_accounts["school"].password)
    assert urlsplit(page.url).path == "/", page.url
    expect(page.locator("h1")).to_contain_text("工作台")
    data = _api(page, "/api/v1/workbench")
    assert data["kind"] == "filer"
    assert _count(page, "待填报任务") == data["to_fill"]["total"]
    assert _count(page, "被退回的报表") == data["returned"]["total"]
    assert _count(page, "待回答的问题") == data["questions"]["total"]
    assert data["to_fill"]["total"] >= 1  # the demo leaves the school's last month open
    expect(page.locator("#to-fill li").first).to_be_visible()
    shot(page, "workbench-school")
    # the phone: the menu is one button; opened, it lists the groups' pages
    page.set_viewport_size(PHONE)
    menu = page.locator("nav.mainnav")
    expect(menu).to_be_hidden()
    page.locator("label.nav-toggle-label").click()
    expect(menu).to_be_visible()
    expect(menu.locator(".navmenu a[href='/entry']")).to_be_visible()
    page.locator("label.nav-toggle-label").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "workbench-school-phone", full_page=True)
    # a count opens its list
    page.set_viewport_size({"width": 1366, "height": 768})
    with page.expect_navigation():
        page.locator(".wb-count", has_text="待填报任务").first.click()
    assert urlsplit(page.url).path == "/reporting/tasks", page.url
    expect(page.locator("nav.crumbs")).to_contain_text("工作台")
    assert traffic.blocked == [] and traffic.external() == []


def test_the_reviewer_sees_what_waits_and_finds_a_unit(
    page: Page, traffic: Traffic, demo_accounts: dict[str, Any]
) -> None:
    login(page, "guilin", demo_accounts["guilin"].password)
    assert urlsplit(page.url).path == "/", page.url
    data = _api(page, "/api/v1/workbench")
    assert data["kind"] == "reviewer"
    queue = _api(page, "/api/v1/reporting/review")
    assert _count(page, "待审核报表") == data["waiting"]["total"] == queue["total"]
    findings = _api(page, "/api/v1/quality/findings", state="open")
    assert _count(page, "未处理审核发现") == data["findings"]["open"] == findings["total"]
    assert _count(page, "逾期未报单位") == data["overdue"]["total"]
    shot(page, "workbench-guilin")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "workbench-guilin-phone", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    with page.expect_navigation():
        page.locator(".wb-count", has_text="待审核报表").first.click()
    assert urlsplit(page.url).path == "/review", page.url
    # the unit search of the top bar
    box = page.locator("form.topsearch input[name=q]")
    box.fill("中学")
    with page.expect_navigation():
        box.press("Enter")
    assert urlsplit(page.url).path == "/search", page.url
    found = _api(page, "/api/v1/search", q="中学")
    assert found["institutions"]["total"] > 0
    first = found["institutions"]["items"][0]
    expect(page.locator("#units")).to_contain_text(first["name"])
    assert traffic.blocked == [] and traffic.external() == []
