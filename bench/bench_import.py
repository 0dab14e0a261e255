"""End-to-end import speed: a 100,000-row consumption workbook (parse, validate, store).

Not a test. Usage::

    .venv/bin/python bench/bench_import.py --db sqlite:////tmp/jieneng_import.db
    .venv/bin/python bench/bench_import.py --db postgresql://postgres@127.0.0.1/jieneng_import
    # end to end through the command line, process start included (issue 11 §3):
    .venv/bin/python bench/bench_import.py --db sqlite:////tmp/jn_cli.db --layout long --cli 3
    # … with the bytecode cached, as in an installed package (--pyc):
    .venv/bin/python bench/bench_import.py --db sqlite:////tmp/jn_cli.db --layout long --cli 3 --pyc

With ``--cli N`` the fresh import is instead run N times as ``jieneng --db … import
consumption FILE`` in a new process each time, on a copy of the database holding the
directory only; the wall time and the CPU time (user + system) of each process are
printed, and the best run. ``--jieneng`` names another ``jieneng`` executable, and
``PYTHONPATH`` another checkout's ``src``, to compare with older code. ``--compare SRC``
alternates every run with one of the code in ``SRC`` (another checkout's ``src``, put
first on ``PYTHONPATH``; it must know the database's newest migration — copy
``src/jieneng/storage/migrations/versions`` into it), so that before and after meet
the same load on a shared machine.

The database must be new (it is migrated here). The directory of rows ÷ 12
institutions is imported first (not timed), then the workbook is imported through
``jieneng.services.entry.imports.import_file`` — the same path as ``jieneng import
consumption`` — once fresh (inserts) and once again with every electricity figure
changed (revisions), and the timings are printed.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import xlsxwriter

from jieneng.core.codes import make_credit_code
from jieneng.services.database import open_database
from jieneng.services.entry.imports import import_file

WIDE = ["统一社会信用代码", "年", "月", "电(千瓦时)", "电费(元)", "水(立方米)", "水费(元)",
        "天然气(立方米)", "天然气费用(元)", "汽油-车辆用油(升)", "汽油-车辆用油费用(元)"]
COUNTIES = ["450302", "450303", "450304", "450305", "450311", "450312", "450321", "450323"]


def write_directory(path: Path, codes: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["统一社会信用代码", "单位名称", "行政区划代码", "单位类别"])
        for n, code in enumerate(codes):
            writer.writerow([code, f"基准测试单位{n:06d}", COUNTIES[n % len(COUNTIES)], "01"])


def write_workbook(path: Path, codes: list[str], year: int, scale: float) -> int:
    """One row per institution and month; numeric cells as numbers."""
    rng = np.random.default_rng(7)
    n = len(codes) * 12
    elec = np.round(rng.lognormal(9, 0.6, n) * scale, 1)
    water = np.round(rng.lognormal(5.5, 0.5, n), 1)
    gas = np.round(rng.lognormal(4.5, 0.7, n), 1)
    fuel = np.round(rng.lognormal(5, 0.5, n), 1)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("能耗")
    sheet.write(0, 0, f"{year}年公共机构能源资源消费月报（基准测试）")
    sheet.write_row(1, 0, WIDE)
    for i in range(n):
        sheet.write_row(i + 2, 0, [
            codes[i // 12], year, i % 12 + 1, elec[i], round(elec[i] * 0.7, 2), water[i],
            round(water[i] * 3.1, 2), gas[i], round(gas[i] * 3.5, 2), fuel[i],
            round(fuel[i] * 7.9, 2),
        ])
    book.close()
    return n


LONG = ["统一社会信用代码", "年", "月", "能源品种", "数量", "单位", "费用(元)"]


def write_long_workbook(path: Path, codes: list[str], year: int, scale: float) -> int:
    """The long layout: one row per institution, month and carrier (here 电 only)."""
    rng = np.random.default_rng(7)
    n = len(codes) * 12
    elec = np.round(rng.lognormal(9, 0.6, n) * scale, 1)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("能耗")
    sheet.write_row(0, 0, LONG)
    for i in range(n):
        sheet.write_row(i + 1, 0, [codes[i // 12], year, i % 12 + 1, "电", elec[i], "千瓦时",
                                   round(elec[i] * 0.7, 2)])
    book.close()
    return n


def cli_runs(db: str, book: Path, rows: int, runs: int, jieneng: Path,
             pyc: Path | None = None, compare: Path | None = None) -> None:
    """``jieneng import consumption`` in a new process, ``runs`` times, each on a fresh
    copy of the SQLite database ``db`` (which holds the directory). With ``pyc`` the
    bytecode is cached there (``PYTHONPYCACHEPREFIX``; one untimed run first), as in an
    installed package, whatever ``PYTHONDONTWRITEBYTECODE`` says. With ``compare`` each
    run is followed by one of the code in that ``src`` directory."""
    source = Path(db.removeprefix("sqlite:///"))
    env = dict(os.environ)
    if pyc is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pyc)
    variants = [("", env)]
    if compare is not None:
        path = os.pathsep.join(p for p in (str(compare), env.get("PYTHONPATH")) if p)
        variants.append((f" [{compare}]", {**env, "PYTHONPATH": path}))
    best: dict[str, tuple[float, float]] = {}
    for n in range(-1 if pyc is not None else 0, runs):
        for label, run_env in variants:
            copy = source.with_name(f"{source.stem}-run{n}.db")
            shutil.copyfile(source, copy)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([str(jieneng), "--db", f"sqlite:///{copy}", "import",
                                   "consumption", str(book)], capture_output=True, text=True,
                                  check=False, env=run_env)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            copy.unlink()
            if done.returncode != 0:
                raise SystemExit(done.stdout + done.stderr)
            if n < 0:
                continue  # the run that wrote the bytecode
            print(f"cli run {n + 1}{label}: {rows:,} rows, wall {wall:.2f} s → "
                  f"{rows / wall:,.0f} rows/s; cpu {cpu:.2f} s → {rows / cpu:,.0f} rows/s; "
                  f"load {os.getloadavg()[0]:.1f}")
            old = best.get(label)
            best[label] = (wall, cpu) if old is None else (min(old[0], wall), min(old[1], cpu))
    for label, (wall, cpu) in best.items():
        print(f"cli best{label}: wall {wall:.2f} s ({rows / wall:,.0f} rows/s), "
              f"cpu {cpu:.2f} s ({rows / cpu:,.0f} rows/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--layout", choices=["wide", "long"], default="wide")
    parser.add_argument("--cli", type=int, default=0, metavar="N",
                        help="time N runs of the jieneng command (SQLite only)")
    parser.add_argument("--pyc", action="store_true",
                        help="with --cli: cache the bytecode (as installed), one run first")
    parser.add_argument("--compare", type=Path, metavar="SRC",
                        help="with --cli: alternate each run with the code in SRC (a src dir)")
    parser.add_argument("--jieneng", type=Path,
                        default=Path(sys.executable).with_name("jieneng"))
    args = parser.parse_args()
    engine = open_database(args.db)
    codes = [make_credit_code("11", COUNTIES[n % len(COUNTIES)], n)
             for n in range(args.rows // 12)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        regions = folder / "regions.csv"
        regions.write_bytes(
            resources.files("jieneng.data.regions").joinpath("guilin.csv").read_bytes()
        )
        directory = folder / "directory.csv"
        write_directory(directory, codes)
        import_file(engine, "regions", regions)
        import_file(engine, "institutions", directory)
        if args.cli:
            engine.dispose()
            book = folder / "consumption.xlsx"
            writer = write_workbook if args.layout == "wide" else write_long_workbook
            rows = writer(book, codes, 2025, 1.0)
            cli_runs(args.db, book, rows, args.cli, args.jieneng,
                     folder / "pyc" if args.pyc else None, args.compare)
            return
        for label, scale in (("fresh (inserts)", 1.0), ("again, electricity changed", 1.1)):
            book = folder / f"consumption-{scale}.xlsx"
            writer = write_workbook if args.layout == "wide" else write_long_workbook
            rows = writer(book, codes, 2025, scale)
            size = book.stat().st_size
            start = time.perf_counter()
            report = import_file(engine, "consumption", book, max_bytes=1 << 30)
            elapsed = time.perf_counter() - start
            print(f"{args.layout} {label}: {rows:,} rows, {report.records:,} records, "
                  f"{size / 1e6:.1f} MB, {elapsed:.2f} s → {rows / elapsed:,.0f} rows/s, "
                  f"{report.records / elapsed:,.0f} records/s; {report.counts}")
    engine.dispose()


if __name__ == "__main__":
    main()
