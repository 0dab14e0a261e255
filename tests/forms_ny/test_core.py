"""NY202 / NY203 fields, checks and PUE (pure; reference values)."""

from __future__ import annotations

import pytest

from jieneng.core.forms_ny import (
    DEFAULT_TARGETS,
    PueTargets,
    check_record,
    current,
    pue,
    removed,
)


def test_removed_fields_are_listed_with_their_revision_and_not_current() -> None:
    gone = {f.code: f.removed for f in removed("NY202")}
    assert set(gone) == {"230", "250"}
    assert "2025" in (gone["230"] or "") and "2022" in (gone["250"] or "")
    assert {"230", "250"}.isdisjoint(f.code for f in current("NY202"))
    assert [f.code for f in current("NY203")][:5] == ["301", "3011", "3012", "3013", "302"]


@pytest.mark.parametrize(("total", "it", "expected"), [
    (1_500_000, 1_000_000, 1.50), (1_300_000, 1_000_000, 1.30), (800.0, 500.0, 1.6),
    (1000, 0, None), (1000, None, None), (None, 10, None),
])
def test_pue_reference_values(total: float | None, it: float | None,
                              expected: float | None) -> None:
    got = pue(total, it)
    assert got == (None if expected is None else pytest.approx(expected))


def test_targets_are_data_with_sources_and_configurable() -> None:
    assert (DEFAULT_TARGETS.of("new"), DEFAULT_TARGETS.of("existing")) == (1.3, 1.6)
    assert "1.3" in DEFAULT_TARGETS.source_new and "1.6" in DEFAULT_TARGETS.source_existing
    assert PueTargets(new=1.25, existing=1.5).of("existing") == 1.5


def test_datacentre_checks() -> None:
    ok = {"area": 100.0, "elec_total": 150.0, "elec_it": 100.0, "elec_cooling": 40.0,
          "elec_distribution": 10.0, "cabinets": 10, "cabinets_reserved": 2}
    assert check_record("NY202", ok, month=1) == []
    codes = {p.code for p in check_record("NY202", {**ok, "elec_it": 160.0}, month=1)}
    assert codes == {"it_le_total", "elec_split"}
    assert [p.code for p in check_record("NY202", {**ok, "cabinets_reserved": 11},
                                         month=1)] == ["reserved_le_cabinets"]
    split = {**ok, "power_total": 10.0, "power_it": 8.0, "power_cooling": 3.0}
    assert [p.code for p in check_record("NY202", split, month=1)] == ["power_split"]
    missing = {k: v for k, v in ok.items() if k != "elec_it"}
    assert [(p.field, p.code) for p in check_record("NY202", missing, month=1)] == [
        ("elec_it", "required")]
    assert [p.code for p in check_record("NY202", {**ok, "area": -1.0}, month=1)] == [
        "out_of_bounds"]


def test_heating_checks() -> None:
    ok = {"heated_area": 1000.0, "area_independent": 200.0, "area_central_by_area": 800.0,
          "area_central_by_heat": 0.0, "heating_days": 120}
    assert check_record("NY203", ok, month=0) == []
    assert [p.code for p in check_record("NY203", {**ok, "area_independent": 300.0},
                                         month=0)] == ["area_split"]
    assert [p.code for p in check_record("NY203", {**ok, "heating_days": 367}, month=0)] == [
        "out_of_bounds"]
    assert [p.code for p in check_record("NY203", {**ok, "heating_days": 32}, month=1)] == [
        "out_of_bounds"]
    assert [p.code for p in check_record("NY203", {**ok, "heating_days": 1.5},
                                         month=0)] == ["not_whole"]
