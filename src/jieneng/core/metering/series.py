"""Reading series of one meter as numpy arrays, resends made idempotent, and the
local (Asia/Shanghai) interval grid.

Timestamps are integer epoch seconds in UTC (the storage key, ``metering-and-scale.md``
§4.4 tier (a)). Local time is UTC+8: Asia/Shanghai has kept one offset without
daylight saving since 1991-09-15 (IANA tzdata ``Asia/Shanghai``), and every period of
the platform is after 2000, so a fixed offset is exact and vectorises; a test checks
it against :mod:`zoneinfo`. Intervals divide a day, so the grid of any interval is
aligned on local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..exceptions import ValidationFailed

#: Asia/Shanghai − UTC [s]
LOCAL_OFFSET_S = 8 * 3600

Times = NDArray[np.int64]
Values = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class ReadingSeries:
    """Readings of one meter: ``ts`` [epoch s, UTC] and ``value`` [register unit], in
    the order they were received (a later resend of a time stamp comes later)."""

    ts: Times
    value: Values

    @classmethod
    def of(cls, ts: ArrayLike, value: ArrayLike) -> ReadingSeries:
        times = np.asarray(ts, dtype=np.int64).reshape(-1)
        values = np.asarray(value, dtype=np.float64).reshape(-1)
        if times.shape != values.shape:
            raise ValidationFailed.of("metering.series_length", times=times.size,
                                      readings=values.size)
        return cls(times, values)

    def __len__(self) -> int:
        return int(self.ts.size)


@dataclass(frozen=True, slots=True)
class Carry:
    """Where a derivation ended, to continue from it: the last kept reading's ``ts``
    [epoch s] and ``value``, and its register's running maximum ``level`` [register
    unit] — the baseline the next step is measured from (Home Assistant's ``state``),
    above ``value`` while a negative step is held."""

    ts: int
    value: float
    level: float


@dataclass(frozen=True, slots=True, eq=False)
class Deduplicated:
    """One reading per time stamp, sorted: ``ts``, ``value``; ``conflict_ts`` the stamps
    received with different values, ``conflict_kept`` the value kept (the last
    received) and ``conflict_other`` another value received; ``invalid_ts`` stamps
    whose value was not a finite number."""

    ts: Times
    value: Values
    conflict_ts: Times
    conflict_kept: Values
    conflict_other: Values
    invalid_ts: Times


def deduplicate(series: ReadingSeries) -> Deduplicated:
    """Sort by time and keep one reading per time stamp.

    A resend with the same value changes nothing (idempotent); a time stamp received
    with different values keeps the **last received** (a later correction wins, as
    an upsert would) and is reported as a conflict. NaN and ±inf are set aside.
    """
    finite = np.isfinite(series.value)
    ts, value = series.ts[finite], series.value[finite]
    if ts.size and np.all(ts[1:] > ts[:-1]):  # the usual case: in order, each once
        none_t, none_v = np.empty(0, np.int64), np.empty(0, np.float64)
        return Deduplicated(ts, value, none_t, none_v, none_v, np.unique(series.ts[~finite]))
    order = np.argsort(ts, kind="stable")
    ts, value = ts[order], value[order]
    if ts.size == 0:
        empty_t, empty_v = np.empty(0, np.int64), np.empty(0, np.float64)
        return Deduplicated(empty_t, empty_v, empty_t, empty_v, empty_v,
                            np.unique(series.ts[~finite]))
    first = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]])
    last = np.r_[first[1:], ts.size] - 1
    low = np.minimum.reduceat(value, first)
    high = np.maximum.reduceat(value, first)
    conflict = low != high
    kept = value[last]
    other = np.where(kept == low, high, low)
    return Deduplicated(ts[last], kept, ts[first][conflict], kept[conflict], other[conflict],
                        np.unique(series.ts[~finite]))


def interval_of(ts: ArrayLike, interval_s: int) -> NDArray[np.int64]:
    """Index of the local interval containing ``ts`` ([start, end))."""
    return np.floor_divide(np.asarray(ts, dtype=np.int64) + LOCAL_OFFSET_S, interval_s)


def closed_interval_of(ts: ArrayLike, interval_s: int) -> NDArray[np.int64]:
    """Index of the interval a register reading at ``ts`` closes ((start, end]): a
    reading at 00:15 ends the interval 00:00–00:15."""
    local = np.asarray(ts, dtype=np.int64) + LOCAL_OFFSET_S
    return -np.floor_divide(-local, interval_s) - 1


def interval_start(index: ArrayLike, interval_s: int) -> Times:
    """Start [epoch s, UTC] of local interval ``index``."""
    return np.asarray(index, dtype=np.int64) * interval_s - LOCAL_OFFSET_S
