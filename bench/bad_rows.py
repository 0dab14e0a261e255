"""Time to answer a consumption workbook of 160,000 bad rows (issue 11 §3).

Not a test. Writes a long-layout workbook whose every row has an error (a mix:
duplicated keys, months out of range, text where a number belongs, negative
figures, unknown credit codes), then times the dry run of

* the CLI, process start included: ``jieneng import consumption FILE --dry-run``
  (prints the first 20 errors and the counts), and again with ``--errors-report
  report.xlsx`` (writes the full report too);
* the web upload in process (Starlette ``TestClient``): ``POST /api/v1/imports`` (JSON
  twin) and ``POST /import`` (the page), then the download of the full error report.

Usage::

    .venv/bin/python bench/bad_rows.py --db sqlite:////tmp/jn_bad.db [--rows 160000]

The database must be new (it is migrated here, regions and directory imported).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import xlsxwriter

from jieneng.core.codes import make_credit_code

COUNTIES = ["450302", "450303", "450304", "450305", "450311", "450312", "450321", "450323"]
LONG = ["统一社会信用代码", "年", "月", "能源品种", "数量", "单位", "费用(元)"]


def directory(path: Path, codes: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["统一社会信用代码", "单位名称", "行政区划代码", "单位类别"])
        for n, code in enumerate(codes):
            writer.writerow([code, f"基准测试单位{n:06d}", COUNTIES[n % len(COUNTIES)], "01"])


def bad_workbook(path: Path, codes: list[str], rows: int) -> None:
    """``rows`` rows, each with one error; the kinds cycle so every kind is frequent.

    Row kinds (i % 5): 0 a duplicate of the row before it (same key), 1 month 13,
    2 quantity "abc", 3 a negative quantity, 4 an unknown credit code."""
    unknown = make_credit_code("11", "450302", 999_999)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("能耗")
    sheet.write_row(0, 0, LONG)
    for i in range(rows):
        kind = i % 5
        base = i - 1 if kind == 0 and i else i
        code = codes[(base // 12) % len(codes)]
        month: object = base % 12 + 1
        quantity: object = 1000.0 + i
        if kind == 1:
            month = 13
        elif kind == 2:
            quantity = "abc"
        elif kind == 3:
            quantity = -5.0
        elif kind == 4:
            code = unknown
        sheet.write_row(i + 1, 0, [code, 2025, month, "电", quantity, "千瓦时", 10.0])
    book.close()


def _cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("jieneng")
    return subprocess.run([str(exe), "--db", db, *args], capture_output=True, text=True,
                          check=False, env={**os.environ, "COLUMNS": "160"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=160_000)
    parser.add_argument("--keep", type=Path, help="keep the workbook and the report here")
    args = parser.parse_args()
    codes = [make_credit_code("11", COUNTIES[n % len(COUNTIES)], n) for n in range(2000)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        regions = folder / "regions.csv"
        regions.write_bytes(
            resources.files("jieneng.data.regions").joinpath("guilin.csv").read_bytes())
        directory(folder / "directory.csv", codes)
        _cli(args.db, "import", "regions", str(regions))
        _cli(args.db, "import", "institutions", str(folder / "directory.csv"))
        book = folder / "bad-rows.xlsx"
        bad_workbook(book, codes, args.rows)
        print(f"{book.name}: {args.rows:,} bad rows, {book.stat().st_size / 1e6:.1f} MB")

        report = folder / "bad-rows-errors.xlsx"
        for option in ((), ("--errors-report", str(report))):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = _cli(args.db, "import", "consumption", str(book), "--dry-run", *option)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            what = "with --errors-report" if option else "first 20 errors and the counts"
            print(f"CLI {what} (process start included): wall {elapsed:.2f} s, cpu {cpu:.2f} s, "
                  f"exit {done.returncode}, {len(done.stdout + done.stderr) / 1e3:.0f} kB printed"
                  + (f", report {report.stat().st_size / 1e6:.1f} MB" if option else "")
                  + f"; load {os.getloadavg()[0]:.1f}")
        _web(args.db, book)


def _web(db: str, book: Path) -> None:
    import re

    from starlette.testclient import TestClient

    from jieneng.core.caller import Actor
    from jieneng.core.exceptions import Conflict
    from jieneng.services.accounts import accounts, auth
    from jieneng.services.database import open_database
    from jieneng.settings import Settings
    from jieneng.web.app import create_app

    engine = open_database(db)
    password = "bench-bad-rows-password-1"
    try:
        user = accounts.create_user(engine, Actor.cli(), username="bench-admin",
                                    password=password, role="admin")
    except Conflict:
        user = accounts.get_user_by_username(engine, "bench-admin")
    token = auth.create_token(engine, user, "bench_bad_rows")[1]
    app = create_app(Settings(database_url=db, environment="test",
                              secret_key="bench-bad-rows-secret-key"))
    content = book.read_bytes()
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        start, cpu = time.perf_counter(), time.process_time()
        answer = client.post("/api/v1/imports?kind=consumption&dry_run=true", headers=headers,
                             files={"file": (book.name, content)})
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        details = answer.json()["error"].get("details", {})
        print(f"POST /api/v1/imports (JSON twin): wall {elapsed:.2f} s, cpu {cpu:.2f} s, "
              f"HTTP {answer.status_code}, {len(answer.content) / 1e3:.0f} kB, "
              f"{len(details.get('issues', []))} issues listed of {details.get('total')}; "
              f"by kind {details.get('by_code')}; load {os.getloadavg()[0]:.1f}")
        url = details.get("report_url")
        if url:
            start, cpu = time.perf_counter(), time.process_time()
            got = client.get(url, headers=headers)
            print(f"GET /api/v1/import/errors/….xlsx: wall {time.perf_counter() - start:.2f} s, "
                  f"cpu {time.process_time() - cpu:.2f} s, HTTP {got.status_code}, "
                  f"{len(got.content) / 1e6:.1f} MB")
    with TestClient(app) as browser:
        page = browser.get("/login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert m
        browser.post("/login", data={"username": "bench-admin", "password": password,
                                     "csrf_token": m.group(1), "next": "/"},
                     follow_redirects=False)
        form = browser.get("/import")
        m = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert m
        start, cpu = time.perf_counter(), time.process_time()
        answer = browser.post("/import", data={"kind": "consumption", "dry_run": "1",
                                               "csrf_token": m.group(1)},
                              files={"file": (book.name, content)})
        print(f"POST /import (page): wall {time.perf_counter() - start:.2f} s, "
              f"cpu {time.process_time() - cpu:.2f} s, HTTP {answer.status_code}, "
              f"{len(answer.content) / 1e3:.0f} kB; load {os.getloadavg()[0]:.1f}")
    engine.dispose()


if __name__ == "__main__":
    main()
