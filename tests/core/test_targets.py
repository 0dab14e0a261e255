"""Decomposition properties, the quota rule, and the pace on constructed seasonal series."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.targets import (
    FLAT,
    Quota,
    QuotaPosition,
    Status,
    decompose,
    project,
    quota_position,
    quota_target,
    seasonal_profile,
)

CODES = [f"4301{n:02d}" for n in range(1, 15)]
bases_st = st.dictionaries(st.sampled_from(CODES), st.floats(0, 1e7, allow_nan=False),
                           min_size=1, max_size=14)


@settings(max_examples=300)
@given(cap=st.floats(0, 1e8, allow_nan=False), bases=bases_st)
def test_sum_never_exceeds_the_cap(cap: float, bases: dict[str, float]) -> None:
    d = decompose(cap, bases)
    assert d.allocated <= d.parent_cap
    assert sum(d.amounts().values()) == d.allocated
    # rounding leaves less than one unit per child unallocated
    assert d.unallocated < Decimal("0.01") * (len(bases) + 1)
    assert all(a.amount >= 0 for a in d.allocations)


@settings(max_examples=300)
@given(cap=st.floats(0, 1e8, allow_nan=False), bases=bases_st)
def test_monotonic_in_the_base(cap: float, bases: dict[str, float]) -> None:
    amounts = decompose(cap, bases).amounts()
    for a in bases:
        for b in bases:
            if bases[a] > bases[b]:
                assert amounts[a] >= amounts[b], (a, b)


@settings(max_examples=200)
@given(cap=st.floats(1, 1e8, allow_nan=False), bases=bases_st, data=st.data())
def test_overrides_are_honoured(cap: float, bases: dict[str, float], data: st.DataObject
                                ) -> None:
    code = data.draw(st.sampled_from(sorted(bases)))
    value = data.draw(st.floats(0, cap, allow_nan=False))
    d = decompose(cap, bases, overrides={code: value})
    assert d.amounts()[code] == Decimal(repr(value))
    assert d.allocated <= d.parent_cap


def test_overrides_above_the_cap_name_the_excess() -> None:
    with pytest.raises(ValidationFailed) as err:
        decompose(100, {"a": 1, "b": 1}, overrides={"a": 80, "b": 30})
    assert err.value.details["excess"] == "10.0"
    assert "超出 10.0" in err.value.message_zh and "by 10.0" in err.value.message_en


def test_proportional_with_factors() -> None:
    # 淄博-style cap of 9.1万 tce split 2:1:1, the first child adjusted down by 0.5
    d = decompose(91000, {"a": 200, "b": 100, "c": 100}, factors={"a": 0.5})
    assert d.amounts() == {"a": Decimal("30333.34"), "b": Decimal("30333.33"),
                           "c": Decimal("30333.33")}
    assert d.allocated == Decimal("91000.00")


def test_bad_inputs() -> None:
    for kwargs in ({"factors": {"z": 1.0}}, {"overrides": {"z": 1.0}},
                   {"factors": {"a": 0.0}}):
        with pytest.raises(ValidationFailed):
            decompose(10, {"a": 1.0}, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        decompose(-1, {"a": 1.0})
    with pytest.raises(ValidationFailed):
        decompose(10, {"a": math.nan})


def test_zero_bases_share_equally() -> None:
    assert decompose(1, {"a": 0, "b": 0, "c": 0}).amounts() == {
        "a": Decimal("0.34"), "b": Decimal("0.33"), "c": Decimal("0.33")}


QUOTA = Quota(constraint=100.0, benchmark=80.0, guide=60.0)


@pytest.mark.parametrize(("value", "position", "target"), [
    (120.0, QuotaPosition.ABOVE_CONSTRAINT, 115.2),        # −4 %
    (100.0, QuotaPosition.BENCHMARK_TO_CONSTRAINT, 98.0),   # the bound: −2 %
    (90.0, QuotaPosition.BENCHMARK_TO_CONSTRAINT, 88.2),
    (70.0, QuotaPosition.GUIDE_TO_BENCHMARK, 70.0),         # hold
    (60.0, QuotaPosition.GUIDE_TO_BENCHMARK, 60.0),
    (50.0, QuotaPosition.BELOW_GUIDE, 51.0),                # +2 % allowed
    (59.5, QuotaPosition.BELOW_GUIDE, 60.0),                # … but stays ≤ 引导值
])
def test_quota_rule(value: float, position: QuotaPosition, target: float) -> None:
    assert quota_position(value, QUOTA) is position
    assert quota_target(value, QUOTA).target == pytest.approx(target)


def test_quota_levels_must_be_ordered() -> None:
    with pytest.raises(ValidationFailed):
        Quota(constraint=50, benchmark=80, guide=60)


# ---------------------------------------------------------------- pace

#: A heating-dominated shape: winter months weigh more than summer ones.
SHAPE = [14, 12, 9, 7, 6, 6, 7, 7, 6, 7, 9, 10]


def _year(scale: float) -> list[float | None]:
    return [v * scale for v in SHAPE]


def test_seasonal_profile_and_flat_fallback() -> None:
    profile = seasonal_profile({2022: _year(10), 2023: _year(11)})
    assert profile.years == 2
    assert profile.shares[0] == pytest.approx(14 / sum(SHAPE))
    assert math.fsum(profile.shares) == pytest.approx(1.0)
    incomplete: list[float | None] = [*_year(10)[:11], None]
    assert seasonal_profile({2023: incomplete}) is FLAT


def test_projection_uses_the_season_not_twelfths() -> None:
    history = {2022: _year(10), 2023: _year(10)}
    cap = sum(SHAPE) * 10.0  # last year's total
    # the same pace as last year: on track, although January-February alone are
    # 22 % of the year (a flat 1/12 pace would call it over-spending)
    now = project(cap, _year(10)[:2], history)
    assert now.status is Status.ON_TRACK
    assert now.projected == pytest.approx(cap)
    assert now.allowance == pytest.approx((14 + 12) * 10.0)
    # 10 % more than last year's pace: projected over the cap
    fast = project(cap, _year(11)[:2], history)
    assert fast.status is Status.AT_RISK
    assert fast.projected == pytest.approx(cap * 1.1)
    # over the cap already
    assert project(cap, _year(30)[:6], history).status is Status.OVER


def test_projection_range_from_each_year() -> None:
    warm = [v if i > 1 else v * 0.5 for i, v in enumerate(_year(10))]  # a mild winter
    history = {2022: _year(10), 2023: warm}
    p = project(1000.0, _year(10)[:2], history)
    assert p.low is not None and p.high is not None and p.projected is not None
    assert p.low < p.projected < p.high
    with pytest.raises(ValidationFailed):
        project(10.0, [], history)
