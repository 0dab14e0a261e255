"""Interval series: the consumption of each interval of a meter's local grid.

Steps between readings land on the interval their later reading closes; a step that
spans several intervals (a gap) is spread evenly over them or kept on the last one,
by the configured policy. Intervals no step covers are missing (NaN), never 0
(the MyEMS and firmware complaints of ``metering-and-scale.md`` §3.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .findings import Flag, MeterFinding
from .meters import Meter
from .options import GapPolicy
from .prepare import Prepared
from .series import Carry, Times, Values, closed_interval_of, interval_of, interval_start

Flags = NDArray[np.uint16]


@dataclass(frozen=True, slots=True, eq=False)
class IntervalSeries:
    """Consecutive intervals of one meter: ``start`` [epoch s, UTC], ``energy``
    [canonical unit; NaN = missing], ``flags`` (:class:`~.findings.Flag` bits)."""

    meter: str
    interval_s: int
    start: Times
    energy: Values
    flags: Flags

    @classmethod
    def empty(cls, meter: str, interval_s: int) -> IntervalSeries:
        return cls(meter, interval_s, np.empty(0, np.int64), np.empty(0, np.float64),
                   np.empty(0, np.uint16))

    def __len__(self) -> int:
        return int(self.start.size)

    def between(self, start: int, end: int) -> IntervalSeries:
        """The intervals starting in [``start``, ``end``)."""
        keep = (self.start >= start) & (self.start < end)
        return IntervalSeries(self.meter, self.interval_s, self.start[keep],
                              self.energy[keep], self.flags[keep])

    def total(self) -> float:
        """Sum of the intervals present [canonical unit]."""
        return float(np.nansum(self.energy))


@dataclass(frozen=True, slots=True)
class Consumption:
    """The derived intervals of one meter, what was found on the way, and the
    :class:`Carry` to continue from (None for interval registers and no readings)."""

    intervals: IntervalSeries
    findings: tuple[MeterFinding, ...]
    carry: Carry | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Steps:
    """Energy between consecutive readings of one register: the later reading's
    ``end_ts`` [epoch s], the step's duration ``dt`` [s], ``energy`` [canonical unit]
    and its ``flags``."""

    end_ts: Times
    dt: Times
    energy: Values
    flags: Flags


def _expand(first: NDArray[np.int64], count: NDArray[np.int64]) -> tuple[
        NDArray[np.int64], NDArray[np.int64]]:
    """For ranges ``first[i] .. first[i]+count[i]-1``: (owner i, index) of every member."""
    owner = np.repeat(np.arange(count.size), count)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    return owner, first[owner] + offset


def _series(meter: Meter, index: NDArray[np.int64], energy: Values, counted: NDArray[np.bool_],
            flags: Flags, mark_ts: Times, mark_flag: Flags, *,
            first: NDArray[np.int64] | None = None) -> IntervalSeries:
    """Sum ``energy`` per interval ``index`` (only ``counted`` entries make an interval
    present) and OR the flags, the marks' flags included where they fall inside. The
    series starts at the smallest of ``index`` and ``first`` (a gap's missing intervals)."""
    if index.size == 0:
        return IntervalSeries.empty(meter.number, meter.interval_s)
    low = int(index.min()) if first is None else int(min(index.min(), first.min()))
    size = int(index.max()) - low + 1
    local = index - low
    total = np.bincount(local[counted], weights=energy[counted], minlength=size)
    present = np.bincount(local[counted], minlength=size) > 0
    bits = np.zeros(size, dtype=np.uint16)
    np.bitwise_or.at(bits, local, flags)
    marks = closed_interval_of(mark_ts, meter.interval_s) - low
    inside = (marks >= 0) & (marks < size)
    np.bitwise_or.at(bits, marks[inside], mark_flag[inside])
    return IntervalSeries(meter.number, meter.interval_s,
                          interval_start(np.arange(low, low + size), meter.interval_s),
                          np.where(present, total, np.nan), bits)


def from_steps(meter: Meter, steps: Steps, prepared: Prepared, policy: GapPolicy,
               max_spread: int | None) -> tuple[IntervalSeries, list[MeterFinding]]:
    """Intervals of a cumulative register from its steps, gaps by ``policy``."""
    width = meter.interval_s
    last = closed_interval_of(steps.end_ts, width)
    span = last - closed_interval_of(steps.end_ts - steps.dt, width)
    gap = span > 1
    spread = gap & (policy is GapPolicy.SPREAD)
    if max_spread is not None:
        spread &= span <= max_spread
    count = np.where(spread, span, 1)
    flags = (steps.flags | np.where(spread, Flag.SPREAD, 0)
             | np.where(gap & ~spread, Flag.AFTER_GAP, 0)).astype(np.uint16)
    owner, index = _expand(last - count + 1, count)
    series = _series(meter, index, (steps.energy / count)[owner], np.ones(index.size, bool),
                     flags[owner], prepared.mark_ts, prepared.mark_flag,
                     first=last - np.maximum(span, 1) + 1)
    findings = [MeterFinding("metering.gap_spread" if spread[i] else "metering.gap_kept",
                             meter.number, int(steps.end_ts[i]), count=int(span[i] - 1))
                for i in np.flatnonzero(gap)]
    return series, findings


def from_interval_values(meter: Meter, prepared: Prepared) -> Consumption:
    """Intervals of an interval register: each reading is the consumption of the
    interval it is stamped in (stamped at the interval's start); negative values are
    refused (flagged, the interval missing), values above ``max_rate`` flagged."""
    energy = (prepared.value * prepared.multiplier_of_segment[prepared.segment]
              * meter.unit_factor)
    index = interval_of(prepared.ts, meter.interval_s)
    negative = energy < 0
    rated = np.zeros(energy.size, dtype=bool)
    if meter.max_rate is not None:
        rated = energy * 3600.0 / meter.interval_s > meter.max_rate
    flags = (np.where(negative, Flag.REJECTED, 0)
             | np.where(rated, Flag.RATE_EXCEEDED, 0)).astype(np.uint16)
    # a mark at ts is OR-ed into the interval ts closes: shift to the one it is stamped in
    series = _series(meter, index, energy, ~negative, flags,
                     prepared.mark_ts + 1, prepared.mark_flag)
    findings = [MeterFinding(code, meter.number, int(prepared.ts[i]), float(prepared.value[i]))
                for code, mask in (("metering.negative_interval", negative),
                                   ("metering.rate_exceeded", rated))
                for i in np.flatnonzero(mask)]
    return Consumption(series, (*prepared.findings, *findings))
