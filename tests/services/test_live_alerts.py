"""services.targets.live on both databases: the month-to-date metered use projected
against the quota's monthly limit raises the existing alerts (over / warning), silent
meters raise a missing-data alert; both close with a 已恢复 notice when they clear."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, insert, select, update

from jieneng.core.caller import Actor, command_line_user
from jieneng.services.accounts.accounts import create_user
from jieneng.services.metering.monitoring import Clock
from jieneng.services.statistics.publication_figures import intensity_coefficients
from jieneng.services.targets import quotas
from jieneng.services.targets.live import LiveAlertOptions, evaluate_live, overuse_items
from jieneng.storage import meter_readings as r
from jieneng.storage import tables as t
from jieneng.storage.institutions import get_institution
from tests.sample import ORGAN, Files
from tests.services.test_monitoring import ADMIN, DAY, NOW, TODAY, seed

STRICT = """指标,机构类型,气候区,约束值,基准值,引导值,单位
energy_per_capita_kgce,演示严格定额,,40,30,20,kgce/人
"""


@pytest.fixture
def world(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    ids = seed(engine, files)
    path = tmp_path / "q.csv"
    path.write_text(STRICT, encoding="utf-8")
    done = quotas.import_table(engine, ADMIN, path, code="T-1", title="演示", source="test")
    with engine.begin() as conn:
        quota_id = conn.execute(select(t.quota.c.id).where(
            t.quota.c.standard_id == done["standard_id"])).scalar_one()
        organ = get_institution(conn, ORGAN)
        assert organ is not None
        conn.execute(insert(t.institution_profile).values(
            institution_id=organ.id, year=2025, occupants=10, floor_area_m2=500.0))
    quotas.assign(engine, ADMIN, quota_id=quota_id, region_code="450300", category="01")
    office = create_user(engine, Actor.cli(), username="gl", password="Pass-Word-123",
                         role="region", region_code="450300")
    return {**ids, "organ": organ.id, "office": office.id}


def _notes(engine: Engine, user_id: int) -> list[tuple[str, str]]:
    n = t.notification
    with engine.connect() as conn:
        return [(row.title, row.body) for row in conn.execute(
            select(n.c.title, n.c.body).where(n.c.user_id == user_id).order_by(n.c.id))]


def _alerts(engine: Engine) -> dict[str, tuple[str, str]]:
    a = t.alert
    with engine.connect() as conn:
        return {row.subject: (row.level, row.state) for row in conn.execute(select(a))}


def test_projection_limit_and_levels(engine: Engine, world: dict[str, int]) -> None:
    k = intensity_coefficients(engine, command_line_user().scope, region_code="450302",
                               year=2025)["energy"]["electricity"]
    clock = Clock.at(NOW)
    with engine.connect() as conn:
        [item] = overuse_items(conn, clock, LiveAlertOptions(), 0.9)
        [weekday] = overuse_items(conn, clock, LiveAlertOptions(projection="weekday"), 0.9)
    limit = 40 * 10 * 31 / 365  # no reported year before: pro-rated by days
    elapsed = (2 * DAY + 10.5 * 3600) / (31 * DAY)
    assert item["limit"] == pytest.approx(limit)
    assert item["actual"] == pytest.approx(487 * k)
    assert item["projected"] == pytest.approx(487 * k / elapsed)
    assert item["allowance"] == pytest.approx(limit * elapsed)
    assert item["level"] == "over"  # 487 kWh × k > 33.97 kgce already
    # weekday: the last 4 weeks hold 12-01 (Mon) 200 kWh and 12-02 (Tue) 192 kWh only
    ahead = (200 * 4 + 192 * 4) * k  # the remaining Mondays and Tuesdays of December
    assert weekday["projected"] == pytest.approx(487 * k + ahead)


def test_alerts_raised_then_recovered(engine: Engine, world: dict[str, int]) -> None:
    first = evaluate_live(engine, NOW)
    assert len(first["opened"]) == 4  # over-use + AC, LIGHT, W silent
    alerts = _alerts(engine)
    assert alerts[f"live:{world['organ']}:202512"] == ("over", "open")
    assert {s for s in alerts if s.startswith("silent:")} == {
        f"silent:{world[n]}" for n in ("AC", "LIGHT", "W")}
    notes = _notes(engine, world["office"])
    assert len(notes) == 1 and "4" in notes[0][0] and "超限" in notes[0][1]
    again = evaluate_live(engine, NOW + 60)  # same condition: deduplicated
    assert again["opened"] == [] and len(again["kept"]) == 4
    assert len(_notes(engine, world["office"])) == 1
    # the data comes back and the allowance is raised: everything clears
    with engine.begin() as conn:
        r.write_intervals(conn, pl.DataFrame({
            "meter_id": [world[n] for n in ("AC", "LIGHT", "W")],
            "start": [TODAY + 10 * 3600 + 900] * 3, "energy": [1.0, 1.0, 1.0],
            "flags": [0, 0, 0]}))
        conn.execute(update(t.institution_profile).values(occupants=1000))
    cleared = evaluate_live(engine, NOW + 120)
    assert len(cleared["recovered"]) == 4
    assert {s: v[1] for s, v in _alerts(engine).items()} == dict.fromkeys(alerts, "closed")
    notes = _notes(engine, world["office"])
    assert len(notes) == 2 and "已恢复" in notes[1][0] + notes[1][1]
    assert notes[1][1].count("已恢复") == 4
