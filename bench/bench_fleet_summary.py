"""Benchmark a region's fleet summary (issue 14 §5) over a province-sized register.

    .venv/bin/python bench/bench_fleet_summary.py --db sqlite:////tmp/jieneng_bench/fleet.db
    .venv/bin/python bench/bench_fleet_summary.py --db postgresql://postgres@127.0.0.1/DB

The database (empty, or made by an earlier run: it is upgraded and filled only when it has
no institution) gets the 桂林 regions, ``--institutions`` institutions spread over the
counties, four vehicles per institution on average (seeded: 60 % petrol, 20 % diesel,
10 % BEV, 10 % PHEV, bought 2010–2024), one parking row each for 2024 and 5,000
coal-fired units. Timed (median of ``--repeat``): :func:`jieneng.services.fleet.fleet_summary`
for 2024 as an administrator (no scope) and as the city's supervising office (the scope
through ``storage.scoping``). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from importlib import resources
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import Engine, func, insert, select

from jieneng.core.caller import User
from jieneng.core.permissions import Role
from jieneng.services.entry.imports import import_file
from jieneng.services.fleet import fleet_summary
from jieneng.storage import fleet as f
from jieneng.storage import tables as t
from jieneng.storage.engine import make_engine
from jieneng.storage.migrate import upgrade

FUELS = ["gasoline"] * 6 + ["diesel"] * 2 + ["bev", "phev"]


def fill(engine: Engine, institutions: int) -> None:
    """The synthetic province (seeded), unless the database already holds institutions."""
    upgrade(engine)
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(t.institution)).scalar_one():
            return
    with TemporaryDirectory() as folder:
        regions = Path(folder) / "regions.csv"
        regions.write_bytes(resources.files("jieneng.data.regions")
                            .joinpath("guilin.csv").read_bytes())
        import_file(engine, "regions", regions)
    with engine.connect() as conn:
        counties = list(conn.execute(select(t.region.c.code).where(t.region.c.level == 3))
                        .scalars())
    rng = random.Random(1)
    n = institutions
    with engine.begin() as conn:
        conn.execute(insert(t.institution), [
            {"id": k + 1, "credit_code": f"X{k:017d}", "name": f"单位{k}",
             "name_key": f"单位{k}", "region_code": counties[k % len(counties)],
             "category": "01"} for k in range(n)])
        conn.execute(insert(f.fleet_vehicle), [
            {"institution_id": rng.randrange(n) + 1, "vehicle_no": f"V{k}",
             "fuel": rng.choice(FUELS), "purchase_year": rng.randrange(2010, 2025),
             "status": "in_service"} for k in range(4 * n)])
        conn.execute(insert(f.fleet_parking), [
            {"institution_id": k + 1, "year": 2024, "parking_spaces": 50,
             "charging_spaces": k % 8} for k in range(n)])
        conn.execute(insert(f.fleet_coal_equipment), [
            {"institution_id": rng.randrange(n) + 1, "equipment_no": f"E{k}", "kind": "boiler",
             "status": "in_use"} for k in range(5000)])


def caller(role: Role, region: str | None, uid: int) -> User:
    return User(id=uid, username=f"bench{uid}", display_name="bench", role=role,
                region_code=region, institution_id=None, is_locked=False, locked_until=None,
                created_at=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--institutions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.db)
    fill(engine, args.institutions)
    out = {}
    for name, user, region in (("province_admin", caller(Role.ADMIN, None, 1), None),
                               ("city_office", caller(Role.REGION, "450300", 2), "450300")):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = fleet_summary(engine, user, region_code=region, year=2024)
            times.append(time.perf_counter() - start)
        out[name] = {"median_ms": round(statistics.median(times) * 1000, 1),
                     "fleet": found["vehicles"]["fleet"],
                     "not_cleared": found["coal"]["not_cleared"]}
    print(json.dumps({"db": engine.dialect.name, "institutions": args.institutions, **out}))


if __name__ == "__main__":
    main()
