"""Readings written through ``storage.meter_readings.write_readings`` against a raw
``COPY`` into the same table, measured in the same run (issue 12, speed).

Not a test. In a fresh PostgreSQL schema (dropped afterwards) or a new SQLite file:
``meters`` × ``readings`` 15-minute readings (2026-01-01 on) are written once through
``write_readings`` (stage by COPY / executemany, one ``INSERT … ON CONFLICT``, the
month partitions made), the table is emptied, the same frame goes in by a raw bulk
insert (COPY / executemany straight into the table), and the batch is written again
through ``write_readings`` (a resend: nothing changes).

Usage::

    .venv/bin/python bench/bench_meter_readings.py [--pg URL | --sqlite PATH]
                                                   [--meters 1000] [--readings 500]
"""

from __future__ import annotations

import argparse
import time
import uuid

import numpy as np
import polars as pl
from sqlalchemy import create_engine, text

from jieneng.storage import meter_readings as r
from jieneng.storage.bulk import bulk_insert
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

START = 1767196800  # 2026-01-01 00:00 China time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", default=None)
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--readings", type=int, default=500)
    args = parser.parse_args()
    schema = f"bench_r_{uuid.uuid4().hex[:8]}"
    admin = None
    if args.sqlite:
        url = f"sqlite:///{args.sqlite}"
    else:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{args.pg}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    meter = np.repeat(np.arange(1, args.meters + 1), args.readings)
    ts = np.tile(START + 900 * np.arange(args.readings), args.meters)
    frame = pl.DataFrame({"meter_id": meter, "ts": ts,
                          "value": np.random.default_rng(1).random(meter.size) * 1000})
    try:
        with engine.begin() as conn:
            r.ensure_partitions(conn, int(ts.min()), int(ts.max()))
        t0 = time.perf_counter()
        with engine.begin() as conn:
            r.write_readings(conn, frame)
        written = time.perf_counter() - t0
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM metering_reading")
        t0 = time.perf_counter()
        with engine.begin() as conn:
            bulk_insert(conn, r.metering_reading,
                        frame.with_columns(pl.lit(0).alias("received_at")))
        raw = time.perf_counter() - t0
        t0 = time.perf_counter()
        with engine.begin() as conn:
            changed = r.write_readings(conn, frame)
        resend = time.perf_counter() - t0
        n = frame.height
        print(f"{engine.dialect.name}: {n:,} readings — write_readings {written:.2f} s "
              f"({n / written:,.0f}/s), raw bulk insert {raw:.2f} s ({n / raw:,.0f}/s), "
              f"ratio {raw / written:.2f}; resend {resend:.2f} s, {changed} changed")
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
