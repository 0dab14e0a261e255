"""Billing periods (账期) → calendar months.

A grid, water or gas bill covers a 抄表 cycle (e.g. 1月21日–2月20日), not a calendar
month (``metering-and-scale.md`` §2: the billing-period kWh and 电费 of each 户号,
revised later; §3.5: "billing cycle ≠ calendar month", OED#280, nmecr#2,
home-assistant/core#103453). The monthly statistics (NY201) need calendar months, so a
bill is allocated by one stated, configurable rule:

- :attr:`Allocation.DAYS` — pro rata by days: each month gets the share of the
  period's days that fall in it (CalTRACK 2.0 billing: period usage per day spread
  over the days of the period, ``projects-campaigns.md`` §1.3–1.4);
- :attr:`Allocation.DAILY` — by daily data where present: the shares of the metered
  daily consumption (the grid's D+1 daily kWh or a meter's daily roll-up) when it
  covers every day of the period, else pro rata by days (the share says which was
  used) — the bill's total is kept, only its split follows the days' use;
- :attr:`Allocation.END_MONTH` — the whole bill in the month its period ends (the
  "bill as received" practice; no source found that the statistics system
  prescribes it, so it is offered, not the default).

The quantity and the cost are split by the same shares; the last month takes the
remainder, so the parts add up to the bill exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike

from ..exceptions import ValidationFailed


class Allocation(StrEnum):
    """How a bill is split into calendar months; the value is the stable code."""

    DAYS = "days"
    DAILY = "daily"
    END_MONTH = "end_month"


#: the platform's convention (``docs/metering.md``)
DEFAULT_ALLOCATION = Allocation.DAILY


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """A bill: its first and last day (inclusive, as printed), ``quantity`` [canonical
    unit] and ``cost`` [元] (None when the bill has none)."""

    first_day: dt.date
    last_day: dt.date
    quantity: float
    cost: float | None = None

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValidationFailed.of("metering.billing_period_order",
                                      first=self.first_day.isoformat(),
                                      last=self.last_day.isoformat())
        for number in (self.quantity, self.cost):
            if number is not None and not math.isfinite(number):
                raise ValidationFailed.of("metering.billing_not_a_number", value=number)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True, slots=True)
class MonthShare:
    """The part of a bill in one calendar month: its ``days`` in the period, the
    ``quantity`` [canonical unit] and ``cost`` [元], and the ``method`` used."""

    year: int
    month: int
    days: int
    quantity: float
    cost: float | None
    method: Allocation


def _split(total: float, weights: np.ndarray) -> list[float]:
    """``total`` in proportion to ``weights``, the last part taking the remainder."""
    parts = [float(total * w / weights.sum()) for w in weights[:-1]]
    return [*parts, float(total - sum(parts))]


def allocate(period: BillingPeriod, rule: Allocation = DEFAULT_ALLOCATION, *,
             daily_dates: ArrayLike = (), daily_values: ArrayLike = ()) -> tuple[
                 MonthShare, ...]:
    """Split ``period`` into calendar months by ``rule``.

    ``daily_dates`` / ``daily_values`` are local dates and their consumption
    [canonical unit] (only for :attr:`Allocation.DAILY`; NaN = missing).
    """
    days = np.arange(np.datetime64(period.first_day, "D"),
                     np.datetime64(period.last_day, "D") + 1)
    months = days.astype("datetime64[M]")
    keys, owner = np.unique(months, return_inverse=True)
    day_count = np.bincount(owner, minlength=keys.size)
    weights, method = day_count.astype(np.float64), Allocation.DAYS
    if rule is Allocation.END_MONTH:
        weights, method = np.zeros(keys.size), Allocation.END_MONTH
        weights[-1] = 1.0
    elif rule is Allocation.DAILY:
        found = _daily_weights(days, owner, keys.size, daily_dates, daily_values)
        if found is not None:
            weights, method = found, Allocation.DAILY
    quantity = _split(period.quantity, weights)
    cost = _split(period.cost, weights) if period.cost is not None else [None] * keys.size
    return tuple(
        MonthShare(int(str(k)[:4]), int(str(k)[5:7]), int(n), q, c, method)
        for k, n, q, c in zip(keys, day_count, quantity, cost, strict=True)
    )


def _daily_weights(days: np.ndarray, owner: np.ndarray, size: int, daily_dates: ArrayLike,
                   daily_values: ArrayLike) -> np.ndarray | None:
    """Metered consumption per month of the period, or None unless every day has a value
    and the period's total is positive."""
    dates = np.asarray(daily_dates, dtype="datetime64[D]").reshape(-1)
    values = np.asarray(daily_values, dtype=np.float64).reshape(-1)
    if dates.size != values.size:
        raise ValidationFailed.of("metering.series_length", times=dates.size,
                                  readings=values.size)
    order = np.argsort(dates, kind="stable")
    dates, values = dates[order], values[order]
    at = np.minimum(np.searchsorted(dates, days), max(dates.size - 1, 0))
    if dates.size == 0 or not np.all(dates[at] == days):
        return None
    per_day = values[at]
    if not np.all(np.isfinite(per_day)) or np.any(per_day < 0) or per_day.sum() <= 0:
        return None
    return np.bincount(owner, weights=per_day, minlength=size)
