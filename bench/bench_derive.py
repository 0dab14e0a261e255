"""Derivation of interval consumption and roll-ups from readings
(``services.metering.derive``), as the worker runs it (issue 12 §3).

Not a test. In a fresh PostgreSQL schema (dropped afterwards) or a new SQLite file:
the sample 桂林 directory, ``meters`` cumulative meters of one institution,
``days`` × 96 15-minute readings each (2026-01-01 on) written with their dirty ranges
(``services.metering.ingest.mark_dirty``), then (a) every range derived
(``derive_all_pending``, passes of ``--limit`` meters); (b) one late reading per meter
in the middle of the range derived (only its hours, day and month rewritten);
(c) a resend: nothing dirty, nothing done.

Usage::

    PYTHONPATH=. .venv/bin/python bench/bench_derive.py [--pg URL | --sqlite PATH]
                                                       [--meters 1000] [--days 1]
                                                       [--core-only]

``--core-only`` turns the set-based path for clean meters
(``services.metering.derive_bulk``) off: every meter through the core one at a time,
as before it existed — the comparison in the same run conditions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import create_engine, insert, text
from tests.sample import ORGAN, make_files
from tests.services.metering_world import load

from jieneng.services.metering import derive
from jieneng.services.metering.derive import derive_all_pending
from jieneng.services.metering.derive_bulk import PARAM_SCHEMA
from jieneng.services.metering.ingest import mark_dirty
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

START = 1767196800  # 2026-01-01 00:00 China time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", default=None)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--core-only", action="store_true")
    args = parser.parse_args()
    if args.core_only:
        derive._fast_params = lambda *_: pl.DataFrame(schema=PARAM_SCHEMA)
    schema = f"bench_d_{uuid.uuid4().hex[:8]}"
    admin = None
    if args.sqlite:
        url = f"sqlite:///{args.sqlite}"
    else:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.pg}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        ids = load(engine, make_files(Path(tempfile.mkdtemp())))
        with engine.begin() as conn:
            conn.execute(insert(m.metering_meter), [
                {"institution_id": ids[ORGAN], "number": f"B{k:05d}", "carrier": "electricity",
                 "register": "cumulative", "status": "active"} for k in range(args.meters)])
        n = args.days * 96
        meter = np.repeat(np.arange(1, args.meters + 1), n)
        ts = np.tile(START + 900 * np.arange(1, n + 1), args.meters)
        rng = np.random.default_rng(1)
        grid = np.cumsum(rng.uniform(0, 2, meter.size)).reshape(args.meters, n)
        value = (grid - grid[:, :1]).reshape(-1) + 1000
        frame = pl.DataFrame({"meter_id": meter, "ts": ts, "value": value})
        with engine.begin() as conn:
            r.write_readings(conn, frame)
            mark_dirty(conn, frame)
        t0 = time.perf_counter()
        done = derive_all_pending(engine, limit=args.limit)
        first = time.perf_counter() - t0
        mid = n // 2
        late = frame.filter(pl.col("ts") == START + 900 * mid).with_columns(
            pl.col("ts") - 450, pl.col("value") - 0.01)
        with engine.begin() as conn:
            r.write_readings(conn, late)
            mark_dirty(conn, late)
        t0 = time.perf_counter()
        again = derive_all_pending(engine, limit=args.limit)
        late_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        idle = derive_all_pending(engine, limit=args.limit)
        idle_s = time.perf_counter() - t0
        mode = " core only" if args.core_only else ""
        print(f"{engine.dialect.name}{mode}: {frame.height:,} readings of {args.meters} meters — "
              f"derived in {first:.2f} s ({frame.height / first:,.0f} readings/s; "
              f"{done.intervals:,} intervals, {done.rollups:,} roll-ups); "
              f"one late reading per meter: {late_s:.2f} s ({again.intervals:,} intervals, "
              f"{again.rollups:,} roll-ups rewritten); idle pass {idle_s * 1000:.0f} ms "
              f"({idle.ranges} ranges)")
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
