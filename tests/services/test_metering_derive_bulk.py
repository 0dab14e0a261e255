"""services.metering.derive_bulk: the set-based path for clean cumulative meters gives
exactly what the core gives one meter at a time — every interval and roll-up compared,
on random readings with a reset, a replacement, a gap, a dip, a rate step, 倍率 and
late data, on both databases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, delete, insert, select

from jieneng.core.permissions import Role
from jieneng.services.metering import derive
from jieneng.services.metering.derive import derive_all_pending
from jieneng.services.metering.derive_bulk import (
    PARAM_SCHEMA,
    clean_interval_values,
    clean_intervals,
)
from jieneng.services.metering.ingest import mark_dirty
from jieneng.services.metering.registry import replace_meter
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from tests.sample import ORGAN, Files
from tests.services.metering_world import load, user

T0 = 1_764_518_400  # 2025-12-01 00:00 China time
N = 2 * 96


def _readings(ids: list[int]) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    frames = []
    for k, meter_id in enumerate(ids):
        ts = T0 + 900 * np.arange(1, N + 1) + (37 if k == 9 else 0)
        value = 500 + np.cumsum(rng.uniform(0, 3, N))
        if k == 1:  # a counter reset
            value[120:] -= value[119] - 2.0
        if k == 2:  # a gap of eight readings
            ts, value = np.delete(ts, range(60, 68)), np.delete(value, range(60, 68))
        if k == 4:  # a short dip
            value[70] -= 40.0
        if k == 5:  # one step above max_rate
            value[90:] += 500.0
        if k >= 12:  # interval registers: the use of each interval, at its start
            ts, value = ts - 900, rng.uniform(0, 3, N)
            if k == 13:  # a negative value, refused
                value[50] = -1.0
            if k == 14:  # a gap of eight intervals
                ts, value = np.delete(ts, range(60, 68)), np.delete(value, range(60, 68))
        frames.append(pl.DataFrame({"meter_id": np.full(ts.size, meter_id), "ts": ts,
                                    "value": value}))
    return pl.concat(frames)


def _push(engine: Engine, frame: pl.DataFrame) -> None:
    with engine.begin() as conn:
        r.write_readings(conn, frame)
        mark_dirty(conn, frame)


def _stored(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    i, u = r.metering_interval, r.metering_rollup
    with engine.connect() as conn:
        ints = conn.execute(select(i.c.meter_id, i.c.start, i.c.energy, i.c.flags)
                            .order_by(i.c.meter_id, i.c.start)).all()
        rolls = conn.execute(select(u.c.meter_id, u.c.level, u.c.start, u.c.energy,
                                    u.c.present, u.c.expected, u.c.flags)
                             .order_by(u.c.meter_id, u.c.level, u.c.start)).all()
    return (pl.DataFrame([tuple(x) for x in ints], orient="row",
                         schema=["meter_id", "start", "energy", "flags"]),
            pl.DataFrame([tuple(x) for x in rolls], orient="row",
                         schema=["meter_id", "level", "start", "energy", "present",
                                 "expected", "flags"]))


def _run(engine: Engine, frame: pl.DataFrame, ids: list[int]) -> tuple[pl.DataFrame, ...]:
    with engine.begin() as conn:
        for table in (r.metering_interval, r.metering_rollup, g.metering_dirty):
            conn.execute(delete(table))
        conn.execute(delete(r.metering_reading))
    _push(engine, frame)
    derive_all_pending(engine, limit=5)  # several passes
    first = _stored(engine)
    mid = T0 + 900 * 100
    late = frame.filter(pl.col("ts") == mid).with_columns(pl.col("ts") - 450,
                                                          pl.col("value") - 0.001)
    _push(engine, late)
    _push(engine, frame.filter(pl.col("ts") > T0 + 900 * (N - 2)).with_columns(
        pl.col("ts") + 1800, pl.col("value") + 1.0))  # and fresh readings
    derive_all_pending(engine)
    return (*first, *_stored(engine))


@pytest.fixture
def world(engine: Engine, files: Files, tmp_path: Path) -> list[int]:
    ids = load(engine, files)
    with engine.begin() as conn:
        conn.execute(insert(m.metering_meter), [
            {"institution_id": ids[ORGAN], "number": f"F{k:02d}", "carrier": "electricity",
             "register": "cumulative", "status": "active", "ct": [1, 2, 50][k % 3],
             "max_rate": 400.0 if k == 5 else None} for k in range(12)]
            + [{"institution_id": ids[ORGAN], "number": f"F{k:02d}", "carrier": "electricity",
                "register": "interval", "status": "active", "ct": [1, 2, 50][k % 3],
                "max_rate": None}
               for k in range(12, 16)])
        got = conn.execute(select(m.metering_meter.c.id).where(
            m.metering_meter.c.number.like("F%")).order_by(m.metering_meter.c.number))
        meter_ids = [int(x) for x in got.scalars()]
    replace_meter(engine, user(Role.ADMIN), ORGAN, "F03", at=datetime(2025, 12, 1, 20, 7),
                  final=700.0, initial=0.0)
    return meter_ids


def test_fast_path_equals_core(engine: Engine, world: list[int],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _readings(world)
    calls: list[list[int]] = []  # the meters each pass took the set-based way

    def spy(*args: object, **kwargs: object) -> object:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(list(out[2]))
        return out

    real = clean_intervals
    monkeypatch.setattr(derive, "clean_intervals", spy)
    values: list[list[int]] = []

    def spy_values(*args: object, **kwargs: object) -> object:
        out = clean_interval_values(*args, **kwargs)  # type: ignore[arg-type]
        values.append(list(out[2]))
        return out

    monkeypatch.setattr(derive, "clean_interval_values", spy_values)
    fast = _run(engine, frame, world)
    assert len(calls) == len(values) == 5  # four passes of five meters, then late data
    first = {i for c in calls[:4] for i in c}
    # the clean meters went the set-based way, the others through the core
    assert first == {world[k] for k in (0, 6, 7, 8, 9, 10, 11)}
    assert {i for c in values[:4] for i in c} == {world[k] for k in (12, 15)}  # interval
    # late data: a reading between two others closes the same interval; the windows
    # of the reset, the gap … do not reach their anomalies, so most jobs are clean
    assert len(calls[4]) >= 5
    monkeypatch.setattr(derive, "_fast_params",
                        lambda *_: pl.DataFrame(schema=PARAM_SCHEMA))
    slow = _run(engine, frame, world)
    for a, b in zip(fast, slow, strict=True):
        assert a.height > 0
        assert a.equals(b, null_equal=True)
