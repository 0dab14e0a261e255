"""Hostile uploads: does the server live, and how much memory does a refusal take?

Not a test (``tests/web/test_hostile_uploads.py`` is). Usage::

    PYTHONPATH=. .venv/bin/python bench/hostile_uploads.py [--cap-gib 3] [--bomb-rows 8000000]

For each hostile file (built here: a 1.7 kB workbook with a cell at XFD1048576,
the same without ``r`` attributes, a declared shared-string table of 4 billion,
a zip bomb of ``--bomb-rows`` rows, a CSV of 300,000 columns, a renamed program,
a truncated workbook, 20 MB of random bytes named .xlsx, a 50 MB CSV with an error
in each of its million rows) and for one ordinary 100,000-row workbook, a fresh
``jieneng serve`` is started on a new SQLite database under an address-space cap
(RLIMIT_AS), the file is sent to ``POST /api/v1/imports?kind=consumption&dry_run=true``
with a bearer token, and the answer, whether the server still answers, its peak
resident memory (VmHWM from ``/proc/<pid>/status``) and the time are printed as
JSON lines. With ``PYTHONPATH=<another checkout>/src:.`` the same runs against
that code (e.g. the commit before the limits, to see the server die).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import xlsxwriter
from tests.ingest import hostile

JIENENG = Path(sys.executable).with_name("jieneng")
PASSWORD = "Hostile-Files-Bench-2026!"
TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".csv": "text/csv"}


def ordinary(path: Path) -> Path:
    """100,000 rows × 6 columns of the long consumption layout (unknown institutions)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("数据")
    ws.write_row(0, 0, hostile.HEADER)
    for r in range(1, 100_001):
        ws.write_row(r, 0, [f"91450300MA5K{r:06d}", 2025, 1 + r % 12, "电", r % 997, "千瓦时"])
    wb.close()
    return path


def garbage(path: Path) -> Path:
    """Just under 50 MB: 999,990 rows of 10 columns, each row with an error."""
    line = "91450300MA5K000001,2025,1,电,1,千瓦时,1,2,3,4\n"
    head = ",".join([*hostile.HEADER, "a", "b", "c", "d"]) + "\n"
    path.write_text(head + line * 999_990, encoding="utf-8")
    return path


def files(rows: int) -> list[tuple[str, Callable[[Path], Path]]]:
    return [
        ("xfd1048576.xlsx", hostile.far_cell),
        ("xfd-implicit.xlsx", hostile.far_cell_implicit),
        ("shared-strings.xlsx", hostile.shared_strings_bomb),
        (f"zip-bomb-{rows}-rows.xlsx", lambda p: hostile.many_rows(p, rows)),
        ("300000-columns.csv", lambda p: hostile.wide_csv(p, 300_000)),
        ("1000000-columns.csv", lambda p: hostile.wide_csv(p, 1_000_000)),
        ("renamed-program.xlsx", hostile.renamed_exe),
        ("corrupt.xlsx", hostile.corrupt_workbook),
        ("random-20mb.xlsx", hostile.random_bytes),
        ("error-in-each-of-1000000-rows.csv", garbage),
        ("ordinary-100000-rows.xlsx", ordinary),
    ]


def vm(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def token(url: str) -> str:
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import create_user
    from jieneng.services.accounts.auth import create_token
    from jieneng.services.database import open_database

    engine = open_database(url)
    try:
        user = create_user(engine, Actor.cli(), username="importer", password=PASSWORD,
                           role="admin")
        return create_token(engine, user, "hostile")[1]
    finally:
        engine.dispose()


def run_one(folder: Path, name: str, path: Path, cap: int) -> dict[str, object]:
    url = f"sqlite:///{folder / (name + '.db')}"
    secret = token(url)
    port = free_port()
    env = {**os.environ, "JIENENG_DATABASE_URL": url, "JIENENG_ENVIRONMENT": "development",
           "JIENENG_SECRET_KEY": "hostile-uploads-bench-secret-0123456789abcdef"}

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    log = (folder / (name + ".log")).open("wb")
    proc = subprocess.Popen([str(JIENENG), "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, preexec_fn=limit)
    base = f"http://127.0.0.1:{port}"
    record: dict[str, object] = {"file": name, "bytes": path.stat().st_size}
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        record["rss_idle_mib"] = round((vm(proc.pid, "VmRSS") or 0) / 1024, 1)
        started = time.monotonic()
        try:
            response = httpx.post(
                f"{base}/api/v1/imports", params={"kind": "consumption", "dry_run": "true"},
                files={"file": (name, path.read_bytes(), TYPES[path.suffix])},
                headers={"Authorization": f"Bearer {secret}"}, timeout=600)
            record["status"] = response.status_code
            body = response.json() if response.headers.get("content-type", "").startswith(
                "application/json") else {}
            error = body.get("error") or {}
            record["message"] = str(error.get("message", ""))[:160]
            details = error.get("details") or {}
            issues = details.get("issues") or []
            record["issues"] = len(issues)
            record["errors_total"] = details.get("total", len(issues))
            record["answer_kb"] = round(len(response.content) / 1024, 1)
            record["first_code"] = issues[0]["code"] if issues else None
        except httpx.HTTPError as exc:
            record["status"] = f"no answer ({type(exc).__name__})"
        record["seconds"] = round(time.monotonic() - started, 2)
        record["peak_rss_mib"] = round((vm(proc.pid, "VmHWM") or 0) / 1024, 1)
        record["peak_vm_mib"] = round((vm(proc.pid, "VmPeak") or 0) / 1024, 1)
        alive = proc.poll() is None
        if alive:
            try:
                alive = httpx.get(f"{base}/login", timeout=10).status_code == 200
            except httpx.HTTPError:
                alive = False
        record["server_alive"] = alive
        record["exit"] = proc.poll()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap-gib", type=float, default=3.0)
    parser.add_argument("--bomb-rows", type=int, default=8_000_000)
    parser.add_argument("--only", help="run only the files whose name contains this")
    args = parser.parse_args()
    cap = int(args.cap_gib * 1024**3)
    with tempfile.TemporaryDirectory(prefix="jieneng-hostile-") as tmp:
        folder = Path(tmp)
        for name, build in files(args.bomb_rows):
            if args.only and args.only not in name:
                continue
            path = build(folder / name)
            print(json.dumps(run_one(folder, name, path, cap), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
