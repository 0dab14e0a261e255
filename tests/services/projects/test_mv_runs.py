"""Baseline fits of a project on both databases: the monthly model on the owners' NY201
months recovers the constructed 20 % saving; refusals name their reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select

from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.mv.data import DateRange
from jieneng.core.permissions import Role
from jieneng.services.projects import mv_runs
from jieneng.services.projects.mv_inputs import Temperatures
from jieneng.storage import tables as t
from tests.sample import Files
from tests.services.metering_world import user
from tests.services.projects.mv_world import OFFICE, bind_meter, build

BASE = DateRange(date(2024, 1, 1), date(2024, 12, 31))
REPORT = DateRange(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, Any]:
    return build(engine, files)


def test_monthly_baseline_recovers_the_saving(engine: Engine, world: dict[str, Any]) -> None:
    run = mv_runs.fit_baseline(engine, OFFICE, "P-T", method="monthly", baseline=BASE,
                               reporting=REPORT)
    assert run["qualified"] and run["source"] == "statistics"
    assert run["inputs"]["institutions"] == [world["school"]]
    assert run["inputs"]["temperatures"] == "station:59431"
    assert run["inputs"]["base_price"] == pytest.approx(0.80)
    assert run["factor_set"] == "pi-published"
    total = run["result"]["total"]
    assert total["savings_pct"] == pytest.approx(0.2, abs=1e-6)
    assert total["savings"] == pytest.approx(0.2 * total["adjusted_baseline"])
    assert run["sufficiency"] == pytest.approx(1.0)
    with engine.connect() as conn:
        assert "project.baseline" in conn.execute(select(t.audit_log.c.action)).scalars().all()
    again = mv_runs.fit_baseline(engine, OFFICE, "P-T", method="monthly", baseline=BASE,
                                 reporting=REPORT)
    runs = mv_runs.list_runs(engine, OFFICE, "P-T", current_only=False)
    assert [r["id"] for r in runs if r["is_current"]] == [again["id"]]
    assert len(runs) == 2


def test_refusals(engine: Engine, world: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as err:
        mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=BASE,
                             reporting=DateRange(date(2024, 6, 1), date(2025, 6, 30)))
    assert err.value.code == "mv.ranges_overlap"
    with pytest.raises(ValidationFailed) as err:  # six months of baseline
        mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=DateRange(
            date(2024, 7, 1), date(2024, 12, 31)), reporting=REPORT)
    assert err.value.code == "mv.insufficient_baseline"
    assert "too_few_months" in str(err.value.details)
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2026-01-01"))
    with pytest.raises(ValidationFailed) as err:
        mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=BASE, reporting=REPORT,
                             temperatures=Temperatures(days, np.full(days.size, np.nan)))
    assert err.value.code == "project_mv.no_temperatures"
    with pytest.raises(ValidationFailed) as err:
        mv_runs.fit_baseline(engine, OFFICE, "P-T", method="caltrack-daily", baseline=BASE,
                             reporting=REPORT)
    assert err.value.code == "project_mv.no_meters"


def test_scope_and_capability(engine: Engine, world: dict[str, Any]) -> None:
    with pytest.raises(NotPermitted):
        mv_runs.fit_baseline(engine, user(Role.INSTITUTION, institution_id=world["school"]),
                             "P-T", baseline=BASE, reporting=REPORT)
    with pytest.raises(NotFound):
        mv_runs.fit_baseline(engine, user(Role.REGION, "450302", uid=5), "P-T",
                             baseline=BASE, reporting=REPORT)
    mine = mv_runs.list_runs(engine, user(Role.INSTITUTION, institution_id=world["school"]),
                             "P-T")
    assert mine == []


def test_daily_baseline_from_the_boundary_meters(engine: Engine,
                                                 world: dict[str, Any]) -> None:
    meter = bind_meter(engine, world)
    with pytest.raises(ValidationFailed) as err:  # 2024 has 366 days: CalTRACK §3.1.3
        mv_runs.fit_baseline(engine, OFFICE, "P-T", method="caltrack-daily", baseline=BASE,
                             reporting=REPORT)
    assert err.value.details["rules"] == ["mv.sufficiency.baseline_too_long"]
    run = mv_runs.fit_baseline(engine, OFFICE, "P-T", method="caltrack-daily",
                               baseline=DateRange(date(2024, 1, 2), date(2024, 12, 31)),
                               reporting=REPORT)
    assert run["source"] == "meters" and run["inputs"]["meters"] == [meter]
    assert run["inputs"]["days_with_data"] == 730 and run["qualified"]  # 2024-01-02 on
    assert run["model"]["type"] == "hdd_cdd"
    assert run["model"]["balance_points"]["heating_f"] == pytest.approx(60, abs=1.5)
    assert run["model"]["balance_points"]["cooling_f"] == pytest.approx(70, abs=1.5)
    assert run["result"]["total"]["savings_pct"] == pytest.approx(0.2, abs=1e-3)
    assert run["sufficiency"] == pytest.approx(1.0)


def test_occupants_as_a_routine_adjustment(engine: Engine, world: dict[str, Any]) -> None:
    """Per-occupant fit (normalise): 10 % more people in 2025 raise the adjusted baseline
    by 10 %, so the saving is 1 − 0.8 / 1.1."""
    with engine.begin() as conn:
        conn.execute(insert(t.institution_profile), [
            {"institution_id": world["school"], "year": 2024, "occupants": 500,
             "floor_area_m2": 8000.0},
            {"institution_id": world["school"], "year": 2025, "occupants": 550,
             "floor_area_m2": 8000.0}])
    run = mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=BASE, reporting=REPORT,
                               normalise="occupants")
    assert run["model"]["normalised_by"] == "occupants"
    assert run["result"]["total"]["savings_pct"] == pytest.approx(1 - 0.8 / 1.1, abs=1e-6)
    from jieneng.services.projects import statements

    year = statements.compute_statement(engine, OFFICE, "P-T", "2025")
    assert year["savings_pct"] == pytest.approx(1 - 0.8 / 1.1, abs=1e-6)


def test_baseline_confirmed_before_any_reporting_data(engine: Engine,
                                                      world: dict[str, Any]) -> None:
    """No reporting window given and none of the data after the baseline yet: the run
    holds the baseline alone (model, metrics, sufficiency; no periods)."""
    run = mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=DateRange(
        date(2025, 1, 1), date(2025, 12, 31)))
    assert run["qualified"] and run["result"]["total"] is None
    assert run["result"]["periods"] == [] and run["model"]["type"] != "none"
    assert run["metrics"]["r_squared"] == pytest.approx(1.0)
    with pytest.raises(ValidationFailed) as err:  # a reporting window asked for: refused
        mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=DateRange(
            date(2025, 1, 1), date(2025, 12, 31)), reporting=DateRange(
            date(2026, 1, 1), date(2026, 6, 30)))
    assert err.value.code == "mv.no_reporting_data"
