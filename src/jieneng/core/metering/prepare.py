"""Readings made ready for differencing: one per time stamp, inside a register,
anchored by the events' readings, outliers set aside — each removal a finding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .cleaning import dips, spikes
from .events import RegisterSegment
from .findings import Flag, MeterFinding
from .meters import Meter
from .series import Carry, ReadingSeries, Times, Values, deduplicate

_FAR_PAST = np.iinfo(np.int64).min
_FAR_FUTURE = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """Kept readings in (register, time) order.

    ``segment`` indexes the registers; ``closes_register`` marks an event's final
    reading; ``carried`` the reading continued from (:class:`~.series.Carry`) and
    ``carried_level`` its running maximum; ``multiplier_of_segment`` /
    ``modulus_of_segment`` (NaN: none) describe each register; ``mark_ts`` /
    ``mark_flag`` are flags for the intervals holding readings that were set aside or
    received twice; ``findings`` say why.
    """

    ts: Times
    value: Values
    segment: NDArray[np.int64]
    closes_register: NDArray[np.bool_]
    multiplier_of_segment: Values
    modulus_of_segment: Values
    mark_ts: Times
    mark_flag: NDArray[np.uint16]
    findings: tuple[MeterFinding, ...]
    carried: NDArray[np.bool_]
    carried_level: float


def _assign(ts: Times, segments: tuple[RegisterSegment, ...]) -> NDArray[np.int64]:
    """Register index of each time stamp, -1 outside every register."""
    starts = np.array([_FAR_PAST if s.start is None else s.start for s in segments],
                      dtype=np.int64)
    ends = np.array([_FAR_FUTURE if s.end is None else s.end for s in segments],
                    dtype=np.int64)
    index = np.searchsorted(starts, ts, side="right") - 1
    inside = (index >= 0) & (ts < ends[np.maximum(index, 0)])
    return np.where(inside, index, -1)


def _anchors(segments: tuple[RegisterSegment, ...], carry: Carry | None) -> tuple[
        Times, Values, NDArray[np.int64], NDArray[np.int64]]:
    """The trusted readings: the events' and the carried level — time, value, register,
    order (0 initial, 1 carried, 2 final)."""
    rows = [(s.start, s.initial, i, 0) for i, s in enumerate(segments)
            if s.initial is not None and s.start is not None]
    rows += [(s.end, s.final, i, 2) for i, s in enumerate(segments)
             if s.final is not None and s.end is not None]
    if carry is not None:
        index = int(_assign(np.array([carry.ts], dtype=np.int64), segments)[0])
        if index >= 0:
            rows.append((carry.ts, carry.value, index, 1))
    return (np.array([r[0] for r in rows], dtype=np.int64),
            np.array([r[1] for r in rows], dtype=np.float64),
            np.array([r[2] for r in rows], dtype=np.int64),
            np.array([r[3] for r in rows], dtype=np.int64))


def _set_aside(number: str, ts: Times, value: Values, segment: NDArray[np.int64],
               trusted: NDArray[np.bool_], tolerance: float, window: int,
               findings: list[MeterFinding]) -> NDArray[np.bool_]:
    """Short dips and single spikes (:mod:`.cleaning`), each a finding appended."""
    dipped, level = dips(value, segment, trusted, tolerance=tolerance, window=window)
    rest = ~dipped
    spiked = np.zeros(ts.size, dtype=bool)
    spiked[rest] = spikes(value[rest], segment[rest], trusted[rest], tolerance=tolerance)
    previous = np.full(ts.size, np.nan)
    previous[rest] = np.r_[np.nan, value[rest][:-1]]
    findings += [MeterFinding("metering.dip_removed", number, int(ts[i]), float(value[i]),
                              float(level[i])) for i in np.flatnonzero(dipped)]
    findings += [MeterFinding("metering.spike_removed", number, int(ts[i]), float(value[i]),
                              float(previous[i])) for i in np.flatnonzero(spiked)]
    return dipped | spiked


def prepare(meter: Meter, series: ReadingSeries, segments: tuple[RegisterSegment, ...], *,
            cumulative: bool, tolerance: float = 0.0, window: int = 3,
            carry: Carry | None = None) -> Prepared:
    """Deduplicate, place in registers, refuse negative register readings (Home
    Assistant skips them too), add the events' readings (cumulative registers)
    and set short dips and single spikes aside (:mod:`.cleaning`; ``window`` 0 turns
    both rules off)."""
    number = meter.number
    unique = deduplicate(series)
    findings = [MeterFinding("metering.duplicate_conflict", number, int(t), float(kept),
                             float(other))
                for t, kept, other in zip(unique.conflict_ts, unique.conflict_kept,
                                          unique.conflict_other, strict=True)]
    findings += [MeterFinding("metering.invalid_reading", number, int(t))
                 for t in unique.invalid_ts]
    segment = _assign(unique.ts, segments)
    outside = segment < 0
    findings += [MeterFinding("metering.outside_installation", number, int(t), float(v))
                 for t, v in zip(unique.ts[outside], unique.value[outside], strict=True)]
    negative = ~outside & (unique.value < 0) if cumulative else np.zeros_like(outside)
    findings += [MeterFinding("metering.negative_reading", number, int(t), float(v))
                 for t, v in zip(unique.ts[negative], unique.value[negative], strict=True)]
    use = ~outside & ~negative
    if carry is not None:
        use &= unique.ts > carry.ts
    ts, value, segment = unique.ts[use], unique.value[use], segment[use]
    order_key = np.ones(ts.size, dtype=np.int64)
    trusted = np.zeros(ts.size, dtype=bool)
    if cumulative:
        a_ts, a_value, a_seg, a_key = _anchors(segments, carry)
        ts, value = np.r_[ts, a_ts], np.r_[value, a_value]
        segment, order_key = np.r_[segment, a_seg], np.r_[order_key, a_key]
        trusted = np.r_[trusted, np.ones(a_ts.size, dtype=bool)]
        order = np.lexsort((order_key, ts, segment))
        ts, value, segment = ts[order], value[order], segment[order]
        order_key, trusted = order_key[order], trusted[order]
    removed = np.zeros(ts.size, dtype=bool)
    if cumulative and window > 0:  # window 0: nothing set aside (Home Assistant's way)
        removed = _set_aside(number, ts, value, segment, trusted, tolerance, window, findings)
    mark_ts = np.r_[ts[removed], unique.conflict_ts]
    mark_flag = np.r_[np.full(int(removed.sum()), Flag.READING_REMOVED, dtype=np.uint16),
                      np.full(unique.conflict_ts.size, Flag.CONFLICT, dtype=np.uint16)]
    keep = ~removed
    multiplier = np.array([s.multiplier for s in segments], dtype=np.float64)
    modulus = np.array([np.nan if s.modulus is None else s.modulus for s in segments],
                       dtype=np.float64)
    return Prepared(ts[keep], value[keep], segment[keep], (order_key == 2)[keep],
                    multiplier, modulus, mark_ts, mark_flag, tuple(findings),
                    (order_key == 1)[keep] & trusted[keep],
                    np.nan if carry is None else carry.level)
