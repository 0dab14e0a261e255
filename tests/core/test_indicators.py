"""compute_indicators: totals, ratios of sums, exclusions, CO₂ and the published totals."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jieneng.core.carriers import CARRIER_CODES, carrier
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.indicators import AggregateInputs, compute_indicators, yoy
from jieneng.core.units import to_canonical

from .conftest import read_reference

PI = factor_set("pi-published")
STAT = factor_set("gbt2589-statistical")
CHONGQING = read_reference("chongqing_2015.csv")


def _chongqing_inputs() -> AggregateInputs:
    quantity = {
        row["carrier"]: to_canonical(
            carrier(row["carrier"]), float(row["quantity"]), row["quantity_unit"]
        )
        for row in CHONGQING
        if row["carrier"] != "total"
    }
    return AggregateInputs(institutions_reported=1, quantity=quantity)


def _by_carrier(result_by_carrier: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(item["carrier"]): item for item in result_by_carrier}


# Tolerance in 万tce: half a unit of the published last digit (0.005) + the rounding of the
# physical quantity (≤ 0.005 × coefficient) + one unit of the last digit for the published
# electricity figure (78.41 implies 0.12288; 0.1229 gives 78.42). See chongqing_2015.csv.
WAN_TCE_TOLERANCE = 0.015


@pytest.mark.reference(
    source="Chongqing 13th FYP public-institution plan, 2015 (reference-data.md §1.3)"
)
@pytest.mark.parametrize(
    "row", [r for r in CHONGQING if r["carrier"] != "total"], ids=lambda r: r["carrier"]
)
def test_chongqing_2015_components(row: dict[str, str]) -> None:
    result = compute_indicators(_chongqing_inputs(), PI, year=2015, province_code="500000")
    energy = _by_carrier(result.by_carrier)[row["carrier"]]["energy_tce"]
    assert isinstance(energy, float)
    assert abs(energy / 1e4 - float(row["published_wan_tce"])) <= WAN_TCE_TOLERANCE


@pytest.mark.reference(
    source="Chongqing 13th FYP public-institution plan, 2015 (reference-data.md §1.3)"
)
def test_chongqing_2015_total() -> None:
    total = next(float(r["published_wan_tce"]) for r in CHONGQING if r["carrier"] == "total")
    result = compute_indicators(_chongqing_inputs(), PI, year=2015, province_code="500000")
    assert round(result.energy_tce / 1e4, 2) == total  # 110.7523 → 110.75


@pytest.mark.reference(source="Chongqing 2015: 14482.41万m³ natural gas = 19.26万tce")
def test_statistical_set_does_not_reproduce_gas() -> None:
    published = next(
        float(r["published_wan_tce"]) for r in CHONGQING if r["carrier"] == "natural_gas"
    )
    result = compute_indicators(_chongqing_inputs(), STAT, year=2015, province_code="500000")
    gas = _by_carrier(result.by_carrier)["natural_gas"]["energy_tce"]
    assert isinstance(gas, float)
    assert abs(gas / 1e4 - published) > 1.0  # 17.59 vs 19.26
    assert round(result.energy_tce / 1e4, 2) != 110.75


@pytest.mark.parametrize(
    ("code", "quantity", "kgce"),
    [
        ("electricity", 1000.0, 122.9),  # 1000 kWh × 0.1229
        ("coal", 10.0, 7143.0),  # 10 t × 714.3
        ("natural_gas", 1000.0, 1330.0),  # 1000 m³ × 1.33
        ("lpg", 100.0, 171.43),  # 100 kg × 1.7143
        ("gasoline_vehicle", 100.0, 107.4122),  # 100 L × 0.73 kg/L × 1.4714
        ("gasoline_other", 100.0, 107.4122),
        ("diesel_vehicle", 100.0, 123.8535),  # 100 L × 0.85 kg/L × 1.4571
        ("diesel_other", 100.0, 123.8535),
        ("heat", 10.0, 341.2),  # 10 GJ × 34.12
        ("other_energy", 2.0, 2000.0),  # 2 tce
    ],
)
def test_hand_worked_energy_per_carrier(code: str, quantity: float, kgce: float) -> None:
    result = compute_indicators(
        AggregateInputs(quantity={code: quantity}), PI, year=2022, province_code=None
    )
    assert result.energy_tce == pytest.approx(kgce / 1000, rel=1e-12)
    assert _by_carrier(result.by_carrier)[code]["energy_tce"] == pytest.approx(kgce / 1000)


@pytest.mark.parametrize("code", ["water", "solar_pv"])
def test_water_and_solar_not_in_energy(code: str) -> None:
    result = compute_indicators(
        AggregateInputs(quantity={code: 5000.0}), PI, year=2022, province_code=None
    )
    assert result.energy_tce == 0.0
    assert _by_carrier(result.by_carrier)[code]["energy_tce"] is None
    assert result.co2_t == 0.0
    assert code in result.basis["not_in_energy"]


def _institution(
    electricity: float, occupants: float, area: float, water: float = 0.0
) -> AggregateInputs:
    q = {"electricity": electricity, "water": water}
    return AggregateInputs(
        institutions_expected=1,
        institutions_reported=1,
        quantity=q,
        quantity_with_occupants=q if occupants > 0 else {},
        quantity_with_area=q if area > 0 else {},
        occupants=occupants,
        floor_area_m2=area,
    )


def test_ratio_of_sums_not_average_of_ratios() -> None:
    # A: 10 people, 100 000 kWh → 1229 kgce/人; B: 1000 people, 100 000 kWh → 12.29 kgce/人.
    a = _institution(100_000.0, 10.0, 1000.0, water=500.0)
    b = _institution(100_000.0, 1000.0, 9000.0, water=30_000.0)
    result = compute_indicators(a + b, PI, year=2022, province_code=None)
    ratio_of_sums = 2 * 100_000 * 0.1229 / 1010
    average_of_ratios = (100_000 * 0.1229 / 10 + 100_000 * 0.1229 / 1000) / 2
    assert result.energy_per_capita_kgce == pytest.approx(ratio_of_sums)
    assert result.energy_per_capita_kgce != pytest.approx(average_of_ratios)
    assert result.energy_per_area_kgce_m2 == pytest.approx(2 * 100_000 * 0.1229 / 10_000)
    assert result.water_per_capita_m3 == pytest.approx(30_500 / 1010)
    assert result.basis["ratios"] == "ratio_of_sums"


def test_denominator_only_from_institutions_with_it() -> None:
    # B reports energy but no occupants and no area: it counts in totals, not in the ratios.
    a = _institution(100_000.0, 10.0, 1000.0)
    b = _institution(50_000.0, 0.0, 0.0)
    result = compute_indicators(a + b, PI, year=2022, province_code=None)
    assert result.energy_tce == pytest.approx(150_000 * 0.1229 / 1000)
    assert result.energy_per_capita_kgce == pytest.approx(100_000 * 0.1229 / 10)
    assert result.energy_per_area_kgce_m2 == pytest.approx(100_000 * 0.1229 / 1000)


def test_zero_denominators_give_none() -> None:
    result = compute_indicators(
        AggregateInputs(quantity={"electricity": 1.0}), PI, year=2022, province_code=None
    )
    assert result.energy_per_capita_kgce is None
    assert result.energy_per_area_kgce_m2 is None
    assert result.water_per_capita_m3 is None
    assert result.co2_per_area_kg_m2 is None
    assert any("no occupants" in n for n in result.notes)


def test_vehicle_fuel_excluded_from_area_figures_by_default() -> None:
    q = {"electricity": 10_000.0, "gasoline_vehicle": 1000.0, "gasoline_other": 100.0}
    inputs = AggregateInputs(
        institutions_reported=1,
        quantity=q,
        quantity_with_area=q,
        floor_area_m2=1000.0,
        quantity_with_occupants=q,
        occupants=10.0,
    )
    building = 10_000 * 0.1229 + 100 * 1.4714 * 0.73
    everything = building + 1000 * 1.4714 * 0.73
    default = compute_indicators(inputs, PI, year=2022, province_code=None)
    assert default.energy_per_area_kgce_m2 == pytest.approx(building / 1000)
    assert default.energy_per_capita_kgce == pytest.approx(everything / 10)  # per capita keeps it
    assert default.energy_tce == pytest.approx(everything / 1000)
    co2_building = 10_000 * 0.5366 + 100 * 1.4714 * 0.73 * 29.3076e-6 * 69_300
    assert default.co2_per_area_kg_m2 == pytest.approx(co2_building / 1000, rel=1e-9)
    assert default.basis["area_excludes_vehicle_fuel"] is True
    assert default.basis["area_excluded_carriers"] == ["gasoline_vehicle", "diesel_vehicle"]
    included = compute_indicators(
        inputs, PI, year=2022, province_code=None, area_excludes_vehicle_fuel=False
    )
    assert included.energy_per_area_kgce_m2 == pytest.approx(everything / 1000)
    assert included.basis["area_excluded_carriers"] == []


def test_co2_fallback_year_note_in_result() -> None:
    result = compute_indicators(
        AggregateInputs(quantity={"electricity": 1000.0}), PI, year=2024, province_code="450000"
    )
    assert result.co2_t == pytest.approx(1000 * 0.5306 / 1000)
    used = result.factor_set["electricity_co2"]
    assert (used["value"], used["year_used"], used["scope"]) == (0.5306, 2023, "national")
    assert any("2024年电力二氧化碳排放因子未发布，采用2023年因子" in n for n in result.notes)


@pytest.mark.reference(
    source="MEE/NBS 2022 notice: 南方 0.3869; 广西 0.4044 (secondary_code_crosschecked)"
)
@pytest.mark.parametrize(
    ("scope", "value"), [("regional", 0.3869), ("provincial", 0.4044), ("national", 0.5366)]
)
def test_electricity_scope_in_result(scope: str, value: float) -> None:
    fs = factor_set("pi-published", electricity_co2_scope=scope)
    result = compute_indicators(
        AggregateInputs(quantity={"electricity": 1_000_000.0}),
        fs,
        year=2022,
        province_code="450300",
    )
    assert result.co2_t == pytest.approx(value * 1000)
    assert result.factor_set["electricity_co2"]["value"] == value
    assert result.factor_set["electricity_co2_scope"] == scope


def test_other_energy_excluded_from_co2_with_note() -> None:
    result = compute_indicators(
        AggregateInputs(quantity={"other_energy": 5.0, "heat": 10.0}),
        PI,
        year=2022,
        province_code=None,
    )
    assert result.co2_t == pytest.approx(10 * 0.11)
    assert result.basis["co2_excluded"] == ["other_energy"]
    assert _by_carrier(result.by_carrier)["other_energy"]["co2_t"] is None
    assert any("excluded from CO₂" in n for n in result.notes)


def test_gas_co2_differs_between_sets() -> None:
    inputs = AggregateInputs(quantity={"natural_gas": 10_000.0})
    pi = compute_indicators(inputs, PI, year=2022, province_code=None)
    stat = compute_indicators(inputs, STAT, year=2022, province_code=None)
    assert pi.co2_t == pytest.approx(21.867, rel=1e-4)
    assert stat.co2_t == pytest.approx(19.965, rel=1e-4)


def test_to_dict_is_json_with_contract_keys() -> None:
    result = compute_indicators(_chongqing_inputs(), PI, year=2022, province_code="500000")
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == {
        "energy_tce",
        "water_m3",
        "co2_t",
        "energy_per_capita_kgce",
        "energy_per_area_kgce_m2",
        "water_per_capita_m3",
        "co2_per_area_kg_m2",
        "institutions_expected",
        "institutions_reported",
        "factor_set",
        "by_carrier",
        "basis",
        "notes",
    }
    assert [b["carrier"] for b in data["by_carrier"]] == list(CARRIER_CODES)
    assert set(data["by_carrier"][0]) >= {
        "carrier",
        "name_zh",
        "name_en",
        "quantity",
        "unit",
        "cost_yuan",
        "energy_tce",
        "co2_t",
    }


def test_unknown_carrier_and_negative_rejected() -> None:
    with pytest.raises(ValidationFailed, match=r"能源品种代码“petrol”未知"):
        compute_indicators(
            AggregateInputs(quantity={"petrol": 1.0}), PI, year=2022, province_code=None
        )
    with pytest.raises(ValidationFailed, match=r"quantity\[coal\] must be a finite number ≥ 0"):
        compute_indicators(
            AggregateInputs(quantity={"coal": -1.0}), PI, year=2022, province_code=None
        )
    with pytest.raises(ValidationFailed, match=r"occupants 应为非负有限数"):
        compute_indicators(
            AggregateInputs(occupants=float("nan")), PI, year=2022, province_code=None
        )


def test_reporting_gap_noted() -> None:
    result = compute_indicators(
        AggregateInputs.empty(institutions_expected=5, institutions_reported=3),
        PI,
        year=2022,
        province_code=None,
    )
    assert any("3 of 5 institutions reported" in n for n in result.notes)


sums = st.dictionaries(st.sampled_from(CARRIER_CODES), st.floats(0, 1e9), max_size=4)
inputs_strategy = st.builds(
    AggregateInputs,
    institutions_expected=st.integers(0, 1000),
    institutions_reported=st.integers(0, 1000),
    quantity=sums,
    quantity_with_occupants=sums,
    quantity_with_area=sums,
    cost_yuan=sums,
    occupants=st.floats(0, 1e6),
    floor_area_m2=st.floats(0, 1e7),
)


@given(inputs_strategy, inputs_strategy)
def test_additivity(a: AggregateInputs, b: AggregateInputs) -> None:
    total = a + b
    assert total.institutions_expected == a.institutions_expected + b.institutions_expected
    assert total.occupants == a.occupants + b.occupants
    assert a + AggregateInputs.empty() == a
    ra = compute_indicators(a, PI, year=2022, province_code=None)
    rb = compute_indicators(b, PI, year=2022, province_code=None)
    rt = compute_indicators(total, PI, year=2022, province_code=None)
    assert rt.energy_tce == pytest.approx(ra.energy_tce + rb.energy_tce, rel=1e-9, abs=1e-9)
    assert rt.co2_t == pytest.approx(ra.co2_t + rb.co2_t, rel=1e-9, abs=1e-9)


def test_yoy() -> None:
    before = compute_indicators(
        _institution(100_000.0, 10.0, 1000.0, water=100.0), PI, year=2022, province_code=None
    )
    now = compute_indicators(
        _institution(110_000.0, 10.0, 1000.0, water=90.0), PI, year=2023, province_code=None
    )
    change = yoy(now, before)
    assert change["energy_tce"] == pytest.approx(0.10)
    assert change["energy_per_capita_kgce"] == pytest.approx(0.10)
    assert change["water_m3"] == pytest.approx(-0.10)
    assert change["co2_t"] == pytest.approx(110_000 * 0.5306 / (100_000 * 0.5366) - 1)
    empty = compute_indicators(AggregateInputs(), PI, year=2022, province_code=None)
    from_nothing = yoy(now, empty)
    assert from_nothing["energy_tce"] is None  # previous 0
    assert from_nothing["energy_per_capita_kgce"] is None  # previous None
    assert set(change) == {
        "energy_tce",
        "water_m3",
        "co2_t",
        "energy_per_capita_kgce",
        "energy_per_area_kgce_m2",
        "water_per_capita_m3",
        "co2_per_area_kg_m2",
    }
