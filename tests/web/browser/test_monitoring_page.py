"""The live monitoring pages in a real browser: the demo school gets a main meter
and two sub-meters with today's and yesterday's hours (its own meter numbers, no
other test uses them); its page draws the three charts (ECharts from /static, no
request leaves the server), the breakdown and completeness; the city's page lists it
among the top institutions. Screenshots docs/screenshots/monitoring-*.png."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Traffic, login, shot
from tests.web.browser.harness import Live, needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]


def _seed(live: Live) -> str:
    from sqlalchemy import select

    from jieneng.core.caller import command_line_user
    from jieneng.services.database import open_database
    from jieneng.services.metering.monitoring import DAY, HOUR, Clock
    from jieneng.services.metering.registry import MeterSpec, add_meter
    from jieneng.storage import meter_readings as r
    from jieneng.storage import metering as m
    from jieneng.storage import tables as t

    engine = open_database(live.database_url)
    try:
        with engine.connect() as conn:
            code = str(conn.execute(
                select(t.institution.c.credit_code)
                .join(t.app_user, t.app_user.c.institution_id == t.institution.c.id)
                .where(t.app_user.c.username == "school")).scalar_one())
        cli = command_line_user()
        add_meter(engine, cli, code, MeterSpec("LIVE-MAIN", "电", "01000", name="教学楼总表"))
        add_meter(engine, cli, code, MeterSpec("LIVE-AC", "电", "01B00", parent="LIVE-MAIN",
                                               name="空调"))
        add_meter(engine, cli, code, MeterSpec("LIVE-LIGHT", "电", "01A00", parent="LIVE-MAIN",
                                               name="照明插座"))
        clock = Clock.at()
        with engine.begin() as conn:
            ids = dict(conn.execute(select(m.metering_meter.c.number, m.metering_meter.c.id)
                                    .where(m.metering_meter.c.number.like("LIVE-%"))).all())
            profile = [30 + 50 * max(0, 1 - abs(h - 14) / 7) for h in range(24)]
            rows = []
            for day, scale in ((clock.today, 1.0), (clock.today - DAY, 0.95),
                               (clock.today - 7 * DAY, 0.9)):
                for h in range(24):
                    start = day + h * HOUR
                    if start + HOUR > clock.now:
                        continue
                    for number, share in (("LIVE-MAIN", 1.0), ("LIVE-AC", 0.45),
                                          ("LIVE-LIGHT", 0.3)):
                        rows.append((ids[number], "hour", start, profile[h] * scale * share))
            for k in range(1, 30):
                for number, share in (("LIVE-MAIN", 1.0), ("LIVE-AC", 0.45),
                                      ("LIVE-LIGHT", 0.3)):
                    if number == "LIVE-LIGHT" and k < 3:  # silent since the day before
                        continue
                    rows.append((ids[number], "day", clock.today - k * DAY,
                                 1100 * share * (1 + (k % 7) / 10)))
            r.write_rollups(conn, pl.DataFrame({
                "meter_id": [a for a, _, _, _ in rows], "level": [b for _, b, _, _ in rows],
                "start": [c for _, _, c, _ in rows], "energy": [d for _, _, _, d in rows],
                "present": [4 if b == "hour" else 96 for _, b, _, _ in rows],
                "expected": [4 if b == "hour" else 96 for _, b, _, _ in rows],
                "flags": [0] * len(rows)}))
            last = clock.now // 900 * 900 - 900
            r.write_intervals(conn, pl.DataFrame({
                "meter_id": [ids["LIVE-MAIN"], ids["LIVE-AC"]], "start": [last, last],
                "energy": [10.0, 4.0], "flags": [0, 0]}))
        return code
    finally:
        engine.dispose()


def test_live_pages_draw_their_charts(page: Page, live: Live, demo_accounts: dict[str, Any],
                                      traffic: Traffic) -> None:
    page.set_default_timeout(30_000)
    code = _seed(live)
    login(page, "school", demo_accounts["school"].password)
    page.goto(f"/monitoring/{code}")
    for chart in ("#live-curve", "#live-daily", "#live-items"):
        expect(page.locator(f"{chart} canvas")).to_have_count(1)
    expect(page.locator("#live-breakdown tr[data-item='01B00']")).to_contain_text("空调")
    expect(page.locator("#live-breakdown tr[data-item='remainder']")).to_contain_text("未分项")
    expect(page.locator("#live-silent")).to_contain_text("LIVE-LIGHT")
    expect(page.locator("#live-meters tr[data-meter='LIVE-MAIN']")).to_be_visible()
    shot(page, "monitoring-institution", full_page=True)
    page.context.clear_cookies()  # sign in again as the city's office
    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto("/monitoring?region=450300")
    expect(page.locator("#live-curve canvas")).to_have_count(1)
    expect(page.locator(f"#live-top tr[data-institution='{code}']")).to_be_visible()
    shot(page, "monitoring-region", full_page=True)
    assert traffic.blocked == [] and traffic.external() == []
