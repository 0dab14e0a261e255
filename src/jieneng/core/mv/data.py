"""Meter data prepared for a model, as CalTRACK 2.0 §2.2 and OpenEEmeter
(``opendsm/eemeter/models/daily/data.py``, ``models/billing/data.py``) prepare it.

* Daily (:func:`prepare_daily`): one row per calendar day of the window; electricity
  zeros are missing, gas zeros are not (§2.2.1.4); meter and temperature joined on
  the local day; values outside the window are not used (§2.2.5).
* Billing (:func:`prepare_periods` with ``billing=True``): periods sorted by start; an
  estimated read is merged into the next period (§2.2.2.2, §2.2.3.1); periods shorter
  than 25 days dropped (§2.2.3.4), longer than 35 days (monthly cycles) or 70 days
  (bimonthly: median period over 35 days) dropped (§2.2.3.5); a period's temperature
  needs 90 % of its days (§2.2.3.2), else it has none; a period reaching outside the
  window is not used (§2.2.5).
* Monthly (:func:`prepare_periods` with ``billing=False``): the platform's own NY201
  months, one calendar month a period, with the month's degree days from the daily
  temperatures and optional occupants and floor area.

Dates are ``datetime64[D]``; a period's ``end`` is its last day (inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from jieneng.core.exceptions import ValidationFailed

from .rules import sufficiency_value
from .temperature import DailyTemperature, DayArray, FloatArray

BoolArray = NDArray[np.bool_]
FUELS_WITH_ZERO_USAGE = frozenset({"gas", "natural_gas"})

#: why a period was left out (stable codes, the clause in docs/mv.md)
TOO_SHORT = "mv.period.too_short"                  # §2.2.3.4
TOO_LONG = "mv.period.too_long"                    # §2.2.3.5
NO_TEMPERATURE = "mv.period.temperature_coverage"  # §2.2.3.2
STRADDLES = "mv.period.straddles_window"           # §2.2.5
NO_USAGE = "mv.period.no_usage"                    # §3.5.4
NO_FIGURE = "mv.period.no_figure"                  # normalised monthly model (docs/mv.md)


@dataclass(frozen=True)
class DateRange:
    """A baseline or reporting window, both days included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed.of("mv.range_order", start=self.start.isoformat(),
                                      end=self.end.isoformat())

    @classmethod
    def parse(cls, text: str) -> DateRange:
        """``2023-01-01..2023-12-31`` (``START..END``, both included)."""
        parts = text.strip().split("..")
        try:
            if len(parts) != 2:
                raise ValueError(text)
            return cls(date.fromisoformat(parts[0].strip()), date.fromisoformat(parts[1].strip()))
        except ValueError:
            raise ValidationFailed.of("mv.bad_range", value=text) from None

    @property
    def first(self) -> np.datetime64:
        return np.datetime64(self.start, "D")

    @property
    def last(self) -> np.datetime64:
        return np.datetime64(self.end, "D")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class MeterSeries:
    """Meter values: one per day (``start == end``) or per period (``end`` its last day).
    ``value`` NaN when missing; ``estimated`` marks estimated reads (billing);
    ``occupants`` and ``area`` per period when known (monthly statistics)."""

    start: DayArray
    end: DayArray
    value: FloatArray
    estimated: BoolArray
    occupants: FloatArray | None = None
    area: FloatArray | None = None

    @classmethod
    def daily(cls, days: DayArray, values: FloatArray) -> MeterSeries:
        d = np.asarray(days, dtype="datetime64[D]")
        return cls(d, d, np.asarray(values, dtype=np.float64), np.zeros(len(d), dtype=bool))

    @classmethod
    def periods(cls, starts: DayArray, ends: DayArray, values: FloatArray,
                estimated: BoolArray | None = None, *, occupants: FloatArray | None = None,
                area: FloatArray | None = None) -> MeterSeries:
        s = np.asarray(starts, dtype="datetime64[D]")
        flags = np.zeros(len(s), dtype=bool) if estimated is None else np.asarray(estimated, bool)
        return cls(s, np.asarray(ends, dtype="datetime64[D]"),
                   np.asarray(values, dtype=np.float64), flags, occupants, area)

    @classmethod
    def months(cls, months: NDArray[np.datetime64], values: FloatArray, *,
               occupants: FloatArray | None = None, area: FloatArray | None = None
               ) -> MeterSeries:
        """Calendar months (``datetime64[M]``): each month's first to last day."""
        m = np.asarray(months, dtype="datetime64[M]")
        starts = m.astype("datetime64[D]")
        ends = (m + 1).astype("datetime64[D]") - 1
        return cls.periods(starts, ends, values, occupants=occupants, area=area)

    @property
    def is_daily(self) -> bool:
        return bool(np.all(self.start == self.end))


@dataclass(frozen=True)
class DailyData:
    """Every day of a window: usage (NaN missing) and mean temperature °F (NaN missing)."""

    days: DayArray
    usage: FloatArray
    temperature_f: FloatArray

    @property
    def valid(self) -> BoolArray:
        return ~np.isnan(self.usage) & ~np.isnan(self.temperature_f)


def window_days(window: DateRange) -> DayArray:
    return window.first + np.arange(window.days).astype("timedelta64[D]")


def prepare_daily(meter: MeterSeries, temperature: DailyTemperature, window: DateRange, *,
                  fuel: str = "electricity") -> DailyData:
    """The window's days with the meter's value and the temperature of each."""
    days = window_days(window)
    usage = np.full(len(days), np.nan)
    offset = (meter.start - window.first).astype(np.int64)
    inside = (offset >= 0) & (offset < len(days))
    usage[offset[inside]] = meter.value[inside]
    if fuel not in FUELS_WITH_ZERO_USAGE:
        usage[usage == 0] = np.nan
    return DailyData(days, usage, temperature.lookup(days))


@dataclass(frozen=True)
class Dropped:
    """A period left out of a model or a savings sum, and why (a ``mv.period.*`` code)."""

    start: np.datetime64
    end: np.datetime64
    code: str

    def to_dict(self) -> dict[str, str]:
        return {"start": str(self.start), "end": str(self.end), "reason": self.code}


@dataclass(frozen=True)
class PeriodData:
    """Periods of a window with their temperature: ``temperature_f`` the mean of the
    period's known daily means (NaN below the coverage rule); ``day_temperature_f`` and
    ``day_period`` every day of every period (for the period degree days)."""

    start: DayArray
    end: DayArray
    usage: FloatArray
    days: NDArray[np.int64]
    temperature_f: FloatArray
    temperature_coverage: FloatArray
    day_temperature_f: FloatArray
    day_period: NDArray[np.int64]
    day_dates: DayArray
    occupants: FloatArray | None
    area: FloatArray | None
    dropped: tuple[Dropped, ...]
    bimonthly: bool = False

    @property
    def usage_per_day(self) -> FloatArray:
        return self.usage / self.days

    @property
    def valid(self) -> BoolArray:
        return ~np.isnan(self.usage) & ~np.isnan(self.temperature_f)


def _merge_estimated(meter: MeterSeries) -> MeterSeries:
    """Each estimated read merged into the next period (§2.2.3.1)."""
    order = np.argsort(meter.start, kind="stable")
    start, end, value = meter.start[order], meter.end[order], meter.value[order]
    est = meter.estimated[order]
    if not est.any():
        return MeterSeries(start, end, value, est,
                           None if meter.occupants is None else meter.occupants[order],
                           None if meter.area is None else meter.area[order])
    group = np.concatenate(([0], np.cumsum(~est)[:-1]))
    n = int(group[-1]) + 1
    first_idx = np.searchsorted(group, np.arange(n), side="left")
    last_idx = np.searchsorted(group, np.arange(n), side="right") - 1
    summed = np.bincount(group, weights=np.nan_to_num(value), minlength=n)
    missing = np.bincount(group, weights=np.isnan(value).astype(float), minlength=n) > 0
    totals: FloatArray = np.asarray(np.where(missing, np.nan, summed), dtype=np.float64)
    return MeterSeries(start[first_idx], end[last_idx], totals, est[last_idx])


def _period_days(start: DayArray, days: NDArray[np.int64]) -> tuple[DayArray, NDArray[np.int64]]:
    """Every day of every period and the period of each (vectorised)."""
    period = np.repeat(np.arange(len(start)), days)
    first_of = np.repeat(np.cumsum(days) - days, days)
    offset = np.arange(int(days.sum())) - first_of
    return np.repeat(start, days) + offset.astype("timedelta64[D]"), period


def prepare_periods(meter: MeterSeries, temperature: DailyTemperature, window: DateRange, *,
                    billing: bool = True, length_rules: bool = True) -> PeriodData:
    """The periods of ``meter`` inside ``window`` with their temperatures (see module);
    ``length_rules=False`` keeps billing periods of any length (a reporting period:
    §2.2.3 sets the baseline's sufficiency)."""
    series = _merge_estimated(meter) if billing else meter
    days = ((series.end - series.start).astype(np.int64) + 1).astype(np.int64)
    bimonthly = billing and len(days) > 0 and float(np.median(days)) > sufficiency_value(
        "billing_max_period_days_monthly")
    codes = np.full(len(days), "", dtype=object)
    outside = (series.end < window.first) | (series.start > window.last)
    straddles = ~outside & ((series.start < window.first) | (series.end > window.last))
    codes[straddles] = STRADDLES
    if billing and length_rules:
        longest = sufficiency_value("billing_max_period_days_bimonthly" if bimonthly
                                    else "billing_max_period_days_monthly")
        codes[(codes == "") & (days < sufficiency_value("billing_min_period_days"))] = TOO_SHORT
        codes[(codes == "") & (days > longest)] = TOO_LONG
    codes[(codes == "") & np.isnan(series.value)] = NO_USAGE
    keep_all = ~outside & (codes != STRADDLES) & (codes != TOO_SHORT) & (codes != TOO_LONG)
    idx = np.flatnonzero(keep_all)
    day_list, day_period = _period_days(series.start[idx], days[idx])
    day_temp = temperature.lookup(day_list)
    known = np.bincount(day_period, weights=(~np.isnan(day_temp)).astype(float),
                        minlength=len(idx))
    sums = np.bincount(day_period, weights=np.nan_to_num(day_temp), minlength=len(idx))
    coverage = known / np.maximum(days[idx], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_t = np.where(known > 0, sums / np.maximum(known, 1), np.nan)
    poor = coverage < sufficiency_value("period_min_temperature_coverage")
    mean_t[poor] = np.nan
    sub_codes = codes[idx]
    sub_codes[(sub_codes == "") & poor] = NO_TEMPERATURE
    codes[idx] = sub_codes
    dropped = tuple(Dropped(series.start[i], series.end[i], str(codes[i]))
                    for i in np.flatnonzero(~outside & (codes != "")))
    day_temp[poor[day_period]] = np.nan
    return PeriodData(
        start=series.start[idx], end=series.end[idx], usage=series.value[idx], days=days[idx],
        temperature_f=mean_t, temperature_coverage=coverage, day_temperature_f=day_temp,
        day_period=day_period, day_dates=day_list,
        occupants=None if series.occupants is None else series.occupants[idx],
        area=None if series.area is None else series.area[idx],
        dropped=dropped, bimonthly=bool(bimonthly))
