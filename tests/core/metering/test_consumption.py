"""Readings → interval consumption, worked by hand.

Every case states its readings, the expected intervals and why. Times are Asia/Shanghai;
the meters read every 15 minutes unless said otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering import (
    ConsumptionOptions,
    Flag,
    GapPolicy,
    Meter,
    MeterEvent,
    Multiplier,
    RegisterKind,
    interval_consumption,
)

from .conftest import at

NAN = np.nan
Q = 900  # 15 min


def times(first: str, count: int, step: int = Q) -> np.ndarray:
    return at(first) + step * np.arange(count)


def codes(result: object) -> list[str]:
    return [f.code for f in result.findings]  # type: ignore[attr-defined]


@pytest.mark.reference(source="HA tests/components/sensor/test_recorder.py "
                              "(aesthetics.md §5.4): sums 10 → 50 → 80 with reset detection")
def test_home_assistant_reset_vector() -> None:
    """HA's vector, three 5-min periods of three readings: [10 15 20 | 10 30 40 | 50 60 70].
    20 → 10 is a reset: the new cycle counts from 0. With the dip rule off (window 0) the
    per-period sums are HA's; with the default window 10 → 30 comes back above 20 within
    3 readings, so 10 is taken as a dip instead (our documented choice: total 60)."""
    meter = Meter("HA", "electricity", interval_s=300)
    ts = times("2026-01-01 00:05", 9, 300)
    values = [10, 15, 20, 10, 30, 40, 50, 60, 70]
    ha = interval_consumption(meter, ts, values, options=ConsumptionOptions(glitch_window=0))
    assert_allclose(ha.intervals.energy, [5, 5, 10, 20, 10, 10, 10, 10])
    sums = np.cumsum(ha.intervals.energy)
    assert_allclose(sums[[1, 4, 7]], [10, 50, 80])
    assert codes(ha) == ["metering.counter_reset"]
    ours = interval_consumption(meter, ts, values)
    assert ours.intervals.total() == pytest.approx(60)
    assert codes(ours)[0] == "metering.dip_removed"


@pytest.mark.reference(source="HA small-dip vector: sums 10 → 30 → 60 (dips < 10 % are not resets)")
@pytest.mark.parametrize("window", [0, 3])
def test_home_assistant_small_dip_vector(window: int) -> None:
    meter = Meter("HA", "electricity", interval_s=300)
    result = interval_consumption(meter, times("2026-01-01 00:05", 9, 300),
                                  [10, 15, 20, 19, 30, 40, 39, 60, 70],
                                  options=ConsumptionOptions(glitch_window=window))
    sums = np.cumsum(result.intervals.energy)
    assert_allclose(sums[[1, 4, 7]], [10, 30, 60])
    assert "metering.counter_reset" not in codes(result)


def test_reset_in_the_middle_counts_from_zero() -> None:
    """1000 1010 1020 | 3 8 13: the drop to 3 stays (no return within 3 readings) and is
    below 90 % of 1020 → reset; steps 10, 10, 3 (from 0), 5, 5 = 33."""
    meter = Meter("R", "electricity")
    result = interval_consumption(meter, times("2026-03-01 00:00", 6),
                                  [1000, 1010, 1020, 3, 8, 13])
    assert_allclose(result.intervals.energy, [10, 10, 3, 5, 5])
    assert result.intervals.flags[2] == Flag.RESET
    [finding] = result.findings
    assert (finding.code, finding.value, finding.previous) == ("metering.counter_reset", 3, 1020)
    assert finding.ts == at("2026-03-01 00:45")


def test_rollover_at_99999_9() -> None:
    """A 5-digit register with one decimal wraps after 99999.9: 99999.0 → 99999.6 → 0.3
    → 1.0 is 0.6, (100000 − 99999.6) + 0.3 = 0.7, 0.7; × 倍率 40."""
    meter = Meter("RO", "electricity", multiplier=Multiplier(ct=40), register_digits=5)
    result = interval_consumption(meter, times("2026-03-01 00:00", 4),
                                  [99999.0, 99999.6, 0.3, 1.0])
    assert_allclose(result.intervals.energy, [24, 28, 28])
    assert result.intervals.total() == pytest.approx((100_000 - 99_999.0 + 1.0) * 40)
    assert result.intervals.flags[1] == Flag.ROLLOVER
    assert codes(result) == ["metering.rollover"]


def test_without_register_digits_a_wrap_is_a_reset() -> None:
    meter = Meter("RO", "electricity")
    result = interval_consumption(meter, times("2026-03-01 00:00", 4),
                                  [99999.0, 99999.6, 0.3, 1.0])
    assert_allclose(result.intervals.energy, [0.6, 0.3, 0.7])
    assert codes(result) == ["metering.counter_reset"]


def test_replacement_keeps_history_continuous() -> None:
    """Old meter (CT 200/5 → 40) reads 500.0 at 00:00, 500.5 at 00:15 and is replaced at
    00:20 with a final 500.6; the new one (CT 300/5 → 60) starts at 0.0, reads 0.2 at
    00:30 and 0.7 at 00:45. Intervals: 00:00–15 0.5×40 = 20; 00:15–30 0.1×40 + 0.2×60 =
    16; 00:30–45 0.5×60 = 30. No step is taken across the replacement."""
    meter = Meter("RP", "electricity", multiplier=Multiplier(ct=40))
    swap = MeterEvent.replace(at("2026-03-01 00:20"), final=500.6, initial=0.0,
                              multiplier=Multiplier(ct=60))
    result = interval_consumption(
        meter, [at("2026-03-01 00:00"), at("2026-03-01 00:15"), at("2026-03-01 00:30"),
                at("2026-03-01 00:45")], [500.0, 500.5, 0.2, 0.7], events=[swap])
    assert_allclose(result.intervals.energy, [20, 16, 30])
    assert_array_equal(result.intervals.flags, [0, Flag.REPLACEMENT, 0])
    assert result.intervals.total() == pytest.approx(0.6 * 40 + 0.7 * 60)
    assert result.findings == ()


def test_readings_outside_the_installation_are_flagged_not_used() -> None:
    meter = Meter("IN", "electricity")
    events = [MeterEvent.install(at("2026-03-01 00:00"), initial=10.0),
              MeterEvent.remove(at("2026-03-01 00:30"), final=12.5)]
    result = interval_consumption(
        meter, [at("2026-02-28 23:45"), at("2026-03-01 00:15"), at("2026-03-01 00:45")],
        [9.0, 11.0, 13.0], events=events)
    assert_allclose(result.intervals.energy, [1.0, 1.5])  # 10 → 11, 11 → 12.5 (final)
    assert codes(result) == ["metering.outside_installation"] * 2


@pytest.mark.parametrize(("policy", "expected", "flags", "code"), [
    (GapPolicy.SPREAD, [3, 3, 3, 3, 1], [Flag.SPREAD] * 4 + [0], "metering.gap_spread"),
    (GapPolicy.FLAG, [NAN, NAN, NAN, 12, 1], [0, 0, 0, Flag.AFTER_GAP, 0], "metering.gap_kept"),
])
def test_a_gap_is_missing_never_zero(policy: GapPolicy, expected: list[float],
                                     flags: list[int], code: str) -> None:
    """Readings 100 at 00:15, 112 at 01:15, 113 at 01:30: no reading closes the intervals
    00:30, 00:45, 01:00. Spread: 12 over the four intervals 00:15–01:15, 3 each (flagged
    estimated). Flag: the three are missing and 01:00–01:15 holds 12."""
    meter = Meter("G", "electricity")
    result = interval_consumption(
        meter, [at("2026-03-01 00:15"), at("2026-03-01 01:15"), at("2026-03-01 01:30")],
        [100, 112, 113], options=ConsumptionOptions(gap_policy=policy))
    assert result.intervals.start[0] == at("2026-03-01 00:15")
    assert_allclose(result.intervals.energy, expected)
    assert_array_equal(result.intervals.flags, flags)
    [finding] = result.findings
    assert (finding.code, finding.count) == (code, 3)


def test_a_long_gap_beyond_the_spread_limit_is_kept() -> None:
    meter = Meter("G", "electricity")
    result = interval_consumption(
        meter, [at("2026-03-01 00:15"), at("2026-03-01 01:15")], [100, 112],
        options=ConsumptionOptions(max_spread_intervals=2))
    assert_allclose(result.intervals.energy, [NAN, NAN, NAN, 12])
    assert codes(result) == ["metering.gap_kept"]


def test_duplicates_are_idempotent_and_conflicts_flagged() -> None:
    meter = Meter("D", "electricity")
    ts = times("2026-03-01 00:00", 4)
    once = interval_consumption(meter, ts, [100, 101, 102, 104])
    twice = interval_consumption(meter, np.r_[ts, ts[::-1]], [100, 101, 102, 104,
                                                            104, 102, 101, 100])
    assert_array_equal(once.intervals.energy, twice.intervals.energy)
    assert_array_equal(once.intervals.start, twice.intervals.start)
    assert twice.findings == ()
    corrected = interval_consumption(meter, np.r_[ts, ts[1]], [100, 101, 102, 104, 101.5])
    assert_allclose(corrected.intervals.energy, [1.5, 0.5, 2])  # the last received wins
    assert corrected.intervals.flags[0] == Flag.CONFLICT
    [finding] = corrected.findings
    assert (finding.code, finding.value, finding.previous) == (
        "metering.duplicate_conflict", 101.5, 101)  # kept, the other
    fixed_back = interval_consumption(meter, np.r_[ts, ts[1]], [100, 101.5, 102, 104, 101])
    assert (fixed_back.findings[0].value, fixed_back.findings[0].previous) == (101, 101.5)
    invalid = interval_consumption(meter, ts, [100, NAN, 102, 104])
    assert_allclose(invalid.intervals.energy, [1, 1, 2])
    assert codes(invalid) == ["metering.invalid_reading", "metering.gap_spread"]
    negative = interval_consumption(meter, ts, [100, 101, -1, 104])  # an error code as value
    assert_allclose(negative.intervals.energy, [1, 1.5, 1.5])
    assert codes(negative) == ["metering.negative_reading", "metering.gap_spread"]


def test_a_brief_zero_is_not_a_fake_spike() -> None:
    """1000 1010 0 1020 1030: HA would count a reset and 1020 of fake consumption; the 0
    comes back within 3 readings, so it is set aside and 1010 → 1020 spread over two."""
    meter = Meter("Z", "electricity")
    result = interval_consumption(meter, times("2026-03-01 00:00", 5), [1000, 1010, 0, 1020,
                                                                          1030])
    assert_allclose(result.intervals.energy, [10, 5, 5, 10])
    assert result.intervals.flags[1] == Flag.READING_REMOVED | Flag.SPREAD
    assert codes(result) == ["metering.dip_removed", "metering.gap_spread"]
    assert (result.findings[0].value, result.findings[0].previous) == (0, 1010)


def test_a_single_spike_is_set_aside() -> None:
    meter = Meter("S", "electricity")
    result = interval_consumption(meter, times("2026-03-01 00:00", 5),
                                  [1000, 1010, 999_999, 1020, 1030])
    assert_allclose(result.intervals.energy, [10, 5, 5, 10])
    assert codes(result)[0] == "metering.spike_removed"


def test_a_lasting_small_drop_is_held_at_the_maximum() -> None:
    """1000 1010 995 996 997 998 1012: 995 is 1.5 % below 1010 (no reset) and does not come
    back within 3 readings: a negative step, flagged; nothing counts until 1010 is passed,
    so the total stays 1012 − 1000 = 12."""
    meter = Meter("N", "electricity")
    result = interval_consumption(meter, times("2026-03-01 00:00", 7),
                                  [1000, 1010, 995, 996, 997, 998, 1012])
    assert_allclose(result.intervals.energy, [10, 0, 0, 0, 0, 2])
    assert result.intervals.flags[1] == Flag.NEGATIVE_STEP
    assert codes(result) == ["metering.negative_step"]
    jitter = interval_consumption(meter, times("2026-03-01 00:00", 4), [1000, 1001, 1000.95,
                                                                          1002],
                                  options=ConsumptionOptions(tolerance=0.1))
    assert_allclose(jitter.intervals.energy, [1, 0, 1])
    assert jitter.findings == ()


def test_multiplier_unit_and_max_rate() -> None:
    """A register in MWh behind CT 200/5: 1.000 → 1.001 MWh is 0.001 × 40 × 1000 = 40 kWh in
    15 min = 160 kWh/h, above a max rate of 100 kWh/h: kept and flagged."""
    meter = Meter("U", "electricity", multiplier=Multiplier(ct=40), unit="MWh", max_rate=100)
    result = interval_consumption(meter, times("2026-03-01 00:00", 3), [1.000, 1.001, 1.0015])
    assert_allclose(result.intervals.energy, [40, 20])
    assert_array_equal(result.intervals.flags, [Flag.RATE_EXCEEDED, 0])
    assert codes(result) == ["metering.rate_exceeded"]


def test_interval_register() -> None:
    """The grid's daily kWh, stamped at local midnight: day 2 missing, day 3 negative
    (refused, flagged), × 倍率 2."""
    meter = Meter("DAY", "electricity", register=RegisterKind.INTERVAL, interval_s=86_400,
                  multiplier=Multiplier(ct=2))
    days = [at("2026-03-01 00:00"), at("2026-03-03 00:00"), at("2026-03-04 00:00")]
    result = interval_consumption(meter, days, [100, -5, 120])
    assert_array_equal(result.intervals.start, [at(f"2026-03-0{d} 00:00") for d in (1, 2, 3, 4)])
    assert_allclose(result.intervals.energy, [200, NAN, NAN, 240])
    assert_array_equal(result.intervals.flags, [0, 0, Flag.REJECTED, 0])
    assert codes(result) == ["metering.negative_interval"]


def test_large_series_is_vectorised_and_exact() -> None:
    """One year of 15-minute readings (35,040) with a reset and a gap of ten readings: the
    reading after the reset is counted from 0, so the total is every step's energy."""
    meter = Meter("Y", "electricity")
    n = 35_040
    rng = np.random.default_rng(12)
    steps = rng.uniform(0, 2, n)
    register = 5000 + np.cumsum(steps)
    register[20_000:] -= register[19_999]  # a reset to 0 before reading 20,000
    ts = times("2026-01-01 00:00", n)
    keep = np.ones(n, bool)
    keep[30_000:30_010] = False  # a gap of ten readings
    result = interval_consumption(meter, ts[keep], register[keep])
    assert register[20_000] == pytest.approx(steps[20_000])
    assert result.intervals.total() == pytest.approx(steps[1:].sum(), rel=1e-12)
    assert len(result.intervals) == n - 1
    assert "metering.counter_reset" in codes(result)


def test_options_are_checked() -> None:
    with pytest.raises(ValidationFailed, match=r"reset_ratio = 1\.5 超出允许范围"):
        ConsumptionOptions(reset_ratio=1.5)
    with pytest.raises(ValidationFailed, match="3 个时间，2 个读数"):
        interval_consumption(Meter("X", "electricity"), [1, 2, 3], [1, 2])


@pytest.mark.parametrize("cut", [2, 3, 4, 5])
def test_continuing_from_the_carry_equals_deriving_at_once(cut: int) -> None:
    """1000 1010 995 996 997 998 1012 (a negative step held at 1010), derived in two
    windows: the second starts from the first's carry (its last reading, held at level
    1010), so 996 → 1012 does not count 16 but 2, as when derived at once."""
    meter = Meter("N", "electricity")
    ts = times("2026-03-01 00:00", 7)
    values = np.array([1000, 1010, 995, 996, 997, 998, 1012], float)
    whole = interval_consumption(meter, ts, values)
    first = interval_consumption(meter, ts[:cut], values[:cut])
    assert first.carry is not None and first.carry.level == 1010
    second = interval_consumption(meter, ts, values, carry=first.carry)  # earlier ones ignored
    joined = np.r_[first.intervals.energy, second.intervals.energy]
    assert_allclose(joined, whole.intervals.energy)
    assert second.carry == whole.carry
    plain = interval_consumption(meter, ts[cut - 1:], values[cut - 1:])
    if values[cut - 1] < 1010:  # without the carry the window forgets the held maximum
        assert plain.intervals.total() > second.intervals.total()
