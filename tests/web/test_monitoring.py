"""The live monitoring pages and their JSON twins: an institution's page (curve,
breakdown with a negative 未分项 flagged, completeness, silent meters), the region
page (top institutions, completeness table), English, scope (another unit: 404)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from jieneng.core.caller import command_line_user
from jieneng.services.metering.monitoring import HOUR, Clock
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from tests.web.conftest import NAMES, ORGAN, SCHOOL, World


def seed_live(engine: Engine) -> dict[str, int]:
    """A main meter and two sub-meters at the school (the sub-meters more than the main:
    a negative remainder), a silent meter at the organ; today's hours so far."""
    admin = command_line_user()
    add_meter(engine, admin, SCHOOL, MeterSpec("MAIN", "电", "01000", name="总表"))
    add_meter(engine, admin, SCHOOL, MeterSpec("AC", "电", "01B00", parent="MAIN"))
    add_meter(engine, admin, SCHOOL, MeterSpec("LIGHT", "电", "01A00", parent="MAIN"))
    add_meter(engine, admin, ORGAN, MeterSpec("ORG-1", "电"))
    clock = Clock.at()
    hours = max(1, (clock.now - clock.today) // HOUR)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(m.metering_meter.c.number, m.metering_meter.c.id)).all())
        rows = [(ids[n], s, e) for n, e in (("MAIN", 10.0), ("AC", 6.0), ("LIGHT", 6.0))
                for s in [clock.today + h * HOUR for h in range(hours)]]
        rows += [(ids[n], clock.today - HOUR * 24 + h * HOUR, 9.0) for n in ("MAIN",)
                 for h in range(24)]
        r.write_rollups(conn, pl.DataFrame({
            "meter_id": [a for a, _, _ in rows], "level": ["hour"] * len(rows),
            "start": [b for _, b, _ in rows], "energy": [c for _, _, c in rows],
            "present": [4] * len(rows), "expected": [4] * len(rows), "flags": [0] * len(rows)}))
        last = clock.now // 900 * 900 - 900
        r.write_intervals(conn, pl.DataFrame({
            "meter_id": [ids["MAIN"], ids["AC"], ids["LIGHT"]], "start": [last] * 3,
            "energy": [2.5, 1.5, 1.5], "flags": [0, 0, 0]}))
    return ids


def test_institution_page_and_twin(world: World) -> None:
    seed_live(world.engine)
    client = world.login("institution")
    page = client.get(f"/monitoring/{SCHOOL}")
    assert page.status_code == 200, page.text
    body = page.text
    assert NAMES[SCHOOL] in body and "今日负荷曲线" in body and 'id="live-curve-data"' in body
    assert "/static/vendor/echarts.min.js" in body and "/static/monitoring.js" in body
    assert 'id="remainder-negative"' in body and "分项表之和比总表多" in body
    assert "01B00" in body and "空调用电" in body and "未分项" in body
    assert "没有停报的计量表" in body
    twin = client.get(f"/api/v1/monitoring/{SCHOOL}").json()
    assert twin["breakdown"]["remainder_negative"] is True
    assert {x["number"] for x in twin["meters"]} == {"MAIN", "AC", "LIGHT"}
    assert twin["silent"] == [] and twin["completeness"]["today"] is not None
    assert client.get(f"/monitoring/{ORGAN}").status_code == 404
    assert client.get(f"/api/v1/monitoring/{ORGAN}").status_code == 404
    en = client.get(f"/monitoring/{SCHOOL}?lang=en")
    assert en.status_code == 200
    assert "Today&#39;s load curve" in en.text and "Not sub-metered" in en.text
    assert "air conditioning" in en.text and "今日负荷曲线" not in en.text


def test_region_page_lists_institutions_and_silent_meters(world: World) -> None:
    seed_live(world.engine)
    admin = world.login("admin")
    page = admin.get("/monitoring?region=450300")
    assert page.status_code == 200, page.text
    body = page.text
    assert 'id="live-top"' in body and f'data-institution="{SCHOOL}"' in body
    assert 'id="live-silent"' in body and 'data-meter="ORG-1"' in body and "从未收到" in body
    twin = admin.get("/api/v1/monitoring?region=450300").json()
    assert twin["institutions"]["top"][0]["credit_code"] == SCHOOL
    assert [s["number"] for s in twin["silent"]] == ["ORG-1"]
    assert admin.get("/api/v1/monitoring?region=450300&silent_after=0").status_code == 422
    county = world.login("region")  # 阳朔县: the school only
    twin = county.get("/api/v1/monitoring").json()
    assert [i["credit_code"] for i in twin["institutions"]["all"]] == [SCHOOL]
    assert county.get("/api/v1/monitoring?region=450302").status_code == 404
