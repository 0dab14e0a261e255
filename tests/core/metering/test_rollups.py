"""Roll-ups in Asia/Shanghai local time and the periods late readings touch."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from jieneng.core.exceptions import ValidationFailed
from jieneng.core.metering import (
    LOCAL_OFFSET_S,
    ConsumptionOptions,
    Flag,
    IntervalSeries,
    Level,
    Meter,
    ReadingSeries,
    RegisterKind,
    changed_periods,
    interval_consumption,
    periods_to_recompute,
    roll_up,
)
from jieneng.core.metering.rollups import period_end, period_start

from .conftest import at

Q = 900


def test_local_time_is_utc_plus_8_without_daylight_saving() -> None:
    """Asia/Shanghai has had no DST since 1991: the fixed offset equals tzdata's for every
    day 1992–2100 (China observed DST 1986–1991, which tzdata knows)."""
    zone = ZoneInfo("Asia/Shanghai")
    days = np.arange(np.datetime64("1992-01-01"), np.datetime64("2100-12-31"), 7)
    offsets = {dt.datetime.fromisoformat(str(d)).replace(hour=12, tzinfo=zone).utcoffset()
               for d in days[::5]}
    assert offsets == {dt.timedelta(seconds=LOCAL_OFFSET_S)}
    assert dt.datetime(1990, 7, 1, tzinfo=zone).utcoffset() == dt.timedelta(hours=9)


def test_period_boundaries_are_local() -> None:
    ts = np.array([at("2026-02-28 23:59"), at("2026-03-01 00:00"), at("2024-02-29 07:59")])
    assert_array_equal(period_start(ts, Level.DAY), [at("2026-02-28 00:00"),
                                                     at("2026-03-01 00:00"),
                                                     at("2024-02-29 00:00")])
    assert_array_equal(period_start(ts, Level.MONTH), [at("2026-02-01 00:00"),
                                                       at("2026-03-01 00:00"),
                                                       at("2024-02-01 00:00")])
    assert_array_equal(period_end(period_start(ts, Level.MONTH), Level.MONTH),
                       [at("2026-03-01 00:00"), at("2026-04-01 00:00"), at("2024-03-01 00:00")])
    assert period_start(np.array([at("2026-03-01 08:59")]), Level.HOUR)[0] == at(
        "2026-03-01 08:00")
    # local midnight is 16:00 UTC the day before
    assert at("2026-03-01 00:00") % 86_400 == 16 * 3600


def test_roll_up_across_a_month_end() -> None:
    """1 kWh per 15 min from 2026-01-31 23:00 to 2026-02-01 01:00 local (8 intervals), the
    one at 00:30 missing: hours 4 / 4 / 3 of 4; days 4 of 96 and 3 of 96; January 4 of
    31 × 96 = 2976, February 3 of 28 × 96 = 2688."""
    start = at("2026-01-31 23:00") + Q * np.arange(8)
    energy = np.ones(8)
    energy[6] = np.nan
    flags = np.zeros(8, np.uint16)
    flags[7] = Flag.SPREAD
    series = IntervalSeries("M", Q, start, energy, flags)
    hours = roll_up(series, Level.HOUR)
    assert_array_equal(hours.start, [at("2026-01-31 23:00"), at("2026-02-01 00:00")])
    assert_allclose(hours.energy, [4, 3])
    assert_array_equal(hours.present, [4, 3])
    assert_array_equal(hours.flags, [0, Flag.SPREAD])
    days = roll_up(series, Level.DAY)
    assert_allclose(days.completeness, [4 / 96, 3 / 96])
    months = roll_up(series, Level.MONTH)
    assert_array_equal(months.start, [at("2026-01-01 00:00"), at("2026-02-01 00:00")])
    assert_allclose(months.energy, [4, 3])
    assert_array_equal(months.expected, [2976, 2688])
    empty = roll_up(IntervalSeries("M", Q, start[:1], np.array([np.nan]),
                                   np.zeros(1, np.uint16)), Level.DAY)
    assert np.isnan(empty.energy[0])  # a period with nothing present is missing, not 0


def test_hourly_roll_up_of_daily_intervals_is_refused() -> None:
    series = IntervalSeries("D", 86_400, np.array([at("2026-03-01 00:00")]), np.ones(1),
                            np.zeros(1, np.uint16))
    with pytest.raises(ValidationFailed, match="不能汇总到 hour"):
        roll_up(series, Level.HOUR)


def _day(values: np.ndarray | None = None) -> ReadingSeries:
    ts = at("2026-03-01 00:00") + Q * np.arange(97)
    return ReadingSeries.of(ts, 100 + np.arange(97.0) if values is None else values)


@pytest.mark.parametrize(("context", "hours"), [(0, ["10:00"]), (3, ["09:00", "10:00"])])
def test_periods_to_recompute_for_a_late_reading(context: int, hours: list[str]) -> None:
    """A reading at 10:07 between 10:00 and 10:15 changes the steps into and out of it,
    both in 10:00–10:15; with the dip/spike window of 3 readings the readings from 09:15
    to 11:00 are consulted, i.e. intervals 09:15 … 10:45."""
    meter = Meter("M", "electricity")
    late = ReadingSeries.of([at("2026-03-01 10:07")], [140.5])
    options = ConsumptionOptions(glitch_window=context)
    touched = periods_to_recompute(meter, _day(), late, Level.HOUR, options)
    assert_array_equal(touched, [at(f"2026-03-01 {h}") for h in hours])
    assert_array_equal(periods_to_recompute(meter, _day(), late, Level.MONTH, options),
                       [at("2026-03-01 00:00")])


def test_a_resend_touches_nothing_and_a_correction_its_neighbours() -> None:
    meter = Meter("M", "electricity")
    stored = _day()
    resend = ReadingSeries.of(stored.ts[40:42], stored.value[40:42])
    assert periods_to_recompute(meter, stored, resend, Level.HOUR).size == 0
    corrected = ReadingSeries.of([at("2026-03-01 10:00")], [141.0])  # was 140
    options = ConsumptionOptions(glitch_window=0)
    assert_array_equal(periods_to_recompute(meter, stored, corrected, Level.HOUR, options),
                       [at("2026-03-01 09:00"), at("2026-03-01 10:00")])


def test_a_late_reading_in_a_gap_touches_the_whole_gap() -> None:
    meter = Meter("M", "electricity")
    stored = ReadingSeries.of([at("2026-03-01 00:15"), at("2026-03-01 03:15")], [100, 112])
    late = ReadingSeries.of([at("2026-03-01 01:40")], [105])
    touched = periods_to_recompute(meter, stored, late, Level.HOUR,
                                   ConsumptionOptions(glitch_window=0))
    assert_array_equal(touched, [at(f"2026-03-01 0{h}:00") for h in range(4)])


def test_late_readings_change_only_the_periods_returned() -> None:
    """Derive before and after the late readings: what changed (exactly) is inside what
    :func:`periods_to_recompute` said, for several late readings at once."""
    meter = Meter("M", "electricity")
    rng = np.random.default_rng(3)
    ts = at("2026-03-01 00:00") + Q * np.arange(2000)
    values = 5000 + np.cumsum(rng.uniform(0, 3, ts.size))
    held_back = np.zeros(ts.size, bool)
    held_back[[50, 51, 700, 1500]] = True
    stored = ReadingSeries.of(ts[~held_back], values[~held_back])
    late = ReadingSeries.of(ts[held_back], values[held_back])
    before = interval_consumption(meter, stored.ts, stored.value).intervals
    after = interval_consumption(meter, ts, values).intervals
    for level in Level:
        changed = changed_periods(before, after, level)
        touched = periods_to_recompute(meter, stored, late, level)
        assert changed.size > 0 and set(changed.tolist()) <= set(touched.tolist())
    assert changed_periods(after, after, Level.HOUR).size == 0


def test_a_late_reading_that_raises_the_baseline_touches_until_it_is_passed() -> None:
    """Hourly readings of a 15-min meter 100 110 105 106 107 108 109 111 113 (00:00 …
    08:00): 105 is a negative step held at 110, so 111 counts 1. A late 112 between 110
    and 105 holds the baseline at 112 instead: 111 now counts 0 and 113 counts 1 — the
    hours 06:00 and 07:00, six readings after, beyond the dip/spike window. The periods
    returned reach that far."""
    meter = Meter("M", "electricity")
    ts = at("2026-03-01 00:00") + 3600 * np.arange(9)
    values = np.array([100, 110, 105, 106, 107, 108, 109, 111, 113], float)
    stored = ReadingSeries.of(ts, values)
    late = ReadingSeries.of([ts[1] + 1800], [112.0])
    before = interval_consumption(meter, ts, values).intervals
    after = interval_consumption(meter, np.r_[ts, late.ts], np.r_[values, late.value]).intervals
    changed = changed_periods(before, after, Level.HOUR)
    assert at("2026-03-01 07:00") in changed.tolist()
    touched = periods_to_recompute(meter, stored, late, Level.HOUR)
    assert set(changed.tolist()) <= set(touched.tolist())
    assert touched[-1] == at("2026-03-01 07:00")


def test_interval_register_touches_only_its_own_interval() -> None:
    meter = Meter("D", "electricity", register=RegisterKind.INTERVAL, interval_s=86_400)
    stored = ReadingSeries.of([at("2026-03-01 00:00"), at("2026-03-03 00:00")], [5, 6])
    late = ReadingSeries.of([at("2026-03-02 00:00")], [7])
    assert_array_equal(periods_to_recompute(meter, stored, late, Level.DAY),
                       [at("2026-03-02 00:00")])


@pytest.mark.parametrize("window", [0, 3])
def test_periods_to_recompute_covers_every_change_on_noisy_series(window: int) -> None:
    """200 short series with spikes, dips, resets and held drops, 10 % of the readings
    arriving late: every period that changed is among those returned (a search of 3,000
    such series per window found no counter-example after the rules above)."""
    rng = np.random.default_rng(7)
    meter = Meter("M", "electricity", register_digits=4)
    options = ConsumptionOptions(glitch_window=window)
    for _ in range(200):  # a loop over test series, not readings
        n = int(rng.integers(5, 60))
        values = 100 + np.cumsum(rng.choice([0.0, 1.0, 2.0, 5.0], n))
        odd = rng.integers(0, n, int(rng.integers(0, 4)))
        values[odd] = (rng.choice([0.0, 50.0, 9999.0, 5.0]) if rng.random() < 0.5
                       else values[odd] + rng.normal(0, 20, odd.size))
        values = np.abs(values) % 10_000
        ts = at("2026-03-01 00:00") + Q * np.arange(n)
        held = rng.random(n) < 0.1
        if not held.any():
            continue
        stored = ReadingSeries.of(ts[~held], values[~held])
        late = ReadingSeries.of(ts[held], values[held])
        before = interval_consumption(meter, stored.ts, stored.value, options=options)
        after = interval_consumption(meter, ts, values, options=options)
        changed = changed_periods(before.intervals, after.intervals, Level.HOUR)
        touched = periods_to_recompute(meter, stored, late, Level.HOUR, options)
        assert set(changed.tolist()) <= set(touched.tolist()), (values.tolist(),
                                                                np.flatnonzero(held))
