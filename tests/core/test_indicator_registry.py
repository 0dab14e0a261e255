"""The indicator registry: reference names and units, the generated document, every
code the platform uses is registered, and the one change-ratio rule."""

from __future__ import annotations

import math
import re
from dataclasses import FrozenInstanceError, fields
from pathlib import Path
from typing import get_args

import pytest

from jieneng.core import indicator_registry as reg
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.indicators import IndicatorResult
from jieneng.core.quality.model import INDICATORS as QUALITY_INDICATORS
from jieneng.ingest.quotas import INDICATORS as QUOTA_INDICATORS
from jieneng.ingest.targets import METRICS as TARGET_FILE_METRICS
from jieneng.storage.quality.institution_rules import QUOTA_INDICATORS as QUOTA_RULE_INDICATORS
from jieneng.storage.tables import TARGET_METRICS
from jieneng.web.overview import Indicator as RankIndicator

DOCS = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
NOMENCLATURE = Path(__file__).resolve().parents[2] / "docs" / "nomenclature.md"

# 公共机构能源资源消费统计调查制度 headline indicators (reference-data.md §2.3):
# name and unit as published.
REFERENCE = {
    "energy_tce": ("能源消费总量", "tce", "tce"),
    "water_m3": ("用水总量", "m³", "m³"),
    "co2_t": ("二氧化碳排放总量", "tCO₂", "tCO₂"),
    "energy_per_capita_kgce": ("人均综合能耗", "kgce/人", "kgce/person"),
    "energy_per_area_kgce_m2": ("单位建筑面积能耗", "kgce/m²", "kgce/m²"),
    "water_per_capita_m3": ("人均用水量", "m³/人", "m³/person"),
    "co2_per_area_kg_m2": ("单位建筑面积碳排放", "kgCO₂/m²", "kgCO₂/m²"),
}


def test_docs_file_is_generated_from_the_registry() -> None:
    assert DOCS.read_text(encoding="utf-8") == reg.registry_markdown("en"), (
        "regenerate: .venv/bin/python -m jieneng.core.indicator_registry > docs/indicators.md"
    )


def test_chinese_document() -> None:
    text = reg.registry_markdown("zh")
    assert text.startswith("# 指标目录")
    for i in reg.INDICATORS:
        assert f"`{i.code}` — {i.name_zh}" in text
    assert "基期 ≤ 0 时为空" in text


@pytest.mark.parametrize("code", list(REFERENCE))
def test_reference_names_and_units(code: str) -> None:
    name_zh, unit_zh, unit_en = REFERENCE[code]
    i = reg.indicator(code)
    assert (i.name_zh, i.unit_zh, i.unit_en) == (name_zh, unit_zh, unit_en)
    assert i.computed and i.sources[0] == reg.STATISTICS_SYSTEM


def test_headline_order_and_groups() -> None:
    assert tuple(REFERENCE) == reg.HEADLINE
    assert reg.TOTALS == ("energy_tce", "water_m3", "co2_t")
    assert reg.RANKABLE == {
        "energy_per_capita_kgce": "occupants", "energy_per_area_kgce_m2": "floor_area_m2",
        "water_per_capita_m3": "occupants", "co2_per_area_kg_m2": "floor_area_m2",
    }
    assert reg.CAP_METRICS == reg.TOTALS
    assert set(reg.REDUCTION_METRICS) == set(reg.RANKABLE)


def test_per_area_figures_leave_out_vehicle_fuel() -> None:
    assert reg.VEHICLE_FUEL == ("gasoline_vehicle", "diesel_vehicle")
    for code in ("energy_per_area_kgce_m2", "co2_per_area_kg_m2"):
        i = reg.indicator(code)
        assert set(reg.VEHICLE_FUEL) <= set(i.excluded_carriers)
        assert "车辆用油" in i.formula_zh and "vehicle fuel" in i.formula_en
        assert any(s.startswith("DB11/T 1958-2022") for s in i.sources)
    for code in ("energy_tce", "energy_per_capita_kgce"):
        assert not set(reg.VEHICLE_FUEL) & set(reg.indicator(code).excluded_carriers)
        assert set(reg.indicator(code).excluded_carriers) == {"water", "solar_pv"}


def test_labels_and_formula_view() -> None:
    i = reg.indicator("energy_per_capita_kgce")
    assert i.label() == "人均综合能耗（kgce/人）"
    assert i.label("en") == "energy per capita (kgce/person)"
    assert i.name("en") == "energy per capita"
    assert reg.formulas()["energy_per_area_kgce_m2"]["unit"] == "kgce/m2"
    assert set(reg.formulas()) == set(reg.HEADLINE)
    with pytest.raises(FrozenInstanceError):
        i.name_zh = "x"  # type: ignore[misc]


def test_unknown_code_is_refused_in_both_languages() -> None:
    with pytest.raises(ValidationFailed) as err:
        reg.indicator("energy_per_goat")
    assert "energy_per_goat" in err.value.message_zh and "未知" in err.value.message_zh
    assert "unknown indicator 'energy_per_goat'" in err.value.message_en


def test_every_code_the_platform_uses_is_registered() -> None:
    computed = {f.name for f in fields(IndicatorResult)}
    assert set(reg.HEADLINE) <= computed
    assert set(TARGET_METRICS) == set(reg.CAP_METRICS) | set(reg.REDUCTION_METRICS)
    assert set(TARGET_FILE_METRICS) <= set(reg.BY_CODE)
    assert set(QUOTA_INDICATORS) == set(reg.QUOTA)
    profile = {"occupants", "floor_area_m2"}
    assert set(QUALITY_INDICATORS) - profile <= set(reg.BY_CODE)
    assert set(QUOTA_RULE_INDICATORS) <= set(reg.QUOTA)
    assert set(get_args(RankIndicator)) == set(reg.RANKABLE)


SRC = Path(__file__).resolve().parents[2] / "src" / "jieneng"
#: Quoted names that look like indicator codes but are not figures.
NOT_INDICATORS = {"unit_wan_kwh", "mj_per_kgce",
                  # a carrier's quantity (电, kWh) as a review-queue column, not an indicator
                  "electricity_kwh",
                  # live monitoring's metered electricity of today / yesterday / the
                  # month so far (a carrier's quantity on the live page, not an indicator)
                  "today_kwh", "yesterday_kwh", "month_kwh",
                  # the live over-use alert's metric: month-to-date metered energy (kgce)
                  "metered_kgce",
                  # a project's M&V and settlement figures (docs/projects.md): savings,
                  # baselines and guarantees of one project, not statistics of institutions
                  "savings_tce", "savings_co2_t", "savings_pct_tce", "baseline_tce",
                  "expected_tce", "guaranteed_tce", "verified_tce", "drop_kwh",
                  # a PV project's generation (reported months, meters) and what it avoids
                  "generation_kwh", "self_consumed_kwh", "exported_kwh", "avoided_grid_kwh",
                  "avoided_tce", "ck_project_generation_kwh",
                  # the fleet summary's coal of the year (NY201 / NY203 coal lines, t)
                  "coal_t", "heating_coal_t",
                  # a weather file's column-name suffix, not a code
                  "__t",
                  # one event's carbon (docs/carbon.md): tCO₂ by source, total, offsets,
                  # net — an event's figures, not statistics of institutions
                  "total_t", "emissions_t", "offsets_t", "net_t", "quantity_t", "venue_t",
                  "travel_t", "accommodation_t", "catering_t"}
#: a registered indicator's figure of the comparison period and its change (同比 columns)
COMPARISONS = ("previous_", "last_year_", "yoy_")


def _registered(code: str) -> bool:
    base = next((code[len(p):] for p in COMPARISONS if code.startswith(p)), code)
    return base in reg.BY_CODE or base in NOT_INDICATORS


def test_every_indicator_code_spelled_in_the_source_is_registered() -> None:
    pattern = re.compile(r"[\"']([a-z0-9_]+_(?:kgce|kgce_m2|m3|kg_m2|tce|kwh|kwh_m2|t))[\"']")
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*"):
        if path.suffix in {".py", ".html", ".json"}:
            for code in pattern.findall(path.read_text(encoding="utf-8")):
                found.setdefault(code, set()).add(str(path.relative_to(SRC)))
    unknown = {c: sorted(p) for c, p in found.items()
               if not _registered(c)}
    assert not unknown, f"indicator codes missing from the registry: {unknown}"
    assert set(reg.HEADLINE) <= set(found)


def test_nomenclature_agrees_with_the_registry() -> None:
    text = NOMENCLATURE.read_text(encoding="utf-8")
    for code in reg.HEADLINE:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{code}` |"))
        assert reg.indicator(code).name_zh in row


def test_every_indicator_is_fully_described() -> None:
    for i in reg.INDICATORS:
        for text in (i.name_zh, i.name_en, i.unit, i.unit_zh, i.unit_en, i.formula_zh,
                     i.formula_en, i.numerator_zh, i.numerator_en):
            assert text.strip(), i.code
        assert i.sources, i.code
        assert (i.target == "cap") == (i.computed and i.denominator is None), i.code
        if i.denominator:
            assert i.denominator in reg.DENOMINATORS


@pytest.mark.parametrize(("now", "before", "expected"), [
    (110.0, 100.0, 0.10), (90.0, 100.0, -0.10), (0.0, 50.0, -1.0), (7.5, 7.5, 0.0),
])
def test_change(now: float, before: float, expected: float) -> None:
    assert reg.change(now, before) == pytest.approx(expected)


@pytest.mark.parametrize(("now", "before"), [
    (5.0, 0.0), (5.0, -2.0), (None, 1.0), (1.0, None), (None, None), (0.0, 0.0),
])
def test_change_without_a_base_is_none(now: float | None, before: float | None) -> None:
    assert reg.change(now, before) is None


def test_change_is_the_rule_of_yoy_and_quality() -> None:
    from jieneng.core.indicators import change as indicators_change
    from jieneng.core.quality.stats import yoy_change

    assert indicators_change is reg.change and yoy_change is reg.change
    assert math.isclose(reg.change(1.2, 1.0) or 0.0, 0.2)
