"""来自计量 on the entry form in a real browser (issue 12 §5).

The demo school gets a top-level electricity meter with its February 2028 roll-up (a
month no other browser test reads); the fill writes it into the statistics. Its
统计员 opens the month form: the electricity cell says "来自计量" with the meter and
the completeness and is read-only; "覆盖 override" takes another value and a reason;
after saving, the cell shows the metered and the entered value with the reason, and
the year grid marks the cell. Screenshots: ``docs/screenshots/entry-metered.png`` and
``entry-metered-override.png``, ``entry-metered-grid.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, text

from tests.web.browser.conftest import login, shot
from tests.web.browser.harness import Live, needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

YEAR, MONTH = 2028, 2
FULL = 29 * 96


@pytest.fixture
def metered_school(live: Live) -> Iterator[str]:
    """The demo school with a meter and its February 2028 roll-up, filled; the meter,
    its roll-up, the metered figures and overrides are removed afterwards."""
    import polars as pl

    from jieneng.core.caller import command_line_user
    from jieneng.services.database import open_database
    from jieneng.services.metering import statistics as st
    from jieneng.storage import meter_readings as r
    from jieneng.storage import metering as m

    engine = open_database(live.database_url)
    try:
        with engine.begin() as conn:
            code, inst = conn.execute(text(
                "SELECT i.credit_code, i.id FROM institution i "
                "JOIN app_user u ON u.institution_id = i.id AND u.username = 'school'")).one()
            meter = m.insert_meter(conn, {"institution_id": inst, "number": "BT-TOTAL",
                                          "carrier": "electricity", "register": "cumulative",
                                          "unit": "kWh"})
            start, _ = st.month_bounds(YEAR, MONTH)
            # every top-level electricity meter of the school reports the month (the
            # demo's own ones with nothing), so the completeness is BT-TOTAL's
            mm = m.metering_meter
            ids = [meter, *(int(i) for i in conn.execute(
                select(mm.c.id).where(mm.c.institution_id == inst, mm.c.id != meter,
                                      mm.c.carrier == "electricity",
                                      mm.c.parent_id.is_(None), mm.c.formula.is_(None)))
                .scalars())]
            r.write_rollups(conn, pl.DataFrame({
                "meter_id": ids, "level": ["month"] * len(ids), "start": [start] * len(ids),
                "energy": [18250.0] + [0.0] * (len(ids) - 1),
                "present": [FULL - 30] * len(ids), "expected": [FULL] * len(ids),
                "flags": [0] * len(ids)}))
        st.fill_from_metering(engine, command_line_user(), YEAR, MONTH)
        yield str(code)
    finally:
        with engine.begin() as conn:
            for sql in ("DELETE FROM metered_override WHERE year = :y",
                        "DELETE FROM metered_figure WHERE year = :y",
                        "DELETE FROM metering_rollup WHERE level = 'month' AND start = :s",
                        "DELETE FROM metering_meter WHERE number = 'BT-TOTAL'"):
                conn.execute(text(sql), {"y": YEAR, "s": st.month_bounds(YEAR, MONTH)[0]})
        engine.dispose()


def test_metered_cell_and_an_override_with_a_reason(
    page: Page, live: Live, demo_accounts: dict[str, Any], metered_school: str,
) -> None:
    code = metered_school
    login(page, "school", demo_accounts["school"].password)
    page.goto(f"/entry/{code}/{YEAR}/{MONTH}")
    badge = page.locator("[data-metered=electricity]")
    assert badge.inner_text() == "来自计量"
    row = page.locator("tr:has([data-metered=electricity])")
    assert "计量表 BT-TOTAL" in row.inner_text() and "完整率 98.9 %" in row.inner_text()
    value = page.locator("#v_electricity")
    assert value.input_value() == "18250" and value.get_attribute("readonly") is not None
    shot(page, "entry-metered")
    row.locator("summary").click()
    row.locator("input[name=o_electricity]").fill("17900")
    row.locator("input[name=r_electricity]").fill("2月表计停电 3 小时，按供电局账单更正")
    with page.expect_navigation():
        page.locator("form.pg-entry button.primary").click()
    if page.locator("form.pg-entry input[name=confirm]").count():
        page.locator("form.pg-entry input[name=confirm]").check()
        with page.expect_navigation():
            page.locator("form.pg-entry button.primary").click()
    assert "saved=" in page.url, page.url
    done = page.locator("[data-override=electricity]").inner_text()
    assert "18,250" in done and "17,900" in done
    assert "2月表计停电 3 小时，按供电局账单更正" in done
    assert page.locator("#v_electricity").get_attribute("readonly") is None
    shot(page, "entry-metered-override")
    page.goto(f"/entry/{code}/{YEAR}")
    assert page.locator(f"[data-metered='{MONTH}-electricity']").count() == 1
    shot(page, "entry-metered-grid")
