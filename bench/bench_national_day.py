"""One national day bulk-loaded into PostgreSQL with its derivation and roll-ups
(issue 12, speed: 260,000 accounts × 96 readings ≈ 25 M; docs/scaling.md).

Not a test. In a database of its own (``--database``, created and dropped), for
``accounts × sample`` meters (15-minute interval registers, kWh) of one day
(2026-01-15, China time):

1. the meters are registered (COPY);
2. **load**: the day's readings go through ``storage.meter_readings.write_readings``
   (stage + ``INSERT … ON CONFLICT``, the idempotent path every input uses) and
   ``services.metering.ingest.mark_dirty`` in transactions of ``--chunk`` readings;
   then the same count again by a raw ``COPY`` into the table (the ceiling);
3. **derive**: ``services.metering.derive.derive_all_pending`` (intervals, hour and
   day roll-ups of every meter, the platform's own path), and, as a reference, a
   set-based SQL day roll-up of the readings (``GROUP BY meter, day`` into a
   temporary table);
4. sizes: the readings' partition (heap + primary key) per reading, the WAL written
   by the load, the derived tables.

With ``--sample`` below 1 the times are extrapolated linearly to the full day (the
work is per reading and per meter, partition-local) — stated in the output.

Usage::

    .venv/bin/python bench/bench_national_day.py [--sample 0.1] [--accounts 260000]
        [--pg URL] [--database jn_bench_day] [--chunk 500000] [--no-derive]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import polars as pl
from sqlalchemy import create_engine, insert, text

from jieneng.services.metering.derive import derive_all_pending
from jieneng.services.metering.ingest import mark_dirty
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage.bulk import bulk_insert
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

DAY = 1768406400  # 2026-01-15 00:00 China time
COPY_DAY = DAY + 86400


def _size(conn: object, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one() or 0)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="jn_bench_day")
    parser.add_argument("--accounts", type=int, default=260_000)
    parser.add_argument("--sample", type=float, default=0.1)
    parser.add_argument("--chunk", type=int, default=500_000)
    parser.add_argument("--no-derive", action="store_true")
    args = parser.parse_args()
    meters = int(args.accounts * args.sample)
    scale = args.accounts / meters
    base = args.pg.rsplit("/", 1)[0]
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}"'))
        conn.execute(text(f'CREATE DATABASE "{args.database}"'))
    engine = make_engine(f"{base}/{args.database}")
    load0 = os.getloadavg()[0]
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(insert(t.region).values(code="450300", name="桂林市", level=2))
            inst = conn.execute(insert(t.institution).values(
                credit_code="12450300MB0000001X", name="基准单位", name_key="基准单位",
                region_code="450300", category="01").returning(t.institution.c.id)
            ).scalar_one()
            bulk_insert(conn, m.metering_meter, pl.DataFrame({
                "institution_id": np.full(meters, inst),
                "number": [f"A{k:07d}" for k in range(meters)],
                "carrier": ["electricity"] * meters, "register": ["interval"] * meters,
                "unit": ["kWh"] * meters, "interval_s": np.full(meters, 900)}))
            first = int(conn.execute(text("SELECT min(id) FROM metering_meter")).scalar_one())
            r.ensure_partitions(conn, DAY, COPY_DAY + 86400)
        ids = np.arange(first, first + meters)
        rng = np.random.default_rng(12)
        frame = pl.DataFrame({"meter_id": np.repeat(ids, 96),
                              "ts": np.tile(DAY + 900 * np.arange(96), meters),
                              "value": np.round(rng.gamma(2.0, 1.5, meters * 96), 3)})
        n = frame.height
        with engine.connect() as conn:
            wal0 = str(conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one())
        t0 = time.perf_counter()
        for chunk in frame.iter_slices(args.chunk):
            with engine.begin() as conn:
                r.write_readings(conn, chunk)
                mark_dirty(conn, chunk.select("meter_id", "ts"))
        load_s = time.perf_counter() - t0
        with engine.connect() as conn:
            wal = _size(conn, f"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{wal0}')")
            part = r.month_ranges(DAY, DAY)[0][0]
            heap = _size(conn, f"SELECT pg_table_size('{part}')")
            index = _size(conn, f"SELECT pg_indexes_size('{part}')")
        t0 = time.perf_counter()
        with engine.begin() as conn:
            bulk_insert(conn, r.metering_reading, frame.with_columns(
                pl.col("ts") + 86400, pl.lit(0).alias("received_at")))
        copy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.begin() as conn:
            days = conn.execute(text(
                "CREATE TEMPORARY TABLE day_rollup AS SELECT meter_id, "
                f"(ts - {DAY}) / 86400 AS day, sum(value) AS energy, count(*) AS present "
                f"FROM metering_reading WHERE ts >= {DAY} AND ts < {DAY + 86400} "
                f"GROUP BY meter_id, (ts - {DAY}) / 86400")).rowcount
        sql_s = time.perf_counter() - t0
        print(f"national day, sample {args.sample:g}: {meters:,} meters × 96 = {n:,} readings "
              f"(load average {load0:.2f} at start; 2 shared cores)")
        print(f"  load through write_readings + mark_dirty ({args.chunk:,} a transaction): "
              f"{load_s:.1f} s = {n / load_s:,.0f} readings/s; raw COPY of as many: "
              f"{copy_s:.1f} s = {n / copy_s:,.0f} readings/s (ratio {copy_s / load_s:.2f})")
        print(f"  readings partition: heap {heap / n:.0f} B + primary key {index / n:.0f} B "
              f"per reading; WAL of the load {wal / n:.0f} B per reading")
        print(f"  SQL day roll-up (GROUP BY, {days:,} rows): {sql_s:.1f} s", flush=True)
        derive_s = 0.0
        if not args.no_derive:
            t0 = time.perf_counter()
            done = derive_all_pending(engine, limit=2000, max_passes=100_000)
            derive_s = time.perf_counter() - t0
            with engine.connect() as conn:
                derived = _size(conn, "SELECT pg_total_relation_size('metering_interval') + "
                                      "pg_total_relation_size('metering_rollup')")
            print(f"  derive_all_pending: {derive_s:.1f} s = {n / derive_s:,.0f} readings/s "
                  f"({done.meters:,} meters, {done.intervals:,} intervals, {done.rollups:,} "
                  f"roll-ups); derived tables {derived / n:.0f} B per reading")
        if scale > 1:
            print(f"  extrapolated ×{scale:g} to {args.accounts:,} accounts "
                  f"({args.accounts * 96:,} readings): load {load_s * scale / 60:.1f} min, "
                  f"raw COPY {copy_s * scale / 60:.1f} min, derivation "
                  f"{derive_s * scale / 60:.1f} min, SQL day roll-up {sql_s * scale:.0f} s")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
