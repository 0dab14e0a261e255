"""The live monitoring pages over 1,000 meters × one year (issue 12, speed: p95 < 300 ms
at the server).

Not a test. In a new SQLite file or a new PostgreSQL database (created here and
dropped at the end): one city (``--institutions``, default 100, each with one main
electricity meter, eight sub-meters — two per 分项 01A00…01D00 — and one water meter:
1,000 meters) and a year of their roll-ups up to now — what the pages read: hour
(8.76 M rows), day (365 k) and month levels — plus the last 2 days of 15-minute
intervals (192 k; the full year of intervals, 35 M rows, is not generated: no page
reads intervals older than 3 days). A diurnal profile with noise; a few meters
silent. Then, in process (Starlette's ``TestClient``, a signed-in administrator),
``--requests`` (default 40, after 3 warm-up) of each page: the institution page
``/monitoring/{code}``, the region page ``/monitoring?region=…`` and their JSON
twins. Prints p50 / p95 / max per page and the load average.

Usage::

    .venv/bin/python bench/bench_live_pages.py --sqlite /tmp/live.db
    .venv/bin/python bench/bench_live_pages.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import create_engine, insert, select, text
from starlette.testclient import TestClient

from jieneng.core.caller import Actor
from jieneng.core.codes import make_credit_code
from jieneng.services.accounts.accounts import create_user
from jieneng.settings import Settings
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage.bulk import bulk_insert
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade
from jieneng.web.app import create_app

DAY, HOUR, LOCAL = 86_400, 3_600, 8 * 3_600
PASSWORD = "Bench-Pass-123"
ITEMS = ("01A00", "01B00", "01C00", "01D00")
CITY, COUNTY = "450300", "450302"


def _directory(engine, institutions: int) -> list[tuple[int, str]]:
    rows = []
    with engine.begin() as conn:
        conn.execute(insert(t.region), [
            {"code": "450000", "name": "广西壮族自治区", "level": 1, "parent_code": None},
            {"code": CITY, "name": "桂林市", "level": 2, "parent_code": "450000"},
            {"code": COUNTY, "name": "秀峰区", "level": 3, "parent_code": CITY}])
        for n in range(1, institutions + 1):  # the bench's directory
            rows.append({"credit_code": make_credit_code("11", COUNTY, 5000 + n),
                         "name": f"演示单位{n:03d}", "name_key": f"演示单位{n:03d}",
                         "region_code": COUNTY, "category": "01"})
        conn.execute(insert(t.institution), rows)
        found = conn.execute(select(t.institution.c.id, t.institution.c.credit_code)
                             .order_by(t.institution.c.id)).all()
    return [(int(a), str(b)) for a, b in found]


def _meters(engine, institutions: list[tuple[int, str]]) -> pl.DataFrame:
    """10 meters per institution; ``meter_id, share`` (of the institution's load) and
    ``carrier``."""
    mm = m.metering_meter
    with engine.begin() as conn:
        for iid, _ in institutions:  # 100 institutions: one executemany each
            main = conn.execute(insert(mm).values(
                institution_id=iid, number="MAIN", carrier="electricity", item_code="01000",
                register="interval").returning(mm.c.id)).scalar_one()
            conn.execute(insert(mm), [
                {"institution_id": iid, "number": f"SUB-{k}", "carrier": "electricity",
                 "item_code": ITEMS[k % 4], "register": "interval", "parent_id": main}
                for k in range(8)]
                + [{"institution_id": iid, "number": "WATER", "carrier": "water",
                    "item_code": "02000", "register": "interval", "parent_id": None}])
        rows = conn.execute(select(mm.c.id, mm.c.number, mm.c.institution_id)).all()
    share = {"MAIN": 1.0, "WATER": 0.02, **{f"SUB-{k}": 0.11 for k in range(8)}}
    return pl.DataFrame({"meter_id": [int(a) for a, _, _ in rows],
                         "share": [share[b] for _, b, _ in rows],
                         "scale": [1.0 + (int(c) % 7) / 3 for _, _, c in rows]})


def _generate(engine, meters: pl.DataFrame, now: int) -> dict[str, int]:
    today = (now + LOCAL) // DAY * DAY - LOCAL
    start = today - 365 * DAY
    rng = np.random.default_rng(1)
    ids = meters["meter_id"].to_numpy()
    base = (meters["share"] * meters["scale"] * 20.0).to_numpy()  # kWh per hour at peak
    silent = set(ids[::97].tolist())  # ~10 silent meters: no data for the last 6 hours
    hours_all = np.arange(start, now // HOUR * HOUR, HOUR)
    counts = {"hour": 0, "day": 0, "month": 0, "interval": 0}
    day_frames = []
    for chunk in np.array_split(hours_all, 24):  # ~half a month of hours per chunk
        h = np.tile(chunk, ids.size)
        mid = np.repeat(ids, chunk.size)
        local_hour = ((h + LOCAL) // HOUR) % 24
        profile = 0.3 + 0.7 * np.exp(-((local_hour - 14) ** 2) / 18.0)
        energy = np.repeat(base, chunk.size) * profile * (0.9 + 0.2 * rng.random(h.size))
        present = np.full(h.size, 4)
        gone = np.isin(mid, list(silent)) & (h >= now - 6 * HOUR)
        energy = np.where(gone, np.nan, energy)
        present = np.where(gone, 0, present)
        frame = pl.DataFrame({"meter_id": mid, "level": "hour", "start": h,
                              "energy": energy, "present": present, "expected": 4,
                              "flags": 0}).with_columns(pl.col("energy").fill_nan(None))
        with engine.begin() as conn:
            bulk_insert(conn, r.metering_rollup, frame)
        counts["hour"] += frame.height
        day_frames.append(frame.with_columns(
            ((pl.col("start") + LOCAL) // DAY * DAY - LOCAL).alias("day"))
            .group_by("meter_id", "day").agg(pl.col("energy").sum(), pl.col("present").sum(),
                                             pl.len().alias("hours")))
    days = (pl.concat(day_frames).group_by("meter_id", "day")
            .agg(pl.col("energy").sum(), pl.col("present").sum(), pl.col("hours").sum())
            .filter(pl.col("day") < today))
    day_rows = days.select("meter_id", pl.lit("day").alias("level"), pl.col("day").alias("start"),
                           "energy", "present", (pl.col("hours") * 4).alias("expected"),
                           pl.lit(0).alias("flags"))
    month_rows = (day_rows.with_columns(pl.from_epoch(pl.col("start") + LOCAL)
                                        .dt.truncate("1mo").dt.epoch("s").alias("m"))
                  .group_by("meter_id", "m").agg(pl.col("energy").sum(), pl.col("present").sum(),
                                                 pl.col("expected").sum())
                  .select("meter_id", pl.lit("month").alias("level"),
                          (pl.col("m") - LOCAL).alias("start"), "energy", "present",
                          "expected", pl.lit(0).alias("flags")))
    with engine.begin() as conn:
        bulk_insert(conn, r.metering_rollup, day_rows)
        bulk_insert(conn, r.metering_rollup, month_rows)
    counts["day"], counts["month"] = day_rows.height, month_rows.height
    slots = np.arange(now // 900 * 900 - 2 * DAY, now // 900 * 900, 900)
    s = np.tile(slots, ids.size)
    mid = np.repeat(ids, slots.size)
    energy = np.repeat(base / 4, slots.size) * (0.9 + 0.2 * rng.random(s.size))
    keep = ~(np.isin(mid, list(silent)) & (s >= now - 6 * HOUR))
    intervals = pl.DataFrame({"meter_id": mid[keep], "start": s[keep], "energy": energy[keep],
                              "flags": 0})
    with engine.begin() as conn:
        bulk_insert(conn, r.metering_interval, intervals)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE metering_rollup")
            conn.exec_driver_sql("ANALYZE metering_interval")
        else:
            conn.exec_driver_sql("ANALYZE")
    counts["interval"] = intervals.height
    return counts


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF token on /login"
    done = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": found.group(1), "next": "/"})
    assert done.status_code == 303, done.text


def _time(client: TestClient, url: str, n: int) -> dict[str, float]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    took = []
    for _ in range(n):  # the measured requests
        t0 = time.perf_counter()
        response = client.get(url)
        took.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, url
    took.sort()
    return {"n": n, "p50_ms": round(statistics.median(took), 1),
            "p95_ms": round(took[int(0.95 * (n - 1))], 1), "max_ms": round(took[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL to create the bench "
                                                     "database from (dropped at the end)")
    parser.add_argument("--sqlite", default=None)
    parser.add_argument("--institutions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--reuse", action="store_true",
                        help="time the pages of an existing --sqlite file (or, with --pg, "
                             "of the database --keep left) again")
    parser.add_argument("--keep", action="store_true",
                        help="PostgreSQL: keep the bench database (its name is printed)")
    parser.add_argument("--name", default=None, help="PostgreSQL: the bench database's name")
    args = parser.parse_args()
    admin = None
    name = args.name or f"bench_live_{uuid.uuid4().hex[:8]}"
    if args.pg:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        if not args.reuse:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    else:
        path = args.sqlite or str(Path(tempfile.mkdtemp()) / "live.db")
        if os.path.exists(path) and not args.reuse:
            os.remove(path)
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    out: dict[str, object] = {"database": engine.dialect.name, "name": name}
    try:
        if not args.reuse:
            upgrade(engine)
            t0 = time.perf_counter()
            meters = _meters(engine, _directory(engine, args.institutions))
            out["rows"] = _generate(engine, meters, int(time.time()))
            out["meters"] = meters.height
            out["generate_s"] = round(time.perf_counter() - t0, 1)
            create_user(engine, Actor.cli(), username="bench-live", password=PASSWORD,
                        role="admin")
        with engine.connect() as conn:
            institutions = [(int(a), str(b)) for a, b in conn.execute(
                select(t.institution.c.id, t.institution.c.credit_code)
                .order_by(t.institution.c.id))]
        app = create_app(Settings(database_url=url, result_cache_entries=0))
        with TestClient(app, follow_redirects=False) as client:
            _login(client, "bench-live")
            code = institutions[len(institutions) // 2][1]
            out["pages"] = {
                "institution": _time(client, f"/monitoring/{code}", args.requests),
                "institution_json": _time(client, f"/api/v1/monitoring/{code}", args.requests),
                "region": _time(client, f"/monitoring?region={CITY}", args.requests),
                "region_json": _time(client, f"/api/v1/monitoring?region={CITY}", args.requests),
            }
        app.state.engine.dispose()
        out["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        engine.dispose()
        if admin is not None and not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
