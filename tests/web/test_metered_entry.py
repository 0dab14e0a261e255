"""来自计量 on the entry pages without a browser, on both databases: the month form marks
a metered cell read-only with its source; an override needs a reason (refused without
one, nothing stored), is shown with both values, and "恢复计量值" returns to the metered
figure; the JSON twins carry the same."""

from __future__ import annotations

import polars as pl
from sqlalchemy import select

from jieneng.core.caller import command_line_user
from jieneng.services.metering import statistics as st
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from tests.web.conftest import SCHOOL, World, csrf

YEAR, MONTH = 2026, 3
FORM = f"/entry/{SCHOOL}/{YEAR}/{MONTH}"


def _metered(world: World) -> None:
    admin = command_line_user()
    add_meter(world.engine, admin, SCHOOL, MeterSpec("M-TOTAL", "电"))
    start, _ = st.month_bounds(YEAR, MONTH)
    with world.engine.begin() as conn:
        meter = conn.execute(select(m.metering_meter.c.id).where(
            m.metering_meter.c.number == "M-TOTAL")).scalar_one()
        r.write_rollups(conn, pl.DataFrame({
            "meter_id": [meter], "level": ["month"], "start": [start], "energy": [5000.0],
            "present": [2976], "expected": [2976], "flags": [0]}))
    st.fill_from_metering(world.engine, admin, YEAR, MONTH)


def _stored(world: World) -> tuple[float, str]:
    cr = t.consumption_record
    with world.engine.connect() as conn:
        row = conn.execute(select(cr.c.quantity, cr.c.source).where(
            cr.c.institution_id == world.ids[SCHOOL], cr.c.year == YEAR, cr.c.month == MONTH,
            cr.c.carrier == "electricity", cr.c.is_current)).one()
    return float(row[0]), str(row[1])


def test_metered_cell_override_and_back(world: World) -> None:
    _metered(world)
    client = world.login("institution")
    page = client.get(FORM)
    assert page.status_code == 200
    assert 'data-metered="electricity"' in page.text and "来自计量" in page.text
    assert "计量表 M-TOTAL，完整率 100.0 %" in page.text
    assert 'name="v_electricity"' in page.text and 'readonly aria-readonly="true"' in page.text
    token = csrf(client)
    form = {"csrf_token": token, "v_electricity": "5000", "u_electricity": "kWh",
            "o_electricity": "4800", "confirm": "1"}
    refused = client.post(FORM, data=form)
    assert refused.status_code in (400, 409, 422) and "填写原因" in refused.text
    assert _stored(world) == (5000.0, "meter")
    done = client.post(FORM, data={**form, "r_electricity": "换表期间按账单"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    assert _stored(world) == (4800.0, "manual")
    page = client.get(FORM)
    assert 'data-override="electricity"' in page.text and "换表期间按账单" in page.text
    twin = client.get(f"/api/v1{FORM}").json()
    (elec,) = [f for f in twin["fields"] if f["carrier"] == "electricity"]
    assert elec["metered"]["quantity"] == 5000 and elec["metered"]["override"]["quantity"] == 4800
    grid = client.get(f"/api/v1/entry/{SCHOOL}/{YEAR}").json()
    assert grid["months"][MONTH - 1]["metered"]["electricity"]["override"]["reason"] == (
        "换表期间按账单")
    back = client.post(f"{FORM}/metered/electricity/clear", data={"csrf_token": token},
                       follow_redirects=False)
    assert back.status_code == 303
    assert _stored(world) == (5000.0, "meter")
