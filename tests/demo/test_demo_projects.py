"""The demo's energy-saving projects and synthetic weather (issue 13): the pure
generation, and the built demo on both databases — a trusteeship, an EPC and a PV
project with a fitted baseline, statements and settlements whose figures are sane."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from jieneng.core.caller import command_line_user
from jieneng.demo import projects as plan
from jieneng.services import weather
from jieneng.services.database import open_database
from jieneng.services.demo import DEMO_REGION, build_demo
from jieneng.services.demo_metering import hours_ago
from jieneng.services.projects import generation, mv_runs, registry, settlement, statements
from jieneng.storage import tables as t
from jieneng.storage.weather import weather_day
from tests.conftest import PG_URL, _backends

WHO = command_line_user()


# ---------------------------------------------------------------- pure

def test_the_synthetic_weather_follows_its_stated_climatology() -> None:
    days, celsius = plan.demo_temperatures(date(2022, 1, 1), date(2025, 12, 31))
    assert days.size == celsius.size == 1461 and days[0] == np.datetime64("2022-01-01")
    assert abs(celsius.mean() - plan.CLIMATE.mean_c) < 0.5
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    assert celsius[months == 0].mean() < 11 < 27 < celsius[months == 6].mean()
    anomaly = celsius - (plan.CLIMATE.mean_c - plan.CLIMATE.amplitude_c * np.cos(
        2 * np.pi * ((days - days.astype("datetime64[Y]")).astype(float) - 14) / 365.25))
    assert 1.5 < anomaly.std() < 2.5
    assert 0.6 < np.corrcoef(anomaly[:-1], anomaly[1:])[0, 1] < 0.8
    # deterministic, and a later range only appends
    again_days, again = plan.demo_temperatures(date(2024, 3, 1), date(2024, 3, 31))
    at = int((again_days[0] - days[0]).astype(int))
    assert again.tolist() == celsius[at:at + 31].tolist()


def test_owners_are_picked_by_their_fall_and_never_with_a_spike() -> None:
    base = np.tile(np.linspace(90, 110, 12), 3)
    monthly = np.vstack([base, base * 1.0, base, base])
    monthly[0, 12:] *= 0.85        # fell 15 %
    monthly[1, 12:] *= 0.90        # fell 10 %
    monthly[2, 12:] *= 0.70        # fell 30 % … with a planted spike
    monthly[2, 20] *= 10
    monthly[3, 12:] *= 0.80        # fell 20 % but one month missing
    monthly[3, 5] = np.nan
    ids = np.array([11, 12, 13, 14])
    assert plan.pick_owners(ids, monthly, 2) == [11, 12]
    assert plan.pick_owners(ids, monthly, 2, {11}) == [12]
    assert plan.yearly_drop(monthly[:1])[0] == pytest.approx(0.15 * 1200, rel=1e-9)


def test_pv_generation_and_size() -> None:
    kwh = plan.pv_generation(100.0, 24)
    assert kwh[:12].sum() == pytest.approx(100.0 * plan.PV_YIELD_KWH_PER_KWP, rel=0.05)
    assert kwh[6] > kwh[0]  # July over January
    assert plan.pv_size(123_000.0) == 120.0 and plan.pv_size(1_000.0) == 50.0


# ---------------------------------------------------------------- the built demo

@pytest.fixture(scope="module", params=_backends())
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Engine]:
    files = tmp_path_factory.mktemp("demo_projects")

    def build(url: str) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XDG_DATA_HOME", str(files))
            build_demo(url, metered_since=hours_ago(36))

    if request.param == "sqlite":
        url = f"sqlite:///{files / 'demo.db'}"
        build(url)
        engine = open_database(url)
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        build(url)
        engine = open_database(url)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _projects(demo: Engine) -> dict[str, dict[str, Any]]:
    return {p["code"]: registry.get_project(demo, WHO, p["code"])
            for p in registry.list_projects(demo, WHO, region_code=DEMO_REGION)}


def test_the_demo_has_a_trusteeship_an_epc_and_a_pv_project(demo: Engine) -> None:
    found = _projects(demo)
    kinds = {(p["type"], p["subtype"]) for p in found.values()}
    assert {("epc", "trusteeship"), ("epc", "shared_savings"), ("pv", None)} <= kinds
    for project in found.values():
        assert project["state"] == "monitoring"
        assert project["owners"] and project["boundary"]
        assert [e["to"] for e in project["events"]][-1] == "monitoring"
    trusteeship = found["GL-TG-2024-01"]
    assert len(trusteeship["owners"]) == 2  # a packaged project
    assert trusteeship["contract"]["fee_base_yuan"] > 0
    assert found["GL-EPC-2024-02"]["contract"]["sharing_ratio"] == 0.7
    assert found["GL-PV-2024-03"]["pv_kwp"] >= 50


def test_the_demo_projects_carry_a_dated_history_and_pv_generation(demo: Engine) -> None:
    for project in _projects(demo).values():
        events = project["events"]
        dates = [e["at"][:10] for e in events]
        assert dates == sorted(dates) and dates[0] >= "2023-01-01" and dates[-1] < "2024-12-31"
        assert all(e["recorded_at"] is not None for e in events)  # entered at build time
    pv = generation.project_generation(demo, WHO, "GL-PV-2024-03")
    assert [y["months"] for y in pv["years"]] == [12, 12]
    assert {m["source"] for m in pv["months"]} == {"reported"}
    year = pv["years"][0]
    assert year["self_consumed_kwh"] + year["exported_kwh"] == pytest.approx(
        year["generation_kwh"], rel=1e-6)
    july = statements.get_statement(demo, WHO, "GL-PV-2024-03", "2024-07")["figures"]
    assert july["generation"]["generation_kwh"] > 0 and july["generation"]["avoided_tce"] > 0


def test_the_demo_weather_is_synthetic_and_serves_the_city(demo: Engine) -> None:
    temps = weather.daily_temperatures(demo, region_code="450321", start=date(2023, 1, 1),
                                       end=date(2023, 12, 31))
    assert temps.station == plan.DEMO_STATION and temps.present == 365
    assert 17.5 < float(np.nanmean(temps.celsius)) < 20.5
    with demo.connect() as conn:
        sources = set(conn.execute(select(weather_day.c.source).distinct()).scalars())
    assert sources == {"demo"}  # never presented as observed


def test_baselines_qualify_and_statements_add_up(demo: Engine) -> None:
    for code in ("GL-TG-2024-01", "GL-EPC-2024-02", "GL-PV-2024-03"):
        (run,) = mv_runs.list_runs(demo, WHO, code)
        assert run["qualified"] and run["method"] == "monthly"
        assert (run["baseline_start"], run["baseline_end"]) == (date(2023, 1, 1),
                                                                date(2023, 12, 31))
        assert run["cvrmse"] < 0.2
        monthly = statements.list_statements(demo, WHO, code, kind="monthly")
        assert len(monthly) >= 12
        annual = statements.get_statement(demo, WHO, code, "2024")
        assert 0.02 < annual["savings_pct"] < 0.35 and annual["savings_tce"] > 0
        months = [s for s in monthly if s["year"] == 2024]
        assert len(months) == 12
        assert sum(s["savings_tce"] for s in months) == pytest.approx(
            annual["savings_tce"], rel=1e-6)


def test_settlements_follow_the_contracts(demo: Engine) -> None:
    (fee,) = settlement.list_settlements(demo, WHO, "GL-TG-2024-01")
    amounts = fee["amounts"]
    assert fee["mode"] == "trusteeship" and fee["period"] == "2024"
    assert fee["amount_yuan"] == pytest.approx(amounts["fee"])
    assert amounts["terms"]["fee_factor"] == plan.TRUSTEESHIP_FEE_FACTOR
    assert 0 < amounts["owner_saving"] < 0.1 * amounts["baseline_cost"]  # the unit keeps ≈ 5 %
    assert fee["esco_margin_yuan"] == pytest.approx(amounts["fee"]
                                                    - amounts["actual_energy_cost"])
    assert 0 < fee["esco_margin_yuan"] < fee["amount_yuan"]
    (shared,) = settlement.list_settlements(demo, WHO, "GL-EPC-2024-02")
    assert shared["mode"] == "shared_savings"
    assert shared["amount_yuan"] == pytest.approx(0.7 * shared["amounts"]["benefit"])
    assert settlement.list_settlements(demo, WHO, "GL-PV-2024-03") == []


def test_pv_generation_is_reported_and_a_second_build_changes_nothing(
        demo: Engine, tmp_path_factory: pytest.TempPathFactory) -> None:
    pv = registry.get_project(demo, WHO, "GL-PV-2024-03")
    owner = pv["owners"][0]["credit_code"]
    c, i = t.consumption_record, t.institution
    with demo.connect() as conn:
        rows = conn.execute(select(func.count(), func.sum(c.c.quantity)).select_from(
            c.join(i, i.c.id == c.c.institution_id)).where(
            i.c.credit_code == owner, c.c.carrier == "solar_pv", c.c.is_current)).one()
    assert rows[0] == 24 and rows[1] == pytest.approx(
        2 * pv["pv_kwp"] * plan.PV_YIELD_KWH_PER_KWP, rel=0.05)
    before = len(statements.list_statements(demo, WHO, "GL-TG-2024-01"))
    url = demo.url.render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("again")))
        build_demo(url, metered_since=hours_ago(36))
    assert len(statements.list_statements(demo, WHO, "GL-TG-2024-01")) == before
    assert len(registry.list_projects(demo, WHO, region_code=DEMO_REGION)) == 3
