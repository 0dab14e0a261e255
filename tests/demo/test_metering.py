"""The demo's generated readings: cumulative, deterministic when the end moves later,
parents never below their sub-meters, a plausible data-centre PUE."""

from __future__ import annotations

import numpy as np

from jieneng.demo.metering import unit_meters, unit_readings

START = 1_764_518_400  # 2025-12-01 00:00 China time
DAY = 86_400


def test_registers_rise_and_parents_cover_their_sub_meters() -> None:
    meters = unit_meters(1.5, data_centre=True)
    series = unit_readings(meters, START, START + 30 * DAY, seed=7)
    used = {n: np.diff(f["value"].to_numpy()) for n, f in series.items()}
    assert all((d >= 0).all() for d in used.values())
    ct = {m.number: m.ct for m in meters}
    kwh = {n: d * ct[n] for n, d in used.items()}
    children = kwh["KT-01"] + kwh["ZM-01"] + kwh["JF-01"]
    assert (kwh["ZB-01"] >= children - 1e-6).all()
    assert (kwh["JF-01"] >= kwh["JF-IT"]).all()
    pue = kwh["JF-01"].sum() / kwh["JF-IT"].sum()
    assert 1.2 < pue < 1.7
    assert series["SB-01"].height == 30 * 24 + 1 and series["ZB-01"].height == 30 * 96 + 1


def test_a_later_end_only_appends() -> None:
    meters = unit_meters(1.0, data_centre=False)
    short = unit_readings(meters, START, START + 2 * DAY, seed=3)
    long = unit_readings(meters, START, START + 9 * DAY, seed=3)
    for number, frame in short.items():
        assert long[number].head(frame.height).equals(frame)
