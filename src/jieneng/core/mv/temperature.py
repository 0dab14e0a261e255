"""Temperatures for M&V: °C/°F, degree days, and hourly readings → daily means.

Days are ``numpy.datetime64[D]`` (the local calendar day); temperatures are floats with
``NaN`` for a missing value. The CalTRACK balance-point grid is defined in °F
(CalTRACK 2.0 §3.2.1), so the models take °F: :func:`to_fahrenheit` converts a °C
series first (``docs/mv.md``, "°C and °F").

Hourly → daily (:func:`hourly_to_daily`):

* readings within one hour are averaged to that hour (CalTRACK 2.0 §2.3.4: hourly
  temperature as the mean of the hour);
* a gap of at most :data:`MAX_INTERPOLATED_HOURS` consecutive missing hours between two
  known hours is filled linearly (§2.2.4.1); longer gaps stay missing;
* a day's mean is kept when at least :data:`MIN_DAY_COVERAGE` of its 24 hours are known
  (no more than 50 % missing, §2.2.2.3 / §2.2.3.3), else the day is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Unit = Literal["C", "F"]
FloatArray = NDArray[np.float64]
DayArray = NDArray[np.datetime64]

#: CalTRACK 2.0 §2.2.4.1: up to six consecutive missing hours are interpolated
MAX_INTERPOLATED_HOURS = 6
#: CalTRACK 2.0 §2.2.2.3: a day's mean needs at least half of its hours
MIN_DAY_COVERAGE = 0.5


def c_to_f(values: FloatArray | float) -> FloatArray:
    """°C → °F (F = C·9/5 + 32)."""
    return np.asarray(values, dtype=np.float64) * 9.0 / 5.0 + 32.0


def f_to_c(values: FloatArray | float) -> FloatArray:
    """°F → °C (C = (F − 32)·5/9)."""
    return (np.asarray(values, dtype=np.float64) - 32.0) * 5.0 / 9.0


def to_fahrenheit(values: FloatArray, unit: Unit) -> FloatArray:
    """``values`` in ``unit`` as °F."""
    return c_to_f(values) if unit == "C" else np.asarray(values, dtype=np.float64)


def hdd(temperature_f: FloatArray, balance_point_f: float) -> FloatArray:
    """Heating degree days per day: max(balance point − T, 0) (CalTRACK 2.0 §3.3)."""
    return np.maximum(balance_point_f - np.asarray(temperature_f, dtype=np.float64), 0.0)


def cdd(temperature_f: FloatArray, balance_point_f: float) -> FloatArray:
    """Cooling degree days per day: max(T − balance point, 0) (CalTRACK 2.0 §3.3)."""
    return np.maximum(np.asarray(temperature_f, dtype=np.float64) - balance_point_f, 0.0)


@dataclass(frozen=True)
class DailyTemperature:
    """Daily mean temperatures in °F, one entry per calendar day from ``days[0]`` to
    ``days[-1]`` without a gap: ``mean_f`` is NaN for a missing day; ``coverage`` is the
    share of the day's hours known (1.0 for a daily-mean file's day, 0.0 when missing)."""

    days: DayArray
    mean_f: FloatArray
    coverage: FloatArray

    def lookup(self, days: DayArray) -> FloatArray:
        """The mean of each of ``days`` (NaN outside the series or missing)."""
        out = np.full(len(days), np.nan)
        if len(self.days) == 0 or len(days) == 0:
            return out
        offset = (np.asarray(days, dtype="datetime64[D]") - self.days[0]).astype(np.int64)
        inside = (offset >= 0) & (offset < len(self.days))
        out[inside] = self.mean_f[offset[inside]]
        return out


def daily_temperature(days: DayArray, values_f: FloatArray) -> DailyTemperature:
    """A daily-mean series (°F) on a gap-free calendar: days absent from ``days`` are
    missing; a day given twice keeps the mean of its values."""
    days = np.asarray(days, dtype="datetime64[D]")
    values = np.asarray(values_f, dtype=np.float64)
    if len(days) == 0:
        return DailyTemperature(days, values, np.zeros(0))
    first = days.min()
    index = (days - first).astype(np.int64)
    n = int(index.max()) + 1
    known = ~np.isnan(values)
    sums = np.bincount(index[known], weights=values[known], minlength=n)
    counts = np.bincount(index[known], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    grid = first + np.arange(n).astype("timedelta64[D]")
    return DailyTemperature(grid, mean, (counts > 0).astype(np.float64))


def _hourly_grid(timestamps: NDArray[np.datetime64], values: FloatArray
                 ) -> tuple[NDArray[np.datetime64], FloatArray]:
    """The hourly means on a gap-free hour grid from the first day's 00:00 to the last
    day's 23:00 (NaN where no reading)."""
    hours = np.asarray(timestamps).astype("datetime64[h]")
    known = ~np.isnan(values)
    first = hours.min().astype("datetime64[D]").astype("datetime64[h]")
    last = hours.max().astype("datetime64[D]").astype("datetime64[h]") + np.timedelta64(24, "h")
    n = int((last - first).astype(np.int64))
    index = (hours - first).astype(np.int64)
    sums = np.bincount(index[known], weights=values[known], minlength=n)
    counts = np.bincount(index[known], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return first + np.arange(n).astype("timedelta64[h]"), mean


def interpolate_short_gaps(values: FloatArray, max_gap: int = MAX_INTERPOLATED_HOURS
                           ) -> FloatArray:
    """``values`` with every run of at most ``max_gap`` NaNs between two known values
    filled linearly (CalTRACK 2.0 §2.2.4.1); longer runs and the ends stay NaN."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if not missing.any() or missing.all():
        return values.copy()
    position = np.arange(len(values))
    filled = np.interp(position, position[~missing], values[~missing])
    starts = missing & ~np.concatenate(([False], missing[:-1]))
    run_id = np.cumsum(starts) * missing  # 1, 2, … inside runs, 0 outside
    run_length = np.bincount(run_id)
    known_before = np.maximum.accumulate(np.where(~missing, position, -1))
    known_after = np.minimum.accumulate(np.where(~missing, position, len(values))[::-1])[::-1]
    interior = (known_before >= 0) & (known_after < len(values))
    fill = missing & interior & (run_length[run_id] <= max_gap)
    return np.where(fill, filled, values)


def hourly_to_daily(timestamps: NDArray[np.datetime64], values_f: FloatArray
                    ) -> DailyTemperature:
    """Daily means (°F) from sub-daily readings (see the module's notes)."""
    values = np.asarray(values_f, dtype=np.float64)
    if len(values) == 0:
        empty = np.zeros(0, dtype="datetime64[D]")
        return DailyTemperature(empty, np.zeros(0), np.zeros(0))
    grid, hourly = _hourly_grid(timestamps, values)
    hourly = interpolate_short_gaps(hourly)
    per_day = hourly.reshape(-1, 24)
    known = ~np.isnan(per_day)
    coverage = known.sum(axis=1) / 24.0
    with np.errstate(invalid="ignore"):
        mean = np.where(known, per_day, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)
    mean = np.where(coverage >= MIN_DAY_COVERAGE, mean, np.nan)
    days = grid[::24].astype("datetime64[D]")
    return DailyTemperature(days, mean, coverage)
