"""A national day of grid daily data: 260,000 户号 × 1 day in one file, imported end to
end through :func:`jieneng.services.metering.utility.import_days` (issue 12 §2, speed).

Not a test. In a fresh PostgreSQL schema (dropped afterwards) or a new SQLite file:
``--institutions`` synthetic institutions (``bench/generate_province.py``'s directory)
and ``--accounts`` electricity accounts bound to them round-robin (loaded directly,
not measured); one CSV (UTF-8; ``--gbk`` for GB18030) of one day per account with
尖/峰/平/谷 is written, then imported three times, each timed from the file to the
commit: **new** (every day inserted), **same** (a resend: nothing changes),
**revised** (every value changed: 260,000 rows into the history, new revisions).
A dry run of the revised file is timed too (everything but the commit).

Usage::

    .venv/bin/python bench/bench_utility_files.py [--pg URL | --sqlite PATH]
        [--accounts 260000] [--institutions 20000] [--gbk]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_province import institutions_frame, regions_frame
from jieneng.core.caller import command_line_user
from jieneng.services.metering.utility import import_days
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage import utility_data as u
from jieneng.storage.bulk import bulk_insert
from jieneng.storage.engine import make_engine
from jieneng.storage.institutions import upsert_institutions
from jieneng.storage.migrate import upgrade
from jieneng.storage.regions import upsert_regions

DAY = date(2026, 11, 30)
TODAY = date(2026, 12, 3)


def write_file(path: Path, numbers: list[str], scale: float, gbk: bool) -> None:
    rng = np.random.default_rng(int(scale * 100))
    total = np.round(rng.gamma(2.0, 150.0, len(numbers)) * scale, 2)
    tip = np.round(total * 0.05, 2)
    peak = np.round(total * 0.35, 2)
    valley = np.round(total * 0.25, 2)
    flat = np.round(total - tip - peak - valley, 2)
    frame = pl.DataFrame({"户号": numbers, "日期": [DAY.isoformat()] * len(numbers),
                          "电量(千瓦时)": total, "尖": tip, "峰": peak, "平": flat, "谷": valley})
    if gbk:
        path.write_bytes(frame.write_csv().encode("gb18030"))
    else:
        frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", default=None)
    parser.add_argument("--accounts", type=int, default=260_000)
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--gbk", action="store_true")
    args = parser.parse_args()
    schema = f"bench_u_{uuid.uuid4().hex[:8]}"
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
        t0 = time.perf_counter()
        upgrade(engine)
        rng = np.random.default_rng(7)
        numbers = [f"03{i:08d}" for i in range(args.accounts)]
        with engine.begin() as conn:
            upsert_regions(conn, regions_frame())
            upsert_institutions(conn, institutions_frame(args.institutions, rng), import_id=None)
            inst_ids = np.array(conn.execute(select(t.institution.c.id)
                                             .order_by(t.institution.c.id)).scalars().all())
            bulk_insert(conn, m.metering_account, pl.DataFrame({
                "carrier": ["electricity"] * args.accounts, "number": numbers}))
            account_ids = np.array(conn.execute(select(m.metering_account.c.id).order_by(
                m.metering_account.c.id)).scalars().all())
            bulk_insert(conn, m.metering_binding, pl.DataFrame({
                "account_id": account_ids,
                "institution_id": inst_ids[np.arange(args.accounts) % inst_ids.size],
                "valid_from": [date(2026, 1, 1)] * args.accounts,
                "created_by": ["bench"] * args.accounts}))
        print(f"setup ({args.institutions:,} institutions, {args.accounts:,} bound accounts): "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        user = command_line_user()
        with tempfile.TemporaryDirectory() as folder:
            first = Path(folder) / "daily-1.csv"
            second = Path(folder) / "daily-2.csv"
            write_file(first, numbers, 1.0, args.gbk)
            write_file(second, numbers, 1.1, args.gbk)
            size = first.stat().st_size
            print(f"file: {args.accounts:,} rows, {size / 1e6:.1f} MB "
                  f"({'GB18030' if args.gbk else 'UTF-8'})", flush=True)
            for label, path, dry in (("new", first, False), ("same", first, False),
                                     ("revised, dry run", second, True),
                                     ("revised", second, False)):
                t0 = time.perf_counter()
                report = import_days(engine, user, path, dry_run=dry, today=TODAY)
                took = time.perf_counter() - t0
                print(f"{label:>17}: {took:6.1f} s  {args.accounts / took:9,.0f} rows/s  "
                      f"new {report.new:,} revised {report.revised:,} "
                      f"unchanged {report.unchanged:,}", flush=True)
        with engine.connect() as conn:
            days = conn.execute(select(func.count()).select_from(u.metering_account_day))
            history = conn.execute(select(func.count()).select_from(
                u.metering_account_day_history))
            print(f"stored: {days.scalar_one():,} days, {history.scalar_one():,} in history")
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
