"""services.metering.monitoring on both databases: the live pages' figures against
hand-computed values — load curve, last 30 days, 分项 breakdown with the 未分项
remainder (negative flagged), completeness, silent meters — and the region page."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Role
from jieneng.services.metering.monitoring import LiveOptions, institution_live, region_live
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
T0 = 1_764_518_400  # 2025-12-01 00:00 China time
DAY, HOUR = 86_400, 3_600
TODAY = T0 + 2 * DAY  # 2025-12-03
NOW = TODAY + 10 * HOUR + 1_800  # 10:30


def rollups(meter: int, level: str, rows: list[tuple[int, float, int, int]]) -> pl.DataFrame:
    return pl.DataFrame({"meter_id": [meter] * len(rows), "level": [level] * len(rows),
                         "start": [s for s, _, _, _ in rows], "energy": [e for _, e, _, _ in rows],
                         "present": [p for _, _, p, _ in rows],
                         "expected": [x for _, _, _, x in rows], "flags": [0] * len(rows)})


def seed(engine: Engine, files: Files, *, light_today: float = 8.0) -> dict[str, int]:
    load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("TOTAL", "电", "01000"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("AC", "电", "01B00", parent="TOTAL"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("LIGHT", "电", "01A00", parent="TOTAL"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("W", "水"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S1", "电"))
    with engine.begin() as conn:
        ids = dict(conn.execute(select(m.metering_meter.c.number, m.metering_meter.c.id)).all())
        total, ac, light, s1 = ids["TOTAL"], ids["AC"], ids["LIGHT"], ids["S1"]
        frames = [
            rollups(total, "hour", [(TODAY + h * HOUR, 5.0 if h == 5 else 10.0,
                                     2 if h == 5 else 4, 4) for h in range(10)]),
            rollups(total, "hour", [(TODAY - DAY + h * HOUR, 8.0, 4, 4) for h in range(24)]),
            rollups(total, "hour", [(TODAY - 7 * DAY + h * HOUR, 6.0, 4, 4) for h in range(24)]),
            rollups(total, "day", [(T0, 200.0, 96, 96), (T0 + DAY, 192.0, 96, 96)]),
            rollups(ac, "hour", [(TODAY + h * HOUR, 3.0, 4, 4) for h in range(10)]),
            rollups(ac, "day", [(T0, 50.0, 96, 96), (T0 + DAY, 40.0, 96, 96)]),
            rollups(light, "hour", [(TODAY + h * HOUR, light_today, 4, 4) for h in range(10)]),
            rollups(light, "day", [(T0, 100.0, 96, 96), (T0 + DAY, 100.0, 96, 96)]),
            rollups(s1, "hour", [(TODAY + h * HOUR, 1.0, 4, 4) for h in range(10)]),
        ]
        r.write_rollups(conn, pl.concat(frames))
        r.write_intervals(conn, pl.DataFrame({
            "meter_id": [total, total, ac, s1], "start": [TODAY + 10 * HOUR, TODAY + 10 * HOUR
                                                          + 900, TODAY + 8 * HOUR,
                                                          TODAY + 10 * HOUR],
            "energy": [2.5, None, 0.75, 0.25], "flags": [0, 0, 0, 0]}))
    return ids


@pytest.fixture
def ids(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    return seed(engine, files)


def test_institution_page_figures(engine: Engine, ids: dict[str, int]) -> None:
    page = institution_live(engine, ADMIN, ORGAN, now=NOW)
    assert page["as_of"] == "2025-12-03 10:30"
    curve = page["curve"]
    assert curve["today"][:11] == [10.0] * 5 + [5.0] + [10.0] * 4 + [None]
    assert curve["today_complete"][5] is False and curve["today_complete"][4] is True
    assert curve["yesterday"] == [8.0] * 24 and curve["last_week"] == [6.0] * 24
    assert curve["today_kwh"] == 95.0
    daily = page["daily"]
    assert daily["days"][-1] == "12-02" and daily["energy"][-2:] == [200.0, 192.0]
    assert daily["energy"][0] is None
    b = page["breakdown"]
    assert b["total"] == 487.0  # 200 + 192 + 95
    assert [(i["code"], i["energy"]) for i in b["items"]] == [("01A00", 280.0), ("01B00", 120.0)]
    assert b["remainder"] == pytest.approx(87.0) and b["remainder_negative"] is False
    by_number = {x["number"]: x for x in page["meters"]}
    t = by_number["TOTAL"]
    # today: 42 expected (10.5 h × 4), 38 received; week 618 / 230; month 234 / 230
    assert (t["completeness_today"], t["completeness_week"], t["completeness_month"]) == (
        90.5, 37.2, 98.3)
    assert t["silent_intervals"] == 1 and not t["silent"]
    assert by_number["AC"]["silent_intervals"] == 9 and by_number["AC"]["silent"]
    assert by_number["LIGHT"]["silent_intervals"] == 42 and by_number["LIGHT"]["last_seen"] == \
        "2025-12-03 00:00"
    assert by_number["W"]["silent_intervals"] is None and by_number["W"]["silent"]
    assert [s["number"] for s in page["silent"]] == ["AC", "LIGHT", "W"]
    # the institution: today Σ present 38 + 40 + 40 = 118 of 4 × 42
    assert page["completeness"]["today"] == round(100 * 118 / 168, 1)
    assert "S1" not in by_number
    quiet = institution_live(engine, ADMIN, ORGAN, now=NOW, options=LiveOptions(silent_after=10))
    assert [s["number"] for s in quiet["silent"]] == ["LIGHT", "W"]


def test_remainder_below_zero_is_flagged(engine: Engine, files: Files) -> None:
    seed(engine, files, light_today=20.0)  # sub-meters 120 + 400 > total 487
    b = institution_live(engine, ADMIN, ORGAN, now=NOW)["breakdown"]
    assert b["remainder"] == pytest.approx(-33.0) and b["remainder_negative"] is True


def test_region_page_and_scope(engine: Engine, ids: dict[str, int]) -> None:
    page = region_live(engine, ADMIN, "450300", now=NOW)
    assert page["curve"]["today"][:3] == [11.0, 11.0, 11.0]  # ORGAN 10 + SCHOOL 1
    top = page["institutions"]["top"]
    assert [x["credit_code"] for x in top] == [ORGAN, SCHOOL]
    assert top[0]["today_kwh"] == 95.0 and top[1]["today_kwh"] == 10.0
    assert {s["number"] for s in page["silent"]} == {"AC", "LIGHT", "W"}
    school = user(Role.INSTITUTION, institution_id=ids.get("school_id"))
    with engine.connect() as conn:
        from jieneng.storage.institutions import get_institution
        sid = get_institution(conn, SCHOOL).id  # type: ignore[union-attr]
    school = user(Role.INSTITUTION, institution_id=sid, uid=7)
    own = region_live(engine, school, now=NOW)
    assert [x["credit_code"] for x in own["institutions"]["all"]] == [SCHOOL]
    assert own["silent"] == []
    with pytest.raises(NotFound):
        institution_live(engine, school, ORGAN, now=NOW)
