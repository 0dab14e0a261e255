"""The month-end fill of the statistics from metering (issue 12 §5).

Not a test. In a new SQLite file or a new PostgreSQL database (created here and dropped
at the end): one county of ``--institutions`` (default 5,000), each with a main
electricity meter, two sub-meters under it and a water meter, and their month roll-ups
of January 2026; then ``fill_from_metering`` three times: the first fill (every figure
new), the same again (every figure unchanged: idempotent) and one after 10 % of the
main meters' roll-ups changed (revisions). Prints the seconds of each.

Usage::

    .venv/bin/python bench/bench_metered_fill.py --sqlite /tmp/fill.db
    .venv/bin/python bench/bench_metered_fill.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import create_engine, insert, select, text

from jieneng.core.caller import command_line_user
from jieneng.core.codes import make_credit_code
from jieneng.services.metering import statistics as st
from jieneng.storage import meter_readings as r
from jieneng.storage import metering as m
from jieneng.storage import tables as t
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

CITY, COUNTY = "450300", "450302"
YEAR, MONTH = 2026, 1
FULL = 31 * 96


def _world(engine, n: int) -> list[int]:
    with engine.begin() as conn:
        conn.execute(insert(t.region), [
            {"code": "450000", "name": "广西壮族自治区", "level": 1, "parent_code": None},
            {"code": CITY, "name": "桂林市", "level": 2, "parent_code": "450000"},
            {"code": COUNTY, "name": "秀峰区", "level": 3, "parent_code": CITY}])
        conn.execute(insert(t.institution), [
            {"credit_code": make_credit_code("11", COUNTY, 5000 + k), "name": f"单位{k}",
             "name_key": f"单位{k}", "region_code": COUNTY, "category": "01"}
            for k in range(1, n + 1)])
        ids = [int(i) for i in conn.execute(select(t.institution.c.id)).scalars()]
        mm = m.metering_meter
        common = {"register": "cumulative", "ct": 1.0, "pt": 1.0, "interval_s": 900,
                  "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
        conn.execute(insert(mm), [{"institution_id": i, "number": "MAIN",
                                   "carrier": "electricity", **common} for i in ids]
                     + [{"institution_id": i, "number": "W", "carrier": "water", **common}
                        for i in ids])
        main = dict(conn.execute(select(mm.c.institution_id, mm.c.id)
                                 .where(mm.c.number == "MAIN")).all())
        conn.execute(insert(mm), [{"institution_id": i, "number": f"SUB{s}",
                                   "carrier": "electricity", "parent_id": main[i], **common}
                                  for i in ids for s in (1, 2)])
        meters = conn.execute(select(mm.c.id, mm.c.number)).all()
    start, _ = st.month_bounds(YEAR, MONTH)
    frame = pl.DataFrame({
        "meter_id": [int(a) for a, _ in meters],
        "level": ["month"] * len(meters), "start": [start] * len(meters),
        "energy": [12000.0 if b == "MAIN" else 300.0 if b == "W" else 4000.0
                   for _, b in meters],
        "present": [FULL] * len(meters), "expected": [FULL] * len(meters),
        "flags": [0] * len(meters)})
    with engine.begin() as conn:
        r.write_rollups(conn, frame)
        conn.execute(text("ANALYZE"))  # as after an import of the directory
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite")
    parser.add_argument("--pg")
    parser.add_argument("--institutions", type=int, default=5000)
    args = parser.parse_args()
    drop = None
    if args.pg:
        name = f"bench_fill_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = args.pg.rsplit("/", 1)[0] + "/" + name
        drop = (admin, name)
    else:
        url = f"sqlite:///{args.sqlite}"
    upgrade(url)
    engine = make_engine(url)
    try:
        _world(engine, args.institutions)
        user = command_line_user()
        for label in ("first fill", "same again", "10 % changed"):
            if label == "10 % changed":
                start, _ = st.month_bounds(YEAR, MONTH)
                with engine.begin() as conn:
                    conn.execute(text(
                        "UPDATE metering_rollup SET energy = energy + 1 WHERE meter_id IN "
                        "(SELECT id FROM metering_meter WHERE number = 'MAIN' AND id % 10 = 0)"
                        " AND level = 'month' AND start = :s"), {"s": start})
            began = time.perf_counter()
            out = st.fill_from_metering(engine, user, YEAR, MONTH)
            seconds = time.perf_counter() - began
            print(f"{label}: {seconds:.2f} s — figures {out['figures']}, inserted "
                  f"{out['inserted']}, revised {out['revised']}, unchanged {out['unchanged']}")
    finally:
        engine.dispose()
        if drop:
            with drop[0].connect() as conn:
                conn.execute(text(f"DROP DATABASE {drop[1]} WITH (FORCE)"))


if __name__ == "__main__":
    main()
