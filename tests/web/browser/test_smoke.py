"""Smoke test in a real browser: the login page, its assets, and no internet."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.web.browser.conftest import Traffic, shot
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]


def test_login_page_renders_with_local_assets_only(page: Page, traffic: Traffic) -> None:
    response = page.goto("/login", wait_until="networkidle")
    assert response is not None and response.status == 200, response and response.status

    form = page.locator("form:has(input[name=password])")
    for name in ("username", "password", "csrf_token"):
        assert form.locator(f"input[name={name}]").count() == 1, f"no {name} field in the form"
    assert form.locator("input[name=csrf_token]").get_attribute("value"), "empty CSRF token"

    shot(page, "login")

    assert traffic.status("/static/vendor/htmx.min.js") == 200, traffic.responses
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
    assert traffic.blocked == [], f"requests leaving 127.0.0.1: {traffic.blocked}"
    assert traffic.external() == [], f"requests leaving 127.0.0.1: {traffic.external()}"
