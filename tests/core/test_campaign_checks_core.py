"""The pure rules of spot checks, 公示, titles, 回头看 and coverage: the sampling rule
read from the scheme, a request below its rate refused naming the rule, the rate asked
and the minimum; the draw reproducible and preferring the members not checked; the
publicity period and a title's validity; the re-check moves; coverage rates as data."""

from __future__ import annotations

from datetime import date

import pytest

from jieneng.core.campaigns.checks import (
    RecheckState,
    check_rate,
    draw,
    pick_titles,
    procedure,
    publicity_end,
    recheck_move,
    rectification_deadline,
    sample_size,
    sampling_rule,
    valid_until,
    window_start_year,
)
from jieneng.core.campaigns.coverage import COUNTS, populations, rate_values, rates
from jieneng.core.campaigns.shipped import SHIPPED, shipped
from jieneng.core.exceptions import ValidationFailed

CANTEEN = sampling_rule("canteen_food_waste", shipped("canteen_food_waste").params)


def test_the_canteen_rule_is_the_schemes_data() -> None:
    assert CANTEEN.rate == 0.35 and CANTEEN.full_coverage_years == 3
    assert window_start_year(2026, CANTEEN) == 2024
    assert sampling_rule("x", {}).rate is None


def test_a_rate_below_the_rule_is_refused_naming_rule_rate_and_minimum() -> None:
    with pytest.raises(ValidationFailed) as err:
        check_rate(CANTEEN, 0.3)
    assert err.value.code == "check_rate_below_rule"
    assert err.value.details == {"scheme": "canteen_food_waste", "rate": 0.3,
                                 "minimum": 0.35, "field": "rate"}
    assert "0.35" in err.value.message_zh and "0.3" in err.value.message_en
    for bad in (0, 1.5, float("nan")):
        with pytest.raises(ValidationFailed):
            check_rate(CANTEEN, bad)
    assert check_rate(CANTEEN, 0.35) == 0.35 and check_rate(CANTEEN, 1) == 1.0


def test_the_draw_is_reproducible_and_prefers_the_unchecked() -> None:
    population = range(1, 101)
    first = draw(population, rate=0.35, seed=42)
    assert first.size == 35 == len(first.sample) and first.population == 100
    assert draw(reversed(population), rate=0.35, seed=42) == first  # order does not matter
    assert draw(population, rate=0.35, seed=43).sample != first.sample
    second = draw(population, rate=0.35, seed=7, checked_before=first.sample)
    assert not set(second.sample) & set(first.sample) and len(second.preferred) == 35
    both = set(first.sample) | set(second.sample)
    third = draw(population, rate=0.35, seed=9, checked_before=both)
    assert set(third.sample) >= set(population) - both  # all within three years
    assert len(third.preferred) == 30 and third.size == 35
    assert sample_size(3, 0.35) == 2 and sample_size(0, 0.35) == 0


def test_publicity_validity_and_deadlines() -> None:
    assert procedure()["publicity_days"].status == "convention"
    assert publicity_end(date(2025, 6, 1)) == date(2025, 6, 7)  # 7 days (convention)
    assert publicity_end(date(2025, 6, 1), 5) == date(2025, 6, 5)
    with pytest.raises(ValidationFailed):
        publicity_end(date(2025, 6, 1), 0)
    assert valid_until(date(2024, 3, 1), {"validity_years": "3"}) == date(2027, 2, 28)
    assert valid_until(date(2024, 2, 29), {"validity_years": "1"}) == date(2025, 2, 27)
    assert valid_until(date(2024, 3, 1), {"validity_years": ""}) is None
    assert rectification_deadline(date(2025, 3, 1)) == date(2025, 3, 31)


def test_recheck_moves() -> None:
    assert recheck_move("pending", "fail") is RecheckState.RECTIFYING
    assert recheck_move("rectifying", "rectified") is RecheckState.RECTIFIED
    assert recheck_move("rectifying", "revoke") is RecheckState.REVOKED
    with pytest.raises(ValidationFailed) as err:
        recheck_move("passed", "revoke")
    assert err.value.code == "check_recheck_move"
    assert pick_titles([5, 3, 9], share=None, seed=0) == [3, 5, 9]
    assert pick_titles(range(10), share=0.2, seed=1) == pick_titles(range(10), share=0.2,
                                                                    seed=1)


def test_coverage_rates_are_data_with_sources() -> None:
    codes = [r.code for r in rates()]
    assert codes == ["compliance_rate", "creation_rate", "self_assessment_rate",
                     "spot_check_rate", "recheck_pass_rate"]
    assert all(r.source or r.status == "convention" for r in rates())
    assert all(r.status in ("found", "partial", "convention") for r in rates())
    assert all(r.numerator in COUNTS and r.denominator in COUNTS for r in rates())
    assert set(populations()) <= set(SHIPPED)
    counts = dict.fromkeys(COUNTS, 0) | {"eligible": 20, "titles_held": 17, "members": 10,
                                         "self_assessed": 10, "spot_checked": 4}
    got = rate_values(counts)
    assert got["compliance_rate"] == 0.85 and got["self_assessment_rate"] == 1.0
    assert got["spot_check_rate"] == 0.4 and got["recheck_pass_rate"] is None


def test_a_later_batch_counts_toward_the_years_total_and_never_redraws() -> None:
    """A second draw of the year: the minimum applies to the total (the earlier share +
    the rate asked), the earlier batch is never drawn again, the same seed over the same
    population and earlier batches gives the same sample."""
    with pytest.raises(ValidationFailed) as short:
        check_rate(CANTEEN, 0.1, drawn_share=0.2)
    assert short.value.code == "check_total_below_rule"
    assert short.value.details["total"] == 0.3 and short.value.details["minimum"] == 0.35
    assert "0.3" in short.value.message_zh and "0.35" in short.value.message_en
    assert check_rate(CANTEEN, 0.1, drawn_share=0.35) == 0.1  # the minimum is reached
    population = range(1, 21)
    first = draw(population, rate=0.35, seed=5)
    later = draw(population, rate=0.2, seed=5, drawn=first.sample)
    assert later.size == 4 and not set(later.sample) & set(first.sample)
    assert later.population == 20 and later.digest == first.digest  # the same population
    assert draw(population, rate=0.2, seed=5, drawn=first.sample) == later
    rest = draw(population, rate=1, seed=9, drawn=set(first.sample) | set(later.sample))
    assert rest.size == 9 and set(rest.sample) | set(first.sample) | set(later.sample) == set(
        population)

