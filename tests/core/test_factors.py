"""Factor sets: coefficients per canonical unit, CO₂ factors and their fallbacks."""

from __future__ import annotations

import csv
import json
from importlib import resources

import pytest

from jieneng.core.carriers import CARRIERS, carrier
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors.co2 import ElectricityCO2Scope
from jieneng.core.factors.data import grid_region
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, FACTOR_SET_NAMES, factor_set

PI = factor_set("pi-published")
STAT = factor_set("gbt2589-statistical")


def _csv(name: str) -> list[dict[str, str]]:
    text = (resources.files("jieneng") / "data" / "factors" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_names_and_default() -> None:
    assert DEFAULT_FACTOR_SET == "pi-published"
    assert set(FACTOR_SET_NAMES) == {r["name"] for r in _csv("factor_sets.csv")}
    assert factor_set().name == DEFAULT_FACTOR_SET
    assert PI.title_zh == "公共机构统计口径"


def test_unknown_set_lists_known() -> None:
    with pytest.raises(NotFound, match=r"未知的系数集“x”.*pi-published, gbt2589-statistical"):
        factor_set("x")


def test_unknown_scope() -> None:
    with pytest.raises(ValidationFailed, match=r"未知的电力排放因子范围“city”.*national"):
        factor_set("pi-published", electricity_co2_scope="city")


def test_every_data_row_has_status_and_source() -> None:
    for name in ("coefficients.csv", "electricity_co2.csv", "grid_regions.csv", "co2_fuels.csv"):
        for row in _csv(name):
            assert row["status"], (name, row)
            assert row["source"], (name, row)


@pytest.mark.reference(source="GB/T 2589 Table A.1 as reproduced; reference-data.md §1.2–1.3")
@pytest.mark.parametrize(
    ("code", "pi", "stat"),
    [
        ("electricity", 0.1229, 0.1229),
        ("coal", 714.3, 714.3),
        ("natural_gas", 1.33, 1.2143),
        ("lpg", 1.7143, 1.7143),
        ("gasoline_vehicle", 1.4714 * 0.73, 1.4714 * 0.73),
        ("gasoline_other", 1.4714 * 0.73, 1.4714 * 0.73),
        ("diesel_vehicle", 1.4571 * 0.85, 1.4571 * 0.85),
        ("diesel_other", 1.4571 * 0.85, 1.4571 * 0.85),
        ("heat", 34.12, 34.12),
        ("other_energy", 1000.0, 1000.0),
    ],
)
def test_kgce_per_canonical_unit(code: str, pi: float, stat: float) -> None:
    assert PI.kgce_per_unit(code) == pytest.approx(pi, rel=1e-12)
    assert STAT.kgce_per_unit(carrier(code)) == pytest.approx(stat, rel=1e-12)


@pytest.mark.parametrize("code", ["water", "solar_pv"])
def test_never_converted(code: str) -> None:
    assert PI.kgce_per_unit(code) is None
    assert PI.coefficient(code) is None


def test_density_rows_say_derived() -> None:
    for row in _csv("coefficients.csv"):
        if row["density_kg_per_l"]:
            assert "DERIVED" in row["notes"] and "Chongqing 2015" in row["notes"]


@pytest.mark.reference(source="MEE/NBS 电力二氧化碳排放因子 notices (reference-data.md §3.1)")
@pytest.mark.parametrize(("year", "value"), [(2021, 0.5568), (2022, 0.5366), (2023, 0.5306)])
def test_national_electricity(year: int, value: float) -> None:
    f = PI.co2_kg_per_unit("electricity", year=year, province_code="450000")
    assert (f.value, f.year_used, f.scope, f.note) == (value, year, "national", None)
    assert f.status == "official_reported"


def test_later_year_uses_latest_earlier_with_note() -> None:
    f = PI.co2_kg_per_unit("electricity", year=2025, province_code=None)
    assert (f.value, f.year_used) == (0.5306, 2023)
    assert f.note is not None
    assert "2025年电力二氧化碳排放因子未发布，采用2023年因子" in f.note
    assert "no electricity CO₂ factor published for 2025: the 2023 factor is used" in f.note


def test_earlier_year_uses_earliest_with_note() -> None:
    f = PI.co2_kg_per_unit("electricity", year=2019, province_code=None)
    assert (f.value, f.year_used) == (0.5568, 2021)
    assert (
        f.note is not None and "2019年早于首个发布的电力二氧化碳排放因子，采用2021年因子" in f.note
    )


@pytest.mark.reference(source="MEE/NBS 2022 notice (2024-12-20): 南方 0.3869; 广西 0.4044")
def test_regional_and_provincial_selection() -> None:
    regional = factor_set("pi-published", electricity_co2_scope="regional")
    provincial = factor_set("pi-published", electricity_co2_scope=ElectricityCO2Scope.PROVINCIAL)
    r = regional.co2_kg_per_unit("electricity", year=2022, province_code="450302")
    assert (r.value, r.scope, r.area, r.note) == (0.3869, "regional", "南方", None)
    p = provincial.co2_kg_per_unit("electricity", year=2022, province_code="450300")
    assert (p.value, p.scope, p.area, p.note) == (0.4044, "provincial", "广西", None)
    # 2023 provincial not published: latest earlier provincial year, said so
    p23 = provincial.co2_kg_per_unit("electricity", year=2023, province_code="450000")
    assert (p23.value, p23.year_used) == (0.4044, 2022)
    assert p23.note is not None and "采用2022年因子" in p23.note


def test_provincial_without_row_falls_back_to_region() -> None:
    provincial = factor_set("pi-published", electricity_co2_scope="provincial")
    f = provincial.co2_kg_per_unit("electricity", year=2022, province_code="540000")  # 西藏
    assert (f.value, f.scope, f.area) == (0.2268, "regional", "西南")
    assert f.note is not None and "西藏无省级电力排放因子，采用区域电网因子" in f.note


def test_region_scope_without_province_is_national() -> None:
    regional = factor_set("pi-published", electricity_co2_scope="regional")
    f = regional.co2_kg_per_unit("electricity", year=2022, province_code=None)
    assert (f.value, f.scope) == (0.5366, "national")
    assert f.note is not None and "未指定省份" in f.note
    hk = regional.co2_kg_per_unit("electricity", year=2022, province_code="810000")
    assert (hk.value, hk.scope) == (0.5366, "national")
    assert hk.note is not None and "不属于区域电网" in hk.note


def test_grid_regions() -> None:
    assert grid_region("150000") == "华北"  # 内蒙古 at province level
    assert grid_region("370100") == "华北"
    assert grid_region("360000") == "华中"
    assert grid_region("520000") == "南方"
    assert grid_region("500103") == "西南"
    assert grid_region("710000") is None
    assert {r["grid_region"] for r in _csv("grid_regions.csv")} - {""} == {
        "华北",
        "东北",
        "华东",
        "华中",
        "西北",
        "南方",
        "西南",
    }


@pytest.mark.reference(
    source="reference-data.md §3.3 derived per-unit factors; §3.2 heat 0.11 tCO2/GJ"
)
@pytest.mark.parametrize(
    ("code", "pi", "stat"),
    [
        ("natural_gas", 2.1867, 1.9965),
        ("coal", 1980.4, 1980.4),  # 1.980 kg/kg → per t
        ("lpg", 3.1703, 3.1703),
        ("gasoline_vehicle", 2.9884 * 0.73, 2.9884 * 0.73),
        ("diesel_other", 3.1644 * 0.85, 3.1644 * 0.85),
        ("heat", 110.0, 110.0),
        ("water", 0.0, 0.0),
        ("solar_pv", 0.0, 0.0),
    ],
)
def test_co2_per_canonical_unit(code: str, pi: float, stat: float) -> None:
    a = PI.co2_kg_per_unit(code, year=2022)
    b = STAT.co2_kg_per_unit(code, year=2022)
    assert a.value == pytest.approx(pi, rel=2e-4)
    assert b.value == pytest.approx(stat, rel=2e-4)


def test_other_energy_has_no_co2_factor() -> None:
    f = PI.co2_kg_per_unit("other_energy", year=2022)
    assert f.value is None
    assert f.note is not None and "不计入碳排放" in f.note and "excluded from CO₂" in f.note


def test_describe_is_json_and_complete() -> None:
    d = factor_set("gbt2589-statistical", electricity_co2_scope="regional").describe()
    json.dumps(d)
    assert d["name"] == "gbt2589-statistical"
    assert d["default"] is False
    assert d["electricity_co2_scope"] == "regional"
    assert [c["carrier"] for c in d["coefficients"]] == [c.code for c in CARRIERS]
    gas = next(c for c in d["coefficients"] if c["carrier"] == "natural_gas")
    assert gas["kgce_per_unit"] == 1.2143
    assert gas["source"]
