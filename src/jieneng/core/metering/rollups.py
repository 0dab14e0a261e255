"""Interval → hourly / daily / monthly roll-ups keyed by (meter, period start), in
Asia/Shanghai local time, and the periods late readings touch.

Roll-ups are recomputed, never incremented: rewriting a period with the same key is
idempotent (Home Assistant's unique ``(metadata_id, start_ts)`` statistics,
``aesthetics.md`` §5.2; ``metering-and-scale.md`` §4.4). A period's value is the sum
of its intervals present; ``present`` / ``expected`` give its completeness, and a
period with no interval present is missing (NaN), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ..exceptions import ValidationFailed
from .intervals import Flags, IntervalSeries
from .meters import Meter, RegisterKind
from .options import ConsumptionOptions
from .series import (
    LOCAL_OFFSET_S,
    ReadingSeries,
    Times,
    Values,
    closed_interval_of,
    deduplicate,
    interval_of,
    interval_start,
)


class Level(StrEnum):
    """Roll-up level; the value is the stable code."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


def period_start(ts: NDArray[np.int64], level: Level) -> Times:
    """Start [epoch s, UTC] of the local hour / day / month containing each ``ts``."""
    local = np.asarray(ts, dtype=np.int64) + LOCAL_OFFSET_S
    if level is Level.MONTH:
        month = local.astype("datetime64[s]").astype("datetime64[M]")
        return month.astype("datetime64[s]").astype(np.int64) - LOCAL_OFFSET_S
    size = 3600 if level is Level.HOUR else 86_400
    return local // size * size - LOCAL_OFFSET_S


def period_end(start: NDArray[np.int64], level: Level) -> Times:
    """End (the next period's start) of periods beginning at ``start``."""
    if level is Level.MONTH:
        local = np.asarray(start, dtype=np.int64) + LOCAL_OFFSET_S
        month = local.astype("datetime64[s]").astype("datetime64[M]") + 1
        return month.astype("datetime64[s]").astype(np.int64) - LOCAL_OFFSET_S
    return np.asarray(start, dtype=np.int64) + (3600 if level is Level.HOUR else 86_400)


@dataclass(frozen=True, slots=True, eq=False)
class Rollup:
    """One level of roll-ups of one meter: ``start`` [epoch s], ``energy`` [canonical
    unit; NaN when no interval is present], ``present`` and ``expected`` intervals,
    ``flags`` (OR of its intervals' flags)."""

    meter: str
    level: Level
    start: Times
    energy: Values
    present: NDArray[np.int64]
    expected: NDArray[np.int64]
    flags: Flags

    @property
    def completeness(self) -> Values:
        """Share of the period's intervals present [-]."""
        return self.present / self.expected


def roll_up(series: IntervalSeries, level: Level) -> Rollup:
    """Sum ``series`` into the periods of ``level`` it overlaps.

    Raises ``metering.rollup_too_fine`` for hourly roll-ups of intervals longer than an hour.
    """
    if level is Level.HOUR and series.interval_s > 3600:
        raise ValidationFailed.of("metering.rollup_too_fine", meter=series.meter,
                                  seconds=series.interval_s, level=str(level))
    keys = period_start(series.start, level)
    start, owner = np.unique(keys, return_inverse=True)
    present = ~np.isnan(series.energy)
    energy = np.bincount(owner[present], weights=series.energy[present], minlength=start.size)
    count = np.bincount(owner[present], minlength=start.size)
    flags = np.zeros(start.size, dtype=np.uint16)
    np.bitwise_or.at(flags, owner, series.flags)
    expected = (period_end(start, level) - start) // series.interval_s
    return Rollup(series.meter, level, start, np.where(count > 0, energy, np.nan), count,
                  expected, flags)


def _periods_of_intervals(first: NDArray[np.int64], last: NDArray[np.int64],
                          interval_s: int, level: Level) -> Times:
    """Periods of ``level`` overlapping the interval index ranges [first, last]."""
    keep = last >= first
    first, last = first[keep], last[keep]
    if first.size == 0:
        return np.empty(0, np.int64)
    count = last - first + 1
    owner = np.repeat(np.arange(count.size), count)
    index = first[owner] + np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    return np.unique(period_start(interval_start(index, interval_s), level))


def _running_level(stored: Values, ratio: float) -> Values:
    """The register's running maximum at each stored reading, a new cycle starting at
    every drop below ``ratio`` × the reading before (an estimate of the derivation's
    resets: exact integer keys, as in :mod:`.consumption`)."""
    cycle = np.cumsum(np.r_[True, stored[1:] < ratio * stored[:-1]])
    values, rank = np.unique(stored, return_inverse=True)
    level: Values = values[np.maximum.accumulate(cycle * (values.size + 1) + rank)
                           % (values.size + 1)]
    return level


def _held_until(stored: Values, at: NDArray[np.int64], corrected: NDArray[np.bool_],
                new: Values, opts: ConsumptionOptions) -> NDArray[np.int64]:
    """Index of the stored reading up to which a late reading may move the baseline.

    The steps after a reading are measured from the register's running maximum. A late
    reading above the stored one after it (or a correction of one that was), or one
    arriving while a negative step is held (and which may turn the drop into a reset),
    moves that baseline for the following steps until the register passes the higher
    of the two levels or resets. Such readings are anomalies, so this loops over them
    only; an ordinary late reading returns ``at``.
    """
    last = stored.size - 1
    following = np.minimum(at + corrected, last)
    held = _running_level(stored, opts.reset_ratio)[np.clip(at - 1 + corrected, 0, last)]
    level = np.fmax(new, np.where(at + corrected >= 1, held, np.nan))
    level = np.where(corrected, np.fmax(level, stored[np.minimum(at, last)]), level)
    moved = (at + corrected <= last) & (level > stored[following] + opts.tolerance)
    reach = at.copy()
    for i in np.flatnonzero(moved):  # anomalies only, not every reading
        tail = stored[following[i]:]
        ends = (tail >= level[i]) | np.r_[False, tail[1:] < opts.reset_ratio * tail[:-1]]
        ends[0] = False
        reach[i] = following[i] + (int(np.argmax(ends)) if ends.any() else tail.size - 1)
    return reach


def periods_to_recompute(meter: Meter, existing: ReadingSeries, late: ReadingSeries,
                         level: Level, options: ConsumptionOptions | None = None) -> Times:
    """Starts [epoch s] of the periods of ``level`` whose roll-ups late readings may change.

    A resend of a stored reading (same time, same value) changes nothing. Otherwise,
    for a cumulative register the intervals that can change lie between the stored
    reading ``glitch_window`` + 2 positions before the late one (1 with the dip / spike
    rules off) and the one ``glitch_window`` positions after it — the steps into and
    out of the late reading (with a gap, every interval it spread over) and the
    readings the dip / spike rules consult (:mod:`.cleaning`) — and, for a late
    reading above the stored one after it or inside a held negative step, as far as
    the baseline it moves is held (until the register passes it or resets). For an
    interval register, only the interval it is stamped in. Derive the intervals of that
    window again and rewrite the periods returned; :func:`changed_periods` tells which
    of them actually changed.
    """
    opts = options or ConsumptionOptions()
    context = opts.glitch_window
    stored = deduplicate(existing)
    arrived = deduplicate(late)
    at = np.searchsorted(stored.ts, arrived.ts)
    hit = at < stored.ts.size
    same = hit.copy()
    same[hit] = (stored.ts[at[hit]] == arrived.ts[hit]) & (
        stored.value[at[hit]] == arrived.value[hit])
    new_ts, at = arrived.ts[~same], at[~same]
    width = meter.interval_s
    if meter.register is RegisterKind.INTERVAL:
        own = interval_of(new_ts, width)
        return _periods_of_intervals(own, own, width, level)
    own = closed_interval_of(new_ts, width)
    if stored.ts.size == 0:
        return _periods_of_intervals(own, own, width, level)
    corrected = np.isin(new_ts, stored.ts)
    before = at - 1 - context - (context > 0)  # with cleaning: a dip's reference reading
    after = np.maximum(at + context + corrected,  # a corrected stamp is not its own next
                       _held_until(stored.value, at, corrected, arrived.value[~same], opts))
    first = np.where(before >= 0, closed_interval_of(stored.ts[np.maximum(before, 0)], width) + 1,
                     np.minimum(own, closed_interval_of(stored.ts[0], width)) + 1)
    last = np.where(after < stored.ts.size,
                    closed_interval_of(stored.ts[np.minimum(after, stored.ts.size - 1)], width),
                    np.maximum(own, closed_interval_of(stored.ts[-1], width)))
    return _periods_of_intervals(first, last, width, level)


def changed_periods(before: IntervalSeries, after: IntervalSeries, level: Level) -> Times:
    """Starts of the periods of ``level`` whose intervals differ (value, missingness or
    flags) between two derivations of the same meter."""
    grid = np.union1d(before.start, after.start)
    old = np.full(grid.size, np.nan)
    new = np.full(grid.size, np.nan)
    old_flags = np.zeros(grid.size, np.uint16)
    new_flags = np.zeros(grid.size, np.uint16)
    i, j = np.searchsorted(grid, before.start), np.searchsorted(grid, after.start)
    old[i], old_flags[i] = before.energy, before.flags
    new[j], new_flags[j] = after.energy, after.flags
    differ = ~((old == new) | (np.isnan(old) & np.isnan(new))) | (old_flags != new_flags)
    return np.unique(period_start(grid[differ], level))
