"""Files → import → indicators, through the services, on both databases.

The expected figures are worked by hand from the default factor set
(pi-published): electricity 0.1229 kgce/kWh (当量值, GB/T 2589), natural gas
1.33 kgce/m³, gasoline 1.4714 kgce/kg × 0.73 kg/L; CO₂ of 2025 falls back to the
latest published national grid factor (2023: 0.5306 kgCO₂/kWh, MEE/NBS).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import ImportRejected
from jieneng.services.directory.records import institution_history
from jieneng.services.entry.imports import import_file
from jieneng.services.statistics.indicators import IndicatorQuery, compute
from jieneng.storage.tables import consumption_record
from tests.sample import ORGAN, SCHOOL, Files, write_csv

E_ORGAN = 10000 * 0.1229 + 100 * 1.33 + 200 * 0.73 * 1.4714  # kgce
E_ORGAN_NO_VEHICLE = 10000 * 0.1229 + 100 * 1.33
E_SCHOOL = 20000 * 0.1229


def load_all(engine: Engine, files: Files) -> None:
    for kind, path in (
        ("regions", files.regions), ("institutions", files.institutions),
        ("profiles", files.profiles), ("consumption", files.consumption),
    ):
        import_file(engine, kind, path)


def test_indicators_from_files(engine: Engine, files: Files) -> None:
    load_all(engine, files)
    result = compute(engine, IndicatorQuery(region_code="450300", year=2025))
    assert result["institutions_expected"] == 3
    assert result["institutions_reported"] == 2
    assert result["energy_tce"] == pytest.approx((E_ORGAN + E_SCHOOL) / 1000)
    assert result["water_m3"] == pytest.approx(1300)
    # ratios of sums over the reporting institutions (the silent school is left out)
    assert result["energy_per_capita_kgce"] == pytest.approx((E_ORGAN + E_SCHOOL) / 1050)
    assert result["energy_per_area_kgce_m2"] == pytest.approx(
        (E_ORGAN_NO_VEHICLE + E_SCHOOL) / 12000
    )
    assert result["water_per_capita_m3"] == pytest.approx(1300 / 1050)
    electricity_co2 = 30000 * 0.5306
    assert result["co2_t"] > electricity_co2 / 1000
    assert result["factor_set"]["name"] == "pi-published"


def test_group_by_region_adds_up(engine: Engine, files: Files) -> None:
    load_all(engine, files)
    result = compute(
        engine, IndicatorQuery(region_code="450300", year=2025, group_by="region")
    )
    groups = {g["code"]: g for g in result["groups"]}
    assert set(groups) >= {"450302", "450321"}
    assert groups["450321"]["institutions_expected"] == 2
    assert sum(g["energy_tce"] for g in groups.values()) == pytest.approx(result["energy_tce"])


def test_correction_creates_revision_and_updates_rollups(
    engine: Engine, files: Files, tmp_path: Path
) -> None:
    load_all(engine, files)
    fixed = write_csv(
        tmp_path / "fix.csv", ["统一社会信用代码", "年", "月", "电(万千瓦时)"],
        [[SCHOOL, 2025, 1, 2.5]],
    )
    report = import_file(engine, "consumption", fixed)
    assert report.counts["revised"] == 1
    history = institution_history(engine, SCHOOL, carrier="electricity")
    assert [(h["revision"], h["quantity"], h["is_current"]) for h in history] == [
        (2, 25000.0, True), (1, 20000.0, False),
    ]
    assert history[0]["entered_unit"] == "万千瓦时"
    result = compute(engine, IndicatorQuery(region_code="450321", year=2025))
    assert result["energy_tce"] == pytest.approx(25000 * 0.1229 / 1000)
    again = import_file(engine, "consumption", fixed)
    assert again.counts["revised"] == 0 and again.counts["inserted"] == 0


def test_bad_file_stores_nothing(engine: Engine, files: Files, tmp_path: Path) -> None:
    load_all(engine, files)
    bad = write_csv(
        tmp_path / "bad.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)", "水(立方米)"],
        [
            [ORGAN, 2025, 2, 5000, 100],  # valid
            [ORGAN, 2025, 13, 5000, 100],  # bad month
            [SCHOOL, 2025, 2, "abc", 100],  # not a number
        ],
    )
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(consumption_record)).scalar_one()
    with pytest.raises(ImportRejected, match=r"bad\.csv") as caught:
        import_file(engine, "consumption", bad)
    rows = sorted((i.row, i.code) for i in caught.value.issues)
    assert [r for r, _ in rows] == [3, 4]
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(consumption_record)).scalar_one()
    assert after == before


def test_dry_run_stores_nothing(engine: Engine, files: Files) -> None:
    import_file(engine, "regions", files.regions)
    report = import_file(engine, "institutions", files.institutions, dry_run=True)
    assert report.dry_run and report.records == 3
    result = compute(engine, IndicatorQuery(region_code="450300", year=2025))
    assert result["institutions_expected"] == 0


def test_imports_are_audited(engine: Engine, files: Files) -> None:
    from jieneng.services.accounts.audit import list_entries

    load_all(engine, files)
    actions = [e["action"] for e in list_entries(engine, per_page=20)["items"]]
    assert sorted(actions) == sorted(
        ["import.regions", "import.institutions", "import.profiles", "import.consumption"]
    )
