"""Browser tests: Playwright (Python) driving Debian's chromium against the live app.

Fixtures: ``live_server`` (session: the demo city served on 127.0.0.1, its base
URL; ``live`` also has its database URL), ``demo_accounts`` (one per role, by
username, with passwords), ``browser`` (session), ``page`` (a fresh context per
test, 1366×768, zh-CN, ``base_url`` set) and ``traffic`` (every request and
response of that page; requests leaving the test server are aborted and
recorded). Helpers: :func:`login` (through the form) and :func:`shot`
(screenshots for the README, docs/screenshots/<name>.png).

Browser tests are marked ``@pytest.mark.browser``; without /usr/bin/chromium
(``scripts/setup test`` installs it) they are skipped, saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.templates import DemoCity
from tests.web.browser.harness import (
    CHROMIUM,
    Live,
    chromium_args,
    is_local,
    live_app,
    screenshot_path,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Response, Route

VIEWPORT = {"width": 1366, "height": 768}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests: one xdist group (one server and browser), skipped without chromium."""
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: run scripts/setup test (installs Debian's chromium)"
    )
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
            if not CHROMIUM.exists():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, demo_city: DemoCity) -> Iterator[Live]:
    """The app serving the demo city: its base URL and its database URL."""
    with live_app(tmp_path_factory.mktemp("live"), demo_city) as running:
        yield running


@pytest.fixture(scope="session")
def live_server(live: Live) -> str:
    """Base URL (``http://127.0.0.1:PORT``) of the app serving the demo city."""
    return live.base


@pytest.fixture(scope="session")
def demo_accounts(live: Live) -> dict[str, Any]:
    """The demo city's accounts (one per role), by username; created if missing."""
    from jieneng.services.database import open_database
    from jieneng.services.demo import ensure_demo_accounts

    engine = open_database(live.database_url)
    try:
        return {a.username: a for a in ensure_demo_accounts(engine)}
    finally:
        engine.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium for the browser tests, stopped when they are done: Playwright's sync API
    leaves its event loop set as running on the thread while it is open, and a later
    test's ``asyncio.run`` (the MOHURD receiver's) would refuse to start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # the default launch uses a fresh temporary profile (user-data-dir)
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=chromium_args())
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(live_server: str, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server
    )
    context.set_default_timeout(10_000)
    violations: list[str] = []
    try:
        page = context.new_page()
        # chromium reports what the Content-Security-Policy blocked on the console
        page.on("console", lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        yield page
    finally:
        context.close()
    assert violations == [], f"blocked by the Content-Security-Policy: {violations}"


@dataclass
class Traffic:
    """What one page asked for and got back."""

    base: str
    requests: list[str] = field(default_factory=list)
    responses: dict[str, int] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)

    def status(self, path: str) -> int | None:
        """Status of the last response for ``path`` (relative to the server)."""
        return self.responses.get(self.base + path)

    def external(self) -> list[str]:
        return [u for u in self.requests if not is_local(u, self.base)]


@pytest.fixture
def traffic(page: Page, live_server: str) -> Traffic:
    log = Traffic(base=live_server)

    def on_request(request: Request) -> None:
        log.requests.append(request.url)

    def on_response(response: Response) -> None:
        log.responses[response.url.split("#", 1)[0]] = response.status

    def guard(route: Route) -> None:
        if is_local(route.request.url, live_server):
            route.continue_()
        else:
            log.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    page.on("request", on_request)
    page.on("response", on_response)
    page.context.route("**/*", guard)
    return log


def login(page: Page, username: str, password: str) -> None:
    """Log in through the login form; fails if the browser is still on /login after."""
    page.goto("/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("[type=submit], button:not([type])").first.click()
    assert not page.url.split("?", 1)[0].endswith("/login"), f"login failed for {username}"


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot of ``page`` as docs/screenshots/<name>.png (1366×768)."""
    path = screenshot_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
