"""A 节约型机关 round in a real browser (issue 14 "browser tests for a round"): in a round
of the demo city opened for the test (2026, the city's organs), an organ of 阳朔县 (an
account created for the test) opens its self-assessment, uploads an evidence file,
enters a score over the maximum (refused, what was typed kept), then a valid one, and
submits; 阳朔县's office (``yangshuo``) approves at its level, the city (``guilin``)
approves at the last (推荐), and draws the spot check at the scheme's rate with a seed;
each page shows the state. Screenshots of the pages as each role go to ``tmp_path``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import login
from tests.web.browser.harness import Live, needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]
UNIT, UNIT_PASSWORD = "organ_round_br", "Browser-Round-Organ-2026"
TITLE = "浏览器测试：2026年度节约型机关创建评价"
SEED = "20261"


@pytest.fixture(scope="module")
def organ_round(live: Live) -> dict[str, Any]:
    """The round (city of 桂林, 2026), one organ of 阳朔县 in it and its account."""
    from jieneng.core.caller import Actor, command_line_user
    from jieneng.core.exceptions import Conflict
    from jieneng.services.accounts.accounts import create_user
    from jieneng.services.campaigns import rounds
    from jieneng.services.database import open_database

    engine = open_database(live.database_url)
    admin = command_line_user()
    try:
        made = rounds.open_round(engine, admin, "conservation_organ", "450300", 2026,
                                 title=TITLE, eval_year=2027, eval_month=1)
        members = rounds.round_members(engine, admin, int(made["id"]),
                                       region_code="450321")
        code = str(members[0]["credit_code"])
        with contextlib.suppress(Conflict):
            create_user(engine, Actor.cli(), username=UNIT, password=UNIT_PASSWORD,
                        role="institution", institution=code)
        return {"id": int(made["id"]), "code": code}
    finally:
        engine.dispose()


def _as(page: Page, username: str, password: str) -> None:
    page.context.clear_cookies()
    login(page, username, password)


def test_self_assess_review_and_draw(page: Page, organ_round: dict[str, Any],
                                     demo_accounts: dict[str, Any], tmp_path: Path) -> None:
    page.set_default_timeout(30_000)
    member = f"/campaigns/rounds/{organ_round['id']}/members/{organ_round['code']}"
    _as(page, UNIT, UNIT_PASSWORD)
    page.goto(member)
    expect(page.locator("#round-member")).to_have_attribute("data-state", "invited")
    # an evidence file for the first hand item
    evidence = tmp_path / "节约型机关自评材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% browser evidence\n%%EOF\n")
    form = page.locator("#evidence-form")
    form.locator("input[type=file]").set_input_files(str(evidence))
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#evidence-list")).to_contain_text("节约型机关自评材料.pdf")
    # a score over the item's maximum is refused, what was typed stays
    score = page.locator("#item-table input[name^='score.']").first
    score.fill("180")
    with page.expect_navigation():
        page.locator("#submit-assessment").click()
    expect(page.locator("#item-table input[name^='score.']").first).to_have_value("180")
    expect(page.locator("#round-member .pg-error").first).to_be_visible()
    page.locator("#item-table input[name^='score.']").first.fill("88")
    with page.expect_navigation():
        page.locator("#submit-assessment").click()
    expect(page.locator("#round-member")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#review-chain li.current")).to_contain_text("阳朔")
    page.screenshot(path=str(tmp_path / "round-unit.png"), full_page=True)

    _as(page, "yangshuo", demo_accounts["yangshuo"].password)
    page.goto(member)
    expect(page.locator("#review-form")).to_be_visible()
    with page.expect_navigation():
        page.locator("#approve").click()
    expect(page.locator("#round-member")).to_have_attribute("data-state", "under_review")
    expect(page.locator("#review-form")).to_have_count(0)  # now the city's turn
    page.screenshot(path=str(tmp_path / "round-county.png"), full_page=True)

    _as(page, "guilin", demo_accounts["guilin"].password)
    page.goto(member)
    with page.expect_navigation():
        page.locator("#approve").click()
    expect(page.locator("#round-member")).to_have_attribute("data-state", "recommended")
    page.goto(f"/campaigns/rounds/{organ_round['id']}/checks")
    draw = page.locator("#draw-form")
    draw.locator("input[name=rate]").fill("0.35")  # the notices' 35 % (the scheme has none)
    draw.locator("input[name=seed]").fill(SEED)
    with page.expect_navigation():
        page.locator("#draw-submit").click()
    expect(page.locator("#draw-record")).to_contain_text(SEED)
    expect(page.locator("#sample tbody tr").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "round-city-checks.png"), full_page=True)
    page.goto(f"/campaigns/rounds/{organ_round['id']}")
    expect(page.locator("body")).to_contain_text(TITLE)
