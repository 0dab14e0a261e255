"""PV generation of a project on both databases: each month from the first source
present — the boundary's generation meters (carrier solar_pv, month roll-ups), a
reported figure with its source, the owners' NY201 太阳能光电发电量 —; per month and year;
in the statements (avoided grid electricity through the factor set) and in the counts
per region and calendar year; bad figures refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, insert, update

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.mv.data import DateRange
from jieneng.core.projects.spec import project_spec
from jieneng.services.projects import mv_runs, statements
from jieneng.services.projects.counts import region_counts
from jieneng.services.projects.generation import project_generation, report_generation
from jieneng.services.projects.registry import create_project
from jieneng.storage import metering
from jieneng.storage import projects as p
from jieneng.storage.consumption import write_consumption
from jieneng.storage.meter_readings import metering_rollup
from tests.sample import SCHOOL, Files
from tests.services.projects.mv_world import OFFICE, build

BASE = DateRange(date(2024, 1, 1), date(2024, 12, 31))
REPORT = DateRange(date(2025, 1, 1), date(2025, 12, 31))
METERED = {1: 3000.0, 2: 3500.0, 3: 4200.0}  # 2025 months of the generation meter


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, Any]:
    made = build(engine, files, code="P-PV")
    with engine.begin() as conn:
        conn.execute(update(p.project).where(p.project.c.id == made["project_id"])
                     .values(type="pv", subtype=None, pv_kwp=40.0))
        meter_id = conn.execute(insert(metering.metering_meter).values(
            institution_id=made["school"], number="PV-1", carrier="solar_pv",
            register="cumulative", unit="kWh").returning(metering.metering_meter.c.id)
        ).scalar_one()
        conn.execute(insert(p.project_boundary).values(
            project_id=made["project_id"], kind="meter", institution_id=made["school"],
            meter_id=meter_id, created_by="test"))
        starts = (np.array([f"2025-{m:02d}" for m in METERED], dtype="datetime64[M]")
                  .astype("datetime64[s]").astype(np.int64) - 8 * 3600)
        conn.execute(insert(metering_rollup), [
            {"meter_id": meter_id, "level": "month", "start": int(s), "energy": kwh,
             "present": 2976, "expected": 2976, "flags": 0}
            for s, kwh in zip(starts, METERED.values(), strict=True)])
        write_consumption(conn, pl.DataFrame({
            "institution_id": [made["school"]] * 2, "year": [2025, 2025], "month": [3, 8],
            "carrier": ["solar_pv"] * 2, "quantity": [9999.0, 2800.0],
            "cost_yuan": [None, None]}, schema={
            "institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64,
            "carrier": pl.String, "quantity": pl.Float64, "cost_yuan": pl.Float64}),
            source="manual", import_id=None)
    mv_runs.fit_baseline(engine, OFFICE, "P-PV", baseline=BASE, reporting=REPORT)
    report_generation(engine, OFFICE, "P-PV", "2025-07", 3900.0, source="电网结算单",
                      self_consumed_kwh=3100.0, exported_kwh=800.0)
    report_generation(engine, OFFICE, "P-PV", "2025-02", 1.0, source="逆变器记录")
    return made


def test_generation_per_month_and_year_by_source(engine: Engine,
                                                 world: dict[str, Any]) -> None:
    got = project_generation(engine, OFFICE, "P-PV")
    months = {m["label"]: (m["generation_kwh"], m["source"]) for m in got["months"]}
    assert months == {"2025-01": (3000.0, "meter"), "2025-02": (3500.0, "meter"),
                      "2025-03": (4200.0, "meter"), "2025-07": (3900.0, "reported"),
                      "2025-08": (2800.0, "ny201")}
    (year,) = got["years"]
    assert (year["year"], year["months"]) == (2025, 5)
    assert year["generation_kwh"] == pytest.approx(3000 + 3500 + 4200 + 3900 + 2800)
    assert year["self_consumed_kwh"] is None  # not every month has it
    july = next(m for m in got["months"] if m["label"] == "2025-07")
    assert (july["self_consumed_kwh"], july["exported_kwh"]) == (3100.0, 800.0)


def test_the_statement_shows_generation_and_the_avoided_grid_electricity(
        engine: Engine, world: dict[str, Any]) -> None:
    july = statements.compute_statement(engine, OFFICE, "P-PV", "2025-07")["figures"]
    gen = july["generation"]
    assert gen["generation_kwh"] == 3900.0 and gen["avoided_grid_kwh"] == 3900.0
    assert (gen["self_consumed_kwh"], gen["exported_kwh"]) == (3100.0, 800.0)
    assert gen["avoided_tce"] == pytest.approx(3900 * 0.1229 / 1000)
    co2 = factor_set().co2_kg_per_unit("electricity", year=2025,
                                       province_code="450000").value
    assert co2 is not None and gen["avoided_tco2"] == pytest.approx(3900 * co2 / 1000)
    assert "electricity" in july["carriers"]  # the bought electricity's M&V stays
    q3 = statements.compute_statement(engine, OFFICE, "P-PV", "2025-Q3")["figures"]
    assert q3["generation"]["generation_kwh"] == pytest.approx(3900 + 2800)
    assert q3["generation"]["self_consumed_kwh"] is None
    assert (q3["generation"]["months_with_figures"], q3["generation"]["months"]) == (2, 3)
    assert q3["generation"]["sources"] == ["ny201", "reported"]


def test_counts_per_region_and_calendar_year(engine: Engine, world: dict[str, Any]
                                             ) -> None:
    counts = region_counts(engine, OFFICE, region_code="450321", year=2025)
    gen = counts["pv_generation"]
    assert gen["kwh"] == pytest.approx(17400.0) and gen["projects"] == 1
    assert gen["by_source"] == {"meter": 10700.0, "reported": 3900.0, "ny201": 2800.0}
    assert counts["regions"][0]["pv_generation"]["kwh"] == pytest.approx(17400.0)
    assert region_counts(engine, OFFICE, year=2024)["pv_generation"]["kwh"] == 0.0
    assert region_counts(engine, OFFICE)["pv_generation"]["kwh"] == pytest.approx(17400.0)


def test_bad_generation_figures_are_refused(engine: Engine, world: dict[str, Any]) -> None:
    cases = [("2999-01", 10.0, {}, "x", "project_generation_future"),
             ("2025-09", -1.0, {}, "x", "project_generation_negative"),
             ("2025-09", 10.0, {"self_consumed_kwh": 8.0, "exported_kwh": 5.0}, "x",
              "project_generation_split"),
             ("2025-09", 10.0, {}, "  ", "project_generation_no_source")]
    for month, kwh, parts, source, code in cases:
        with pytest.raises(ValidationFailed) as err:
            report_generation(engine, OFFICE, "P-PV", month, kwh, source=source, **parts)
        assert err.value.code == code
    create_project(engine, OFFICE, project_spec(
        code="RT-9", name="照明改造", type_text="节能改造", owners=[SCHOOL], year=2025))
    with pytest.raises(ValidationFailed) as not_pv:
        report_generation(engine, OFFICE, "RT-9", "2025-01", 10.0, source="x")
    assert not_pv.value.code == "project_generation_not_pv"
