"""The gateway registry in a real browser: the city office (guilin) registers an HTTP
gateway, sees its token once with the copy hint, the token works for a push, and the
token is gone when the gateway's page is opened again. Its own gateway code only."""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import login, shot
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]


def test_register_a_gateway_and_see_its_token_once(page: Page, live_server: str,
                                                   demo_accounts: dict[str, Any]) -> None:
    page.set_default_timeout(30_000)
    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto("/gateways")
    expect(page.locator("h1")).to_contain_text("采集网关")
    form = page.locator("#register form")
    form.locator("input[name=code]").fill("browser-http-1")
    form.locator("input[name=name]").fill("浏览器网关")
    form.locator("select[name=protocol]").select_option("http")
    form.locator("input[name=region_code]").fill("450300")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    secret = page.locator("#secret-value")
    expect(secret).to_be_visible()
    expect(page.locator("#secret")).to_contain_text("离开本页后无法再次查看")
    token = secret.inner_text().strip()
    assert len(token) >= 43
    shot(page, "gateway-token")
    # the token pushes a batch (nothing assigned yet: refused, and logged on the page)
    request = urllib.request.Request(
        f"{live_server}/api/v1/readings", method="POST",
        data=json.dumps({"gateway": "browser-http-1", "batch_id": "browser-1", "readings": [
            {"meter": "M-1", "ts": 1764518400, "value": 1.0, "kind": "cumulative"}]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as err:
        assert err.code == 422
        assert json.loads(err.read())["error"]["code"] == "readings.meter_unknown"
    else:  # pragma: no cover
        raise AssertionError("a batch for a meter nobody assigned was accepted")
    page.goto("/gateways")
    with page.expect_navigation():
        page.locator("#gateways a", has_text="browser-http-1").click()
    expect(page.locator("#secret-value")).to_have_count(0)
    assert token not in page.content()
    expect(page.locator("#refusals")).to_contain_text("browser-1")
    expect(page.locator("#refusals")).to_contain_text("未登记的计量表")
