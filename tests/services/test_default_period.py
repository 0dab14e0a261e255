"""The right period by default and 1–N月累计同比 (issue 11 §1): the default year is
the last complete reviewed period's (services.statistics.periods), not the latest
month anyone typed; a partial year is compared with the same months of the year
before, with the one change rule for a zero base — reference values."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from jieneng.core.scope import Scope
from jieneng.services.entry.imports import import_file
from jieneng.services.publishing.annual_report import basis
from jieneng.services.statistics.indicators import IndicatorQuery, compute
from jieneng.services.statistics.overview import overview
from jieneng.services.statistics.periods import default_period
from jieneng.services.statistics.ranking import ranking
from jieneng.services.workflow import periods as workflow_periods
from jieneng.storage.tables import reporting_period, reporting_task
from tests.sample import write_csv
from tests.services.test_reporting import ADMIN, CITY, ORGAN, SCHOOL, SILENT, world

__all__ = ["world"]
CITY_SCOPE = Scope.region("450300")
KGCE = 0.1229  # kgce/kWh, 当量值 (pi-published)


def _import(engine: Engine, tmp_path: Path, rows: list[list[object]]) -> None:
    file = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"], rows)
    import_file(engine, "consumption", file)


def _two_years(engine: Engine, tmp_path: Path) -> None:
    rows: list[list[object]] = [[SCHOOL, 2024, m, 1000 * m] for m in range(1, 13)]
    rows += [[SCHOOL, 2025, m, 1100 * m] for m in (1, 2, 3)]
    rows += [[ORGAN, 2024, m, 500] for m in range(1, 13)]
    _import(engine, tmp_path, rows)


def test_partial_year_compares_the_same_months(engine: Engine, world: dict[str, int],
                                               tmp_path: Path) -> None:
    _two_years(engine, tmp_path)
    got = overview(engine, CITY_SCOPE, region_code="450300", year=2025)
    assert got["months"] == [1, 3] and got["year_to_date"] is True
    # 2025 1–3月: 1,100 + 2,200 + 3,300 = 6,600 kWh; 2024 1–3月: 6,000 (school) + 1,500 (organ)
    assert got["energy_tce"] == pytest.approx(6600 * KGCE / 1000)
    assert got["previous_year"]["energy_tce"] == pytest.approx(7500 * KGCE / 1000)
    assert got["yoy"]["energy_tce"] == pytest.approx(6600 / 7500 - 1)  # −12 %, not −85 %
    school = {g["code"]: g for g in got["by_child_region"]}["450321"]
    assert school["yoy"]["energy_tce"] == pytest.approx(0.1)
    organ = {g["code"]: g for g in got["by_child_region"]}["450302"]
    assert organ["yoy"]["energy_tce"] == -1.0  # nothing reported in 2025 1–3月 (1,500 before)
    full = overview(engine, CITY_SCOPE, region_code="450300", year=2024)
    assert full["months"] == [1, 12] and full["year_to_date"] is False
    asked = overview(engine, CITY_SCOPE, region_code="450300", year=2025, months=(1, 2))
    assert asked["months"] == [1, 2] and asked["year_to_date"] is False  # asked: kept
    api = compute(engine, IndicatorQuery(region_code="450300", year=2025), CITY_SCOPE)
    assert api["months"] == [1, 3] and api["year_to_date"] is True
    assert api["yoy"]["energy_tce"] == pytest.approx(got["yoy"]["energy_tce"])
    stated = basis(got)
    assert stated["year_to_date"] and "1–3" in stated["text_zh"] and "1–3" in stated["text_en"]


def test_zero_base_has_no_change(engine: Engine, world: dict[str, int],
                                 tmp_path: Path) -> None:
    _import(engine, tmp_path, [[SILENT, 2024, 1, 0], [SILENT, 2025, 1, 800]])
    got = overview(engine, CITY_SCOPE, region_code="450321", year=2025)
    assert got["previous_year"]["energy_tce"] == 0
    assert got["yoy"]["energy_tce"] is None  # core.indicator_registry.change: no base


def test_ranking_compares_the_same_months(engine: Engine, world: dict[str, int],
                                          tmp_path: Path) -> None:
    _two_years(engine, tmp_path)
    got = ranking(engine, CITY_SCOPE, region_code="450300", year=2025, category="021",
                  indicator="energy_per_capita_kgce")
    assert got["months"] == [1, 3]


def test_default_is_the_last_complete_reviewed_period(engine: Engine, world: dict[str, int],
                                                      tmp_path: Path) -> None:
    _two_years(engine, tmp_path)
    # no reporting period yet: the latest year with figures
    found = default_period(engine, CITY_SCOPE, region_code="450300")
    assert (found.year, found.month, found.basis) == (2025, None, "data")
    for period in ("2024-11", "2024-12", "2025-01"):
        workflow_periods.open_period(engine, CITY, region_code="450300", period=period)
    with engine.begin() as conn:
        ids = {r.month: r.id for r in conn.execute(reporting_period.select())}
        conn.execute(update(reporting_task).where(reporting_task.c.period_id == ids[11])
                     .values(state="approved"))
        approved = [r.id for r in conn.execute(reporting_task.select().where(
            reporting_task.c.period_id == ids[12]))][:3]  # 3 of 4 = 75 %
        conn.execute(update(reporting_task).where(reporting_task.c.id.in_(approved))
                     .values(state="approved"))
    found = default_period(engine, CITY_SCOPE, region_code="450300")
    assert (found.year, found.month, found.basis) == (2024, 11, "reviewed")
    assert (found.approved, found.tasks) == (4, 4)
    lower = default_period(engine, CITY_SCOPE, region_code="450300", min_approved=0.75)
    assert (lower.year, lower.month) == (2024, 12)
    # 2025 data typed by one school moves nothing; the institution's own scope agrees
    assert default_period(engine, ADMIN.scope).year == 2024
