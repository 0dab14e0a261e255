"""Scheme tables: the shipped schemes pass their checks; bad tables are refused with
the row, the column and a stable code (issue 14 §2 "Bad input")."""

from __future__ import annotations

from typing import cast

import pytest

from jieneng.core.campaigns.scheme import RuleKind, Status
from jieneng.core.campaigns.shipped import SHIPPED, rows_of, shipped, shipped_text, to_csv
from jieneng.core.campaigns.validate import SchemeInvalid, build_scheme, check_scheme

HEADER = "kind,code,parent,name_zh,name_en,points,rule,measure,basis,compare,lower,upper,value,veto"


def table(*lines: str) -> list[dict[str, str | None]]:
    return cast(list[dict[str, str | None]], rows_of("\n".join((HEADER, *lines)) + "\n"))


GOOD = (
    "scheme,local,,本地方案,local,20,,,,,,,,",
    "block,energy,,能源,energy,14,,,,,,,,",
    "item,energy.per_area,energy,单位面积能耗,per area,7,band,energy_per_area_kgce_m2,peer,,,,,★",
    "band,,energy.per_area,,,7,,,,,,0.9,,",
    "band,,energy.per_area,,,4,,,,,0.9,1.1,,",
    "band,,energy.per_area,,,0,,,,,1.1,,,",
    "item,energy.targets,energy,目标,targets,7,computed,targets_met,,>=1,,,,",
    "item,management,,管理,management,6,checklist,,,,,,,",
    "pass,min_score,,,,,,,,,,,15,",
    "pass,veto,,,,,,,,,,,,",
    "grade,A,,优秀,excellent,,,,,,18,,,",
)


def codes(lines: tuple[str, ...]) -> list[tuple[int | None, str | None, str]]:
    scheme, problems = build_scheme(table(*lines))
    assert scheme is None
    return [(p.row, p.column, p.code) for p in problems]


def test_every_shipped_scheme_is_valid_and_states_its_source() -> None:
    for code in SHIPPED:
        scheme = shipped(code)
        assert scheme.code == code and scheme.source
        assert all(n.source or n.status is Status.CONVENTION or scheme.source for n in
                   scheme.nodes)


def test_demonstration_unit_has_the_reference_bands_and_pass_rule() -> None:
    unit = shipped("demonstration_unit")
    assert unit.total == 110 and unit.node("energy").points == 35
    per_area = unit.node("energy.per_area")
    assert per_area.rule is RuleKind.BAND and per_area.measure == "energy_per_area_kgce_m2"
    assert [(b.upper, b.points) for b in per_area.bands] == [
        (0.9, 7), (1.0, 6), (1.1, 5), (1.2, 4), (None, 0)]
    assert unit.node("energy.water_per_capita").full_if == "water_saving_unit"
    assert [(p.kind.value, p.value) for p in unit.pass_rules] == [("min_score", 85),
                                                                  ("veto", None)]
    assert unit.param("window_months") == "12"


def test_water_saving_unit_is_technical_40_and_management_60_pass_90() -> None:
    unit = shipped("water_saving_unit")
    assert unit.node("tech").points == 40 and unit.node("management").points == 60
    assert any(p.kind.value == "min_score" and p.value == 90 for p in unit.pass_rules)


def test_canteen_scheme_carries_the_sampling_rule() -> None:
    canteen = shipped("canteen_food_waste")
    assert canteen.param("sample_rate") == "0.35"
    assert canteen.param("full_coverage_years") == "3"
    assert canteen.param("self_assessment") == "quarterly"


def test_a_scheme_round_trips_through_its_canonical_rows() -> None:
    for code in SHIPPED:
        again = check_scheme(rows_of(to_csv(shipped(code).to_rows())))
        assert again.to_rows() == shipped(code).to_rows()
    assert check_scheme(rows_of(shipped_text("demonstration_unit"))) == shipped(
        "demonstration_unit")


def test_a_good_local_table() -> None:
    scheme = check_scheme(table(*GOOD))
    assert [i.code for i in scheme.items] == ["energy.per_area", "energy.targets", "management"]
    assert scheme.node("energy.per_area").veto


def test_points_that_do_not_add_up() -> None:
    bad = list(GOOD)
    bad[1] = "block,energy,,能源,energy,15,,,,,,,,"
    assert (3, "points", "campaign_points_mismatch") in codes(tuple(bad))
    bad = list(GOOD)
    bad[0] = "scheme,local,,本地方案,local,25,,,,,,,,"
    assert codes(tuple(bad)) == [(2, "points", "campaign_total_mismatch")]


def test_a_pass_rule_naming_a_missing_item() -> None:
    found = codes((*GOOD, "pass,block_met,nowhere,,,,,,,,,,,"))
    assert found == [(13, "parent", "campaign_pass_target_missing")]


def test_duplicated_codes_and_a_parent_not_above() -> None:
    found = codes((*GOOD, "item,management,,管理2,m2,0,checklist,,,,,,,",
                   "item,orphan,nothing,孤儿,orphan,0,checklist,,,,,,,"))
    assert (13, "code", "campaign_duplicate_code") in found
    assert (14, "parent", "campaign_parent_missing") in found


def test_bands_not_monotone_or_not_contiguous() -> None:
    bad = list(GOOD)
    bad[4] = "band,,energy.per_area,,,8,,,,,0.9,1.1,,"
    found = codes(tuple(bad))
    assert (5, "points", "campaign_bands_not_monotone") in found
    assert (4, "points", "campaign_band_points_mismatch") in found  # the best band is 8
    gap = list(GOOD)
    gap[5] = "band,,energy.per_area,,,0,,,,,1.2,,,"
    assert codes(tuple(gap)) == [(7, "lower", "campaign_bands_not_contiguous")]


def test_unknown_rule_measure_and_comparison() -> None:
    bad = list(GOOD)
    bad[6] = "item,energy.targets,energy,目标,targets,7,computed,nonsense,,about 1,,,,"
    found = codes(tuple(bad))
    assert (8, "measure", "campaign_measure_unknown") in found
    assert (8, "compare", "campaign_compare_invalid") in found
    bad[6] = "item,energy.targets,energy,目标,targets,7,guess,,,,,,,"
    assert (8, "rule", "campaign_rule_unknown") in codes(tuple(bad))


def test_the_refusal_names_row_column_and_problem_in_both_languages() -> None:
    bad = list(GOOD)
    bad[1] = "block,energy,,能源,energy,15,,,,,,,,"
    with pytest.raises(SchemeInvalid) as caught:
        check_scheme(table(*bad), name="local.csv")
    err = caught.value
    assert err.code == "campaign_scheme_invalid"
    assert "local.csv" in err.message_zh and "第 3 行" in err.message_zh
    assert "15" in err.message_zh and "14" in err.message_zh
    assert "row 3" in err.message_en and "block \"energy\" has 15 points" in err.message_en
    assert len(err.problems) == 2  # the block, and so the total
