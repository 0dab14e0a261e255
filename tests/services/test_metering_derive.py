"""services.metering.derive on both databases: dirty ranges claimed and derived into
intervals and roll-ups — reset and replacement without fake spikes, energy conserved;
gaps missing (NULL) or spread by policy; late data rewrites only the periods it
touches; idempotent; two claimers never share a meter (PostgreSQL); virtual meters
follow their inputs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, func, select, update

from jieneng.core.metering import ConsumptionOptions, GapPolicy
from jieneng.core.permissions import Role
from jieneng.services.metering.derive import claim, derive_all_pending, rederive
from jieneng.services.metering.ingest import mark_dirty
from jieneng.services.metering.registry import (
    MeterSpec,
    add_meter,
    define_virtual,
    replace_meter,
)
from jieneng.storage import gateways as g
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from tests.sample import ORGAN, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
T0 = 1_764_518_400  # 2025-12-01 00:00 China time
Q = 900


@pytest.fixture
def meters(engine: Engine, files: Files, tmp_path: Path) -> dict[str, int]:
    load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("TOTAL", "电", "01000", ct=2))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("AC", "电", "01B00", parent="TOTAL"))
    define_virtual(engine, ADMIN, ORGAN, number="REST", carrier_text="电",
                   formula="TOTAL - AC")
    with engine.connect() as conn:
        return dict(conn.execute(select(m.metering_meter.c.number,
                                        m.metering_meter.c.id)).all())


def push(engine: Engine, meter_id: int, ts: np.ndarray, value: np.ndarray) -> None:
    frame = pl.DataFrame({"meter_id": np.full(ts.size, meter_id), "ts": ts, "value": value})
    with engine.begin() as conn:
        if r.write_readings(conn, frame):  # as the inputs do: a resend marks nothing
            mark_dirty(conn, frame)


def intervals(engine: Engine, meter_id: int) -> pl.DataFrame:
    i = r.metering_interval
    with engine.connect() as conn:
        rows = conn.execute(select(i.c.start, i.c.energy, i.c.flags)
                            .where(i.c.meter_id == meter_id).order_by(i.c.start)).all()
    return pl.DataFrame(rows, schema={"start": pl.Int64, "energy": pl.Float64,
                                      "flags": pl.Int64}, orient="row")


def rollups(engine: Engine) -> pl.DataFrame:
    u = r.metering_rollup
    with engine.connect() as conn:
        rows = conn.execute(select(u.c.meter_id, u.c.level, u.c.start, u.c.energy,
                                   u.c.present, u.c.expected, u.c.flags)
                            .order_by(u.c.meter_id, u.c.level, u.c.start)).all()
    return pl.DataFrame([tuple(x) for x in rows], orient="row", schema={
        "meter_id": pl.Int64, "level": pl.String, "start": pl.Int64, "energy": pl.Float64,
        "present": pl.Int64, "expected": pl.Int64, "flags": pl.Int64})


def dirty(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(g.metering_dirty)).scalar_one())


def test_reset_and_replacement_conserve_energy(engine: Engine, meters: dict[str, int]) -> None:
    # 1 register unit per 15 min for a day, 倍率 2; replaced at 10:07:30 (old 40.5 →
    # new 0), counter reset to 0 at 20:00 (the new cycle counts from 0)
    ts = T0 + Q * np.arange(1, 97)
    value = np.arange(1, 97, dtype=float)
    after = ts > T0 + 10 * 3600
    value[after] = value[after] - 40.0 - 0.5  # the new register started at 0 at 10:07:30
    reset = ts >= T0 + 20 * 3600
    value[reset] = value[reset] - value[reset][0] + 1.0  # 20:00 reads 1 (reset)
    replace_meter(engine, ADMIN, ORGAN, "TOTAL", at=datetime(2025, 12, 1, 10, 7, 30),
                  final=40.5, initial=0.0)
    push(engine, meters["TOTAL"], ts, value)
    done = derive_all_pending(engine)
    assert done.meters == 1 and done.virtual == 1 and dirty(engine) == 0
    got = intervals(engine, meters["TOTAL"])
    energy = got["energy"].to_numpy()
    assert got.height == 95 and np.allclose(energy, 2.0)  # no spike, nothing lost
    day = rollups(engine).filter((pl.col("meter_id") == meters["TOTAL"])
                                 & (pl.col("level") == "day"))
    assert day["energy"].to_list() == [190.0] and day["present"].to_list() == [95]
    assert day["expected"].to_list() == [96]
    month = rollups(engine).filter(pl.col("level") == "month")
    assert month.filter(pl.col("meter_id") == meters["TOTAL"])["energy"].to_list() == [190.0]


def test_gap_is_missing_or_spread_by_policy(engine: Engine, meters: dict[str, int]) -> None:
    ts = T0 + Q * np.r_[np.arange(0, 9), np.arange(17, 25)]  # 02:15 … 04:00 missing
    push(engine, meters["AC"], ts, np.arange(ts.size, dtype=float) * 0 + (ts - T0) / Q)
    derive_all_pending(engine, options=ConsumptionOptions(gap_policy=GapPolicy.FLAG))
    kept = intervals(engine, meters["AC"])
    assert kept["energy"].null_count() == 8  # never 0: missing
    assert kept.filter(pl.col("start") == T0 + 16 * Q)["energy"].to_list() == [9.0]
    hour = rollups(engine).filter((pl.col("meter_id") == meters["AC"])
                                  & (pl.col("level") == "hour") & (pl.col("start") == T0 + 7200))
    assert hour["present"].to_list() == [0] and hour["energy"].to_list() == [None]
    rederive(engine, [meters["AC"]])
    derive_all_pending(engine)  # the default: spread, flagged estimated
    spread = intervals(engine, meters["AC"])
    assert spread["energy"].null_count() == 0 and np.allclose(spread["energy"].to_numpy(), 1)
    assert spread["energy"].sum() == kept["energy"].sum()  # energy conserved either way


def test_late_reading_rewrites_only_the_periods_it_touches(engine: Engine,
                                                           meters: dict[str, int]) -> None:
    ts = T0 + Q * np.arange(1, 5 * 96 + 1)
    value = (ts - T0) / Q
    gap = (ts > T0 + 86_400 + 10 * 3600) & (ts < T0 + 86_400 + 12 * 3600)  # Dec 2 10–12
    push(engine, meters["TOTAL"], ts[~gap], value[~gap])
    derive_all_pending(engine)
    total = meters["TOTAL"]
    u = r.metering_rollup
    with engine.begin() as conn:  # mark two untouched periods: a rewrite would show
        conn.execute(update(u).where(u.c.meter_id == total, u.c.level == "day",
                                     u.c.start == T0 + 3 * 86_400).values(expected=-1))
        conn.execute(update(u).where(u.c.meter_id == total, u.c.level == "hour",
                                     u.c.start == T0 + 86_400 + 15 * 3600).values(expected=-1))
    before = rollups(engine)
    late = T0 + 86_400 + 11 * 3600  # Dec 2 11:00 arrives on Dec 5: 2 units (× 倍率 2) in hour 10
    fresh = T0 + 5 * 86_400 + Q  # … with today's next reading: two jobs, not one span
    push(engine, total, np.array([late]), np.array([(late - T0) / Q - 2]))
    push(engine, total, np.array([fresh]), np.array([(fresh - T0) / Q]))
    done = derive_all_pending(engine)
    assert done.jobs == 2
    after = rollups(engine)
    changed = before.join(after, on=["meter_id", "level", "start"], suffix="_new").filter(
        (pl.col("energy") != pl.col("energy_new")) | (pl.col("flags") != pl.col("flags_new")))
    mine = changed.filter(pl.col("meter_id") == total)
    hours = sorted((s - T0 - 86_400) // 3600 for s in
                   mine.filter(pl.col("level") == "hour")["start"].to_list())
    assert hours == [10, 11]
    # Dec 2's energy was spread before, now attributed: the day is the same; December
    # has the fresh reading's energy
    assert mine.filter(pl.col("level") != "hour")["level"].to_list() == ["month"]
    assert mine.filter(pl.col("level") == "hour")["energy"].to_list() == [8.0, 8.0]  # spread
    new = after.filter((pl.col("meter_id") == total) & (pl.col("level") == "hour"))
    by_hour = dict(zip(new["start"].to_list(), new["energy"].to_list(), strict=True))
    assert by_hour[T0 + 86_400 + 10 * 3600] == 4.0 and by_hour[T0 + 86_400 + 11 * 3600] == 12.0
    written = after.filter((pl.col("meter_id") == total) & (pl.col("expected") == -1))
    assert written.height == 2  # the untouched periods were not rewritten
    assert done.rollups <= 22  # (hours 9–12 of Dec 2, Dec 2, hours 23 and 0 of Dec 5/6,
    # two days, December) × (TOTAL, REST)
    rederive(engine, [total])  # the whole history again: the same figures
    derive_all_pending(engine)
    full = rollups(engine)
    assert full.filter(pl.col("expected") == -1).height == 0
    same = full.join(after, on=["meter_id", "level", "start"], suffix="_inc")
    assert (same["energy"] == same["energy_inc"]).all()
    assert (same["flags"] == same["flags_inc"]).all()


def test_derive_twice_changes_nothing_and_virtual_follows(engine: Engine,
                                                          meters: dict[str, int]) -> None:
    ts = T0 + Q * np.arange(1, 49)
    push(engine, meters["TOTAL"], ts, np.arange(1, 49) * 3.0)
    push(engine, meters["AC"], ts, np.arange(1, 49) * 1.0)
    derive_all_pending(engine)
    rest = intervals(engine, meters["REST"])
    assert rest.height == 47 and np.allclose(rest["energy"].to_numpy(), 6.0 - 1.0)
    first = rollups(engine)
    push(engine, meters["AC"], ts, np.arange(1, 49) * 1.0)  # a resend: nothing dirty
    assert dirty(engine) == 0
    rederive(engine, [meters["TOTAL"], meters["AC"]])
    derive_all_pending(engine)
    assert rollups(engine).equals(first)
    assert intervals(engine, meters["REST"]).equals(rest)


def test_two_claimers_never_share_a_meter(engine: Engine, meters: dict[str, int]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer")
    ts = T0 + Q * np.arange(1, 5)
    push(engine, meters["TOTAL"], ts, np.arange(1, 5) * 1.0)
    push(engine, meters["AC"], ts, np.arange(1, 5) * 1.0)
    push(engine, meters["TOTAL"], ts + 86_400, np.arange(5, 9) * 1.0)
    with engine.connect() as a, engine.connect() as b:
        with a.begin():
            first = claim(a, 1)
            with b.begin():
                second = claim(b, 1)  # passes over the first claimer's meter
                third = claim(b, 5)
        assert first["meter_id"].unique().to_list() == [meters["TOTAL"]]
        assert first.height == 2
        assert second["meter_id"].unique().to_list() == [meters["AC"]]
        assert third.height == 0
    assert dirty(engine) == 0
