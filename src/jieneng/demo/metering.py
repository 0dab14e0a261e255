"""The demo's metered data: a handful of 桂林 units' meters and 15-minute readings.

Pure generation (numpy, seeded): each unit has a total electricity meter with air
conditioning and lighting sub-meters, the data-centre unit an IT and a room-total
sub-meter, every unit a water meter read hourly. Loads follow office hours
(08:30–18:00 on weekdays), Guilin's seasons (air conditioning from May to October,
a little heating in winter) and ±5 % noise; registers are cumulative, in register
units (the kWh divided by the CT·PT multiplier). Nothing here is a measured value:
the figures are the demo's own, for the pages to have data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

#: China time is UTC+8 all year
_LOCAL = 8 * 3600
QUARTER = 900
HOUR = 3600


@dataclass(frozen=True, slots=True)
class DemoMeter:
    """A demo meter: its number, what it measures and how its load is shaped."""

    number: str
    name: str
    carrier: str
    item_code: str
    parent: str | None
    interval_s: int
    ct: float
    base_kw: float  # always on (water: m³/h) — of the meter's own, unmetered part
    office_kw: float  # added in office hours
    cooling_kw: float  # added in office hours in the cooling season, scaled by heat
    start_value: float  # register at the first reading
    room_kw: float = 0.0  # a data-centre room's cooling overhead, rising in summer


def unit_meters(scale: float, *, data_centre: bool,
                water_scale: float | None = None) -> tuple[DemoMeter, ...]:
    """The meters of one demo unit, electricity loads scaled by ``scale`` (≈ staff /
    100; the data-centre room does not scale), water by ``water_scale`` (default
    ``scale``)."""
    s, w = scale, scale if water_scale is None else water_scale
    meters = [  # a parent's own load is what its sub-meters do not measure
        DemoMeter("ZB-01", "总表", "electricity", "01000", None, QUARTER, 40.0,
                  3.5 * s, 25 * s, 0.0, 12_000.0),
        DemoMeter("KT-01", "空调", "electricity", "01B00", "ZB-01", QUARTER, 1.0,
                  0.5 * s, 0.0, 45 * s, 80_000.0),
        DemoMeter("ZM-01", "照明插座", "electricity", "01A00", "ZB-01", QUARTER, 1.0,
                  2 * s, 30 * s, 0.0, 150_000.0),
        DemoMeter("SB-01", "总水表", "water", "02000", None, HOUR, 1.0,
                  0.05 * w, 1.2 * w, 0.0, 3_000.0),
    ]
    if data_centre:
        meters += [
            DemoMeter("JF-01", "数据中心机房总", "electricity", "01D00", "ZB-01", QUARTER, 1.0,
                      1.5, 0.0, 0.0, 900_000.0, room_kw=16.0),
            DemoMeter("JF-IT", "数据中心IT设备", "electricity", "01D00", "JF-01", QUARTER, 1.0,
                      42.0, 0.0, 0.0, 600_000.0),
        ]
    return tuple(meters)


def _season(local_day_of_year: np.ndarray) -> np.ndarray:
    """Cooling demand 0–1 over the year: peaks late July, none December–March."""
    x = np.cos((local_day_of_year - 205) / 365.0 * 2 * np.pi)
    return np.asarray(np.clip((x - 0.15) / 0.85, 0.0, 1.0), dtype=np.float64)


def load(meter: DemoMeter, ts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The energy (kWh or m³) of each interval starting at ``ts`` (epoch s)."""
    local = ts + _LOCAL
    hour = (local % 86400) / 3600.0
    weekday = ((local // 86400) + 3) % 7  # 1970-01-01 was a Thursday → 0 = Monday
    office = ((hour >= 8.5) & (hour < 18.0) & (weekday < 5)).astype(float)
    doy = (local // 86400) % 365.25
    cooling = _season(doy) * office
    kw = (meter.base_kw + meter.office_kw * office + meter.cooling_kw * cooling
          + meter.room_kw * (1.0 + 0.5 * _season(doy)))
    noise = 1.0 + 0.05 * rng.standard_normal(ts.size)
    return np.asarray(np.maximum(kw * noise, 0.0) * (meter.interval_s / 3600.0), np.float64)


def unit_readings(meters: tuple[DemoMeter, ...], start: int, end: int,
                  seed: int) -> dict[str, pl.DataFrame]:
    """Cumulative register readings ``ts, value`` of each meter at every interval
    boundary in [``start``, ``end``] (epoch s, aligned to its interval); a parent's
    energy is its own load plus its sub-meters' (so sub-meters never exceed it)."""
    energy: dict[str, np.ndarray] = {}
    stamps: dict[str, np.ndarray] = {}
    for k, m in enumerate(meters):  # one stream per meter: a later ``end`` only appends
        first = -(-start // m.interval_s) * m.interval_s
        stamps[m.number] = np.arange(first, end + 1, m.interval_s, dtype=np.int64)
        energy[m.number] = load(m, stamps[m.number][:-1], np.random.default_rng([seed, k]))
    for m in reversed(meters):  # children are listed after their parents
        if m.parent is not None and m.parent in energy:
            energy[m.parent] = energy[m.parent] + energy[m.number]
    out = {}
    for m in meters:
        counts = np.concatenate([[0.0], np.cumsum(energy[m.number] / m.ct)])
        out[m.number] = pl.DataFrame({"ts": stamps[m.number],
                                      "value": np.round(m.start_value + counts, 3)})
    return out


def _used(meters: tuple[DemoMeter, ...], number: str, start: int, end: int,
          seed: int) -> float:
    frame = unit_readings(meters, start, end, seed)[number]
    ct = next(m.ct for m in meters if m.number == number)
    return float(frame["value"][-1] - frame["value"][0]) * ct


def calibrate(*, data_centre: bool, kwh: float | None, m3: float | None, start: int,
              end: int, seed: int) -> tuple[float, float]:
    """(scale, water scale) with which the unit's total meter uses ``kwh`` and its
    water meter ``m3`` over [``start``, ``end``] (a unit's reported month, so metered
    and reported agree); the loads are linear in the scales (the noise multiplies),
    the data-centre room is fixed. None keeps a scale of 1."""
    zero = unit_meters(0.0, data_centre=data_centre, water_scale=0.0)
    one = unit_meters(1.0, data_centre=data_centre, water_scale=1.0)
    fixed = _used(zero, "ZB-01", start, end, seed)
    per_scale = _used(one, "ZB-01", start, end, seed) - fixed
    scale = 1.0 if not kwh else max((kwh - fixed) / per_scale, 0.2)
    water = 1.0 if not m3 else max(m3 / _used(one, "SB-01", start, end, seed), 0.05)
    return round(scale, 6), round(water, 6)
