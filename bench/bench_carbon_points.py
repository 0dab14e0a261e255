"""Benchmark the carbon-points ledger (碳普惠, issue 14 §6): a 100,000-row import, the same
file again, the leaderboards, and a hand correction.

    .venv/bin/python bench/bench_carbon_points.py --db sqlite:////tmp/jieneng_bench/carbon.db
    createdb -h 127.0.0.1 -U postgres jieneng_bench_carbon
    .venv/bin/python bench/bench_carbon_points.py \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/jieneng_bench_carbon

The database (empty, or made by an earlier run: it is upgraded, and the 桂林 regions and
``--institutions`` institutions are added when it has none) gets a CSV written once per
run: ``--institutions`` × ``--staff`` staff × ``--days`` days × the five actions of the
shipped rules that a staff member does daily (two commutes, meals, recyclables and
office electricity saved; quantities seeded, some over the daily caps) = 100,000 rows
by default, on days of a month not yet in the ledger (each run takes the next month, so
a database can be reused). Timed, as an administrator:

- ``import``: :func:`jieneng.services.carbon.points.import_points` (parse, checks,
  scoring with the factor set, staff registration, one insert);
- ``reimport``: the same file again (every row found stored and skipped);
- ``leaderboards_year`` / ``_month`` / ``_institution``: median of ``--repeat`` calls of
  :func:`~jieneng.services.carbon.points.leaderboards` (the year over every entry of the
  ledger, the month, one institution's month);
- ``correct_entry``: one entry corrected and one withdrawn (audited, rescored).

Prints JSON (seconds; the ledger's row count).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from importlib import resources
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TypeVar

from sqlalchemy import Engine, func, insert, select

from jieneng.core.caller import User
from jieneng.core.codes import make_credit_code
from jieneng.core.permissions import Role
from jieneng.services.carbon.corrections import correct_entry, withdraw_entry
from jieneng.services.carbon.points import import_points, leaderboards
from jieneng.services.entry.imports import import_file
from jieneng.storage import carbon as store
from jieneng.storage import tables as t
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

T = TypeVar("T")
#: action, quantity range (seeded uniform integers; the caps are 2, 2, 3, 20, 50)
ACTIONS: tuple[tuple[str, int, int], ...] = (
    ("commute_walk_cycle", 0, 3), ("commute_public_transport", 0, 3), ("clean_plate", 1, 4),
    ("recycling", 0, 25), ("office_electricity_saved", 0, 60))
ADMIN = User(id=1, username="bench-carbon", display_name="bench", role=Role.ADMIN,
             region_code=None, institution_id=None, is_locked=False, locked_until=None,
             created_at=None)


def fill(engine: Engine, institutions: int) -> list[str]:
    """The institutions' credit codes (regions and institutions added when missing)."""
    upgrade(engine)
    with engine.connect() as conn:
        if not conn.execute(select(func.count()).select_from(t.region)).scalar_one():
            with TemporaryDirectory() as folder:
                regions = Path(folder) / "regions.csv"
                regions.write_bytes(resources.files("jieneng.data.regions")
                                    .joinpath("guilin.csv").read_bytes())
                import_file(engine, "regions", regions)
    with engine.connect() as conn:
        counties = list(conn.execute(select(t.region.c.code).where(t.region.c.level == 3)
                                     .order_by(t.region.c.code)).scalars())
        have = set(conn.execute(select(t.institution.c.credit_code)).scalars())
    codes = [make_credit_code("12", counties[k % len(counties)], k + 1)
             for k in range(institutions)]
    new = [(k, c) for k, c in enumerate(codes) if c not in have]
    if new:
        with engine.begin() as conn:
            conn.execute(insert(t.institution), [
                {"credit_code": c, "name": f"碳普惠基准单位{k}", "name_key": f"碳普惠基准单位{k}",
                 "region_code": counties[k % len(counties)], "category": "021"}
                for k, c in new])
    return codes


def next_month(engine: Engine) -> date:
    """The first day of the month after the ledger's last entry (2025-01 when empty)."""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(store.carbon_points_entry.c.entry_date))).scalar()
    if last is None:
        return date(2025, 1, 1)
    last = date.fromisoformat(str(last)[:10])
    return date(last.year + (last.month == 12), last.month % 12 + 1, 1)


def write_file(path: Path, codes: list[str], staff: int, days: int, first: date,
               seed: int) -> int:
    rng = random.Random(seed)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("统一社会信用代码", "员工编号", "显示名", "日期", "行为", "数量"))
        for code in codes:
            for s in range(staff):
                for d in range(days):
                    day = (first + timedelta(days=d)).isoformat()
                    for action, low, high in ACTIONS:
                        writer.writerow((code, f"S{s:04d}", f"职工{s}", day, action,
                                         rng.randint(low, high)))
                        rows += 1
    return rows


def timed(run: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--institutions", type=int, default=50)
    parser.add_argument("--staff", type=int, default=40)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.db)
    codes = fill(engine, args.institutions)
    first = next_month(engine)
    out: dict[str, object] = {"db": engine.dialect.name, "month": first.strftime("%Y-%m")}
    with TemporaryDirectory() as folder:
        path = Path(folder) / "carbon_points.csv"
        out["rows"] = write_file(path, codes, args.staff, args.days, first, seed=first.month)
        out["file_mb"] = round(path.stat().st_size / 2**20, 1)
        seconds, report = timed(lambda: import_points(engine, ADMIN, path,
                                                      max_bytes=2**30))
        out["import_s"] = round(seconds, 2)
        out["added"] = report.added
        seconds, report = timed(lambda: import_points(engine, ADMIN, path,
                                                      max_bytes=2**30))
        out["reimport_s"] = round(seconds, 2)
        out["skipped"] = report.skipped
    month = first.strftime("%Y-%m")
    for name, kwargs in (("year", {"year": first.year}), ("month", {"month": month}),
                         ("institution", {"month": month, "institution_code": codes[0]})):
        board = partial(leaderboards, engine, ADMIN, **kwargs)
        times = [timed(board)[0] for _ in range(args.repeat)]
        out[f"leaderboards_{name}_s"] = round(statistics.median(times), 3)
    with engine.connect() as conn:
        p = store.carbon_points_entry
        out["ledger_rows"] = conn.execute(select(func.count()).select_from(p)).scalar_one()
        ids = list(conn.execute(select(p.c.id).where(p.c.entry_date == first)
                                .order_by(p.c.id).limit(2)).scalars())
    seconds, _ = timed(lambda: (correct_entry(engine, ADMIN, ids[0], 1, "bench"),
                                withdraw_entry(engine, ADMIN, ids[1], "bench")))
    out["correct_and_withdraw_s"] = round(seconds, 3)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
