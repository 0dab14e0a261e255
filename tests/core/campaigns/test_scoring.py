"""Vectorised scoring: the 示范单位 bands against the province's same-type average
(ratio of sums over the 12 months before evaluation), full points for a 节水型单位,
pass rules (minimum, ★ veto, a block that must be met), grades, conditions by
category, ranking within a group, and a self-assessment over the maximum refused."""

from __future__ import annotations

import numpy as np
import pytest

from jieneng.core.campaigns.scoring import (
    Population,
    group_ids,
    peer_average,
    rank_within,
    score,
    window_before,
)
from jieneng.core.campaigns.shipped import shipped
from jieneng.core.campaigns.validate import check_scheme
from jieneng.core.exceptions import ValidationFailed
from tests.core.campaigns.test_scheme_checks import GOOD, table

NAN = np.nan


def test_the_window_is_the_twelve_months_before_evaluation() -> None:
    assert window_before(2025, 3) == ((2024, 3), (2025, 2))
    assert window_before(2025, 1) == ((2024, 1), (2024, 12))


def test_the_peer_average_is_a_ratio_of_sums() -> None:
    energy = np.array([100.0, 300.0, 50.0, NAN, 10.0])
    area = np.array([100.0, 100.0, 100.0, 100.0, 0.0])
    groups = np.array([0, 0, 1, 1, 1])
    avg = peer_average(energy, area, groups)
    # group 0: 400/200 = 2 (not the mean of 1 and 3 per m²… equal here), group 1: 50/100
    assert avg.tolist() == [2.0, 2.0, 0.5, 0.5, 0.5]
    weighted = peer_average(np.array([100.0, 300.0]), np.array([100.0, 300.0]),
                            np.array([0, 0]))
    assert weighted.tolist() == [1.0, 1.0]  # Σ/Σ, never the mean of ratios


def test_group_ids_of_province_and_type() -> None:
    ids = group_ids(np.array(["45", "45", "44", "45"]), np.array(["01", "021", "01", "01"]))
    assert ids[0] == ids[3] and len(set(ids.tolist())) == 3


def demo_population(ratios: list[float], *, water_unit: list[bool] | None = None,
                    ) -> Population:
    n = len(ratios)
    figures = {m: np.array(ratios) for m in (
        "energy_per_area_kgce_m2", "energy_per_capita_kgce", "water_per_capita_m3")}
    peers = {m: np.ones(n) for m in figures}
    flags = {"water_saving_unit": np.array(water_unit or [False] * n),
             "targets_met_2y": np.ones(n)}
    return Population(n, figures={**figures, "targets_met_2y": np.ones(n)}, peers=peers,
                      flags=flags)


def test_demonstration_unit_bands_at_their_edges() -> None:
    unit = shipped("demonstration_unit")
    ratios = [0.5, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.21, NAN]
    got = score(unit, demo_population(ratios, water_unit=[False] * 8 + [True]))
    per_area = got.items[:, got.codes.index("energy.per_area")]
    assert per_area.tolist() == [7, 7, 6, 6, 5, 5, 4, 0, 0]
    assert got.missing[:, got.codes.index("energy.per_area")].tolist() == [False] * 8 + [True]
    water = got.items[:, got.codes.index("energy.water_per_capita")]
    assert water[-1] == 7  # already a 节水型单位: full points although the figure is missing
    assert got.blocks["energy"].tolist()[0] == 35
    assert not got.passed.any()  # 35 + nothing self-assessed < 85


def test_pass_veto_and_grades_with_manual_scores() -> None:
    scheme = check_scheme(table(*GOOD))
    n = 4
    pop = Population(n, figures={"energy_per_area_kgce_m2": np.array([0.8, 1.0, 1.2, 0.8]),
                                 "targets_met": np.array([1.0, 1.0, 0.0, 1.0])},
                     peers={"energy_per_area_kgce_m2": np.ones(n)},
                     manual={"management": np.array([6.0, 5.0, 6.0, NAN])})
    got = score(scheme, pop)
    assert got.total.tolist() == [20, 16, 6, 14]
    assert got.vetoed.tolist() == [False, False, True, False]  # ★ per-area at 0
    assert got.passed.tolist() == [True, True, False, False]
    assert got.grade_code().tolist() == ["A", "", "", ""]


def test_a_self_assessment_over_the_maximum_is_refused() -> None:
    scheme = check_scheme(table(*GOOD))
    pop = Population(3, manual={"management": np.array([6.0, 6.5, 7.0])})
    with pytest.raises(ValidationFailed) as caught:
        score(scheme, pop)
    assert caught.value.code == "campaign_score_over_maximum"
    assert "2 个单位" in caught.value.message_zh and "0–6" in caught.value.message_zh
    with pytest.raises(ValidationFailed) as computed:
        score(scheme, Population(1, manual={"energy.targets": np.array([7.0])}))
    assert computed.value.code == "campaign_score_computed_item"


def test_entry_conditions_by_category_and_block_met() -> None:
    green = shipped("green_low_carbon")
    cats = np.array(["01", "021", "021"])
    pop = Population(
        3, categories=cats,
        figures={"conservation_organ_title": np.array([1.0, 0.0, 0.0]),
                 "energy_tce": np.array([10.0, 800.0, 300.0]),
                 "quota_guide_ratio_2y": np.array([0.9, 0.95, 0.8]),
                 "targets_met": np.ones(3)},
        manual={"entry.procurement": np.ones(3), "entry.best_in_class": np.ones(3)})
    got = score(green, pop)
    # the organ needs its title, not 500 tce; the others 500 tce, not the title
    assert got.passed.tolist() == [True, True, False]


def test_rank_within_type_and_province() -> None:
    values = np.array([0.8, 0.6, 0.9, 0.7, NAN])
    groups = np.array([0, 0, 0, 1, 1])
    eligible = np.array([True, True, False, True, True])
    assert rank_within(values, groups, eligible).tolist() == [2, 1, 0, 1, 0]


def test_fifty_thousand_institutions_score_quickly() -> None:
    import time

    rng = np.random.default_rng(7)
    n = 50_000
    unit = shipped("demonstration_unit")
    pop = demo_population(rng.uniform(0.6, 1.5, n).tolist())
    start = time.perf_counter()
    got = score(unit, pop)
    assert time.perf_counter() - start < 2.0
    assert got.total.shape == (n,)
