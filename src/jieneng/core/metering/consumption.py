"""Readings → interval consumption, reset-aware (the Home Assistant habit, not MyEMS's).

:func:`interval_consumption` takes one meter's raw readings (and its install /
replace / remove events) and returns the consumption of each interval of its local
grid in the carrier's canonical unit, with :class:`~.findings.Flag` bits per interval
and :class:`~.findings.MeterFinding` s. Vectorised with numpy over the readings; no
Python loop per reading.

Rules (``docs/metering.md`` states them as the platform's conventions):

- energy = register difference × 倍率 × unit factor; differences are taken only
  between readings of the same register (a replacement's final and initial readings
  close and open the registers, so nothing is lost across it);
- short dips and single spikes are set aside first (:mod:`.cleaning`);
- a drop of more than ``tolerance`` is a **rollover** when adding the register's
  modulus gives a step of at most ``rollover_band`` of it, else a **reset** when the
  reading is below ``reset_ratio`` × the one before (HA's 10 % rule: the new cycle
  counts from 0, ``sensor/recorder.py::reset_detected``), else a **negative step**:
  flagged, and the register's previous maximum stays the baseline, so no energy is
  counted twice when it climbs back; a dip within ``tolerance`` is jitter, also held
  at the maximum;
- a step faster than the meter's ``max_rate`` is flagged and kept;
- an interval with no reading ending in it is missing (NaN), never 0; the energy of
  the reading after a gap is spread evenly over the gap's intervals
  (:attr:`GapPolicy.SPREAD`) or kept on the interval it ends in
  (:attr:`GapPolicy.FLAG`), as configured.

References
----------
- Home Assistant ``homeassistant/components/sensor/recorder.py`` (reset detection,
  state + sum) and its test vectors ``[10, 15, 20, 10, 30, 40, 50, 60, 70]``
  (``aesthetics.md`` §5.4).
- ``metering-and-scale.md`` §3.1 (what MyEMS loses: a decrease's slot, gaps written
  as 0), §3.5 (the complaint pattern), §4.4 (NULL for missing, flags for spread).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from .events import MeterEvent, register_segments
from .findings import Flag, MeterFinding
from .intervals import Consumption, Steps, from_interval_values, from_steps
from .meters import Meter, RegisterKind
from .options import ConsumptionOptions
from .prepare import Prepared, prepare
from .series import Carry, ReadingSeries


def interval_consumption(meter: Meter, ts: ArrayLike, value: ArrayLike, *,
                         events: Iterable[MeterEvent] = (),
                         options: ConsumptionOptions | None = None,
                         carry: Carry | None = None) -> Consumption:
    """Consumption per interval of ``meter`` from its readings.

    Parameters
    ----------
    meter : Meter
        The metering point (倍率, register kind, unit, interval, max rate).
    ts, value : array-like
        Reading times [epoch s, UTC] and register values [register unit], in the
        order received (resends and corrections may repeat a time).
    events : iterable of MeterEvent
        Its install / replace / remove events (none: one register, always there).
    options : ConsumptionOptions
        Gap policy, tolerance and detection thresholds.
    carry : Carry
        Where an earlier derivation of the readings before these ended (its
        ``Consumption.carry``): the first step is measured from it, as if the whole
        series had been derived at once; readings at or before ``carry.ts`` are ignored.

    Returns
    -------
    Consumption
        ``intervals`` [canonical unit of the carrier per interval; NaN missing] and
        ``findings``.
    """
    opts = options or ConsumptionOptions()
    prepared = prepare(meter, ReadingSeries.of(ts, value), register_segments(meter, events),
                       cumulative=meter.register is RegisterKind.CUMULATIVE,
                       tolerance=opts.tolerance, window=opts.glitch_window, carry=carry)
    if meter.register is RegisterKind.INTERVAL:
        return from_interval_values(meter, prepared)
    steps, findings, end = _steps(meter, prepared, opts)
    series, gap_findings = from_steps(meter, steps, prepared, opts.gap_policy,
                                      opts.max_spread_intervals)
    return Consumption(series, (*prepared.findings, *findings, *gap_findings), end)


def _steps(meter: Meter, p: Prepared, opts: ConsumptionOptions) -> tuple[
        Steps, list[MeterFinding], Carry | None]:
    """Energy of each step between consecutive kept readings of one register, and
    where the last one leaves the register."""
    v, seg = p.value, p.segment
    if v.size == 0:
        return Steps(p.ts, p.ts, v, np.zeros(0, np.uint16)), [], None
    linked = np.r_[False, seg[1:] == seg[:-1]]
    raw = np.r_[0.0, np.diff(v)]
    modulus = p.modulus_of_segment[seg]
    drop = linked & (raw < -opts.tolerance)
    with np.errstate(invalid="ignore"):
        rollover = drop & (raw + modulus <= opts.rollover_band * modulus)
    previous = np.r_[np.nan, v[:-1]]
    reset = drop & ~rollover & (v < opts.reset_ratio * previous)
    negative = drop & ~rollover & ~reset
    cycle_start = ~linked | rollover | reset
    cycle = np.cumsum(cycle_start) - 1
    held = np.where(p.carried, np.fmax(v, p.carried_level), v)  # a carried baseline
    # the running maximum within each cycle, exactly: a cumulative maximum of the
    # integer key (cycle, rank of the value), so no arithmetic touches the readings
    values, rank = np.unique(held, return_inverse=True)
    key = cycle * (values.size + 1) + rank
    level = values[np.maximum.accumulate(key) % (values.size + 1)]
    step = np.r_[0.0, np.diff(level)]
    step[reset] = v[reset]
    before = np.r_[np.nan, level[:-1]]  # the running maximum before the drop
    step[rollover] = (modulus - before + v)[rollover]
    step[~linked] = 0.0
    energy = step * p.multiplier_of_segment[seg] * meter.unit_factor
    dt = np.r_[0, np.diff(p.ts)]
    rated = np.zeros(v.size, dtype=bool)
    if meter.max_rate is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            rated = linked & (dt > 0) & (energy * 3600.0 / dt > meter.max_rate)
    flags = (np.where(reset, Flag.RESET, 0) | np.where(rollover, Flag.ROLLOVER, 0)
             | np.where(negative, Flag.NEGATIVE_STEP, 0)
             | np.where(rated, Flag.RATE_EXCEEDED, 0)
             | np.where(p.closes_register, Flag.REPLACEMENT, 0)).astype(np.uint16)
    findings = [
        MeterFinding(code, meter.number, int(p.ts[i]), float(v[i]), float(previous[i]))
        for code, mask in (("metering.counter_reset", reset),
                           ("metering.rollover", rollover),
                           ("metering.negative_step", negative),
                           ("metering.rate_exceeded", rated))
        for i in np.flatnonzero(mask)
    ]
    keep = linked
    end = Carry(int(p.ts[-1]), float(v[-1]), float(level[-1]))
    return Steps(p.ts[keep], dt[keep], energy[keep], flags[keep]), findings, end
