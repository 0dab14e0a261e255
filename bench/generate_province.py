"""Generate a province-sized dataset and load it through the bulk path.

    .venv/bin/python bench/generate_province.py --db sqlite:////tmp/jieneng_bench/province.db
    .venv/bin/python bench/generate_province.py --db postgresql://postgres@127.0.0.1/jieneng_bench

湖南省 (430000) with its 14 prefecture-level divisions (real GB/T 2260 codes) and
8 synthetic county codes under each (112 counties); ``--institutions`` institutions
with valid 统一社会信用代码, categories in realistic shares, one profile per year,
and for every institution 36 months (``--years 3``) of about 10 of the 12 carriers:
≈ 18 million ``consumption_record`` rows for 50,000 institutions.

Deterministic for a given ``--seed``. Records are generated in chunks of
institutions, sorted by key, and loaded with ``COPY`` (PostgreSQL) or
``executemany`` (SQLite) through :func:`jieneng.storage.bulk.bulk_insert`; the
roll-ups are then built set-based by :func:`jieneng.storage.rollups.rebuild_rollups`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.codes import make_credit_code
from jieneng.core.names import name_key
from jieneng.storage import tables as t
from jieneng.storage.bulk import bulk_insert
from jieneng.storage.engine import make_engine, normalise_url
from jieneng.storage.institutions import upsert_institutions, upsert_profiles
from jieneng.storage.meta import set_meta
from jieneng.storage.migrate import downgrade, upgrade
from jieneng.storage.regions import upsert_regions
from jieneng.storage.rollups import rebuild_rollups

PROVINCE = ("430000", "湖南省")
CITIES = [
    ("430100", "长沙市"), ("430200", "株洲市"), ("430300", "湘潭市"), ("430400", "衡阳市"),
    ("430500", "邵阳市"), ("430600", "岳阳市"), ("430700", "常德市"), ("430800", "张家界市"),
    ("430900", "益阳市"), ("431000", "郴州市"), ("431100", "永州市"), ("431200", "怀化市"),
    ("431300", "娄底市"), ("433100", "湘西土家族苗族自治州"),
]
COUNTIES_PER_CITY = 8

#: category → (share of institutions, registration prefix, name stem, occupants median)
CATEGORIES = {
    "01": (0.30, "11", "局", 60),
    "021": (0.35, "12", "学校", 400),
    "022": (0.01, "12", "研究所", 80),
    "023": (0.03, "12", "文化馆", 30),
    "024": (0.12, "12", "卫生院", 150),
    "025": (0.01, "12", "体育中心", 25),
    "026": (0.15, "12", "事务中心", 40),
    "03": (0.03, "51", "协会", 15),
}

#: carrier → (probability an institution reports it, yearly quantity per occupant
#: [canonical unit], price [元 per unit], seasonal amplitude)
CARRIER_MODEL = {
    "electricity": (1.00, 1200.0, 0.75, 0.30),
    "water": (1.00, 25.0, 4.2, 0.15),
    "coal": (0.50, 0.05, 900.0, 0.60),
    "natural_gas": (0.95, 40.0, 3.5, 0.50),
    "lpg": (0.80, 8.0, 7.0, 0.20),
    "gasoline_vehicle": (0.95, 60.0, 7.8, 0.05),
    "gasoline_other": (0.70, 2.0, 7.8, 0.05),
    "diesel_vehicle": (0.80, 20.0, 7.5, 0.05),
    "diesel_other": (0.70, 3.0, 7.5, 0.10),
    "heat": (0.80, 0.8, 60.0, 0.80),
    "other_energy": (0.80, 0.01, 1000.0, 0.10),
    "solar_pv": (0.80, 50.0, 0.0, 0.40),
}
assert tuple(CARRIER_MODEL) == CARRIER_CODES


def regions_frame() -> pl.DataFrame:
    rows = [{"code": PROVINCE[0], "name": PROVINCE[1], "parent_code": None, "level": 1}]
    for code, name in CITIES:
        rows.append({"code": code, "name": name, "parent_code": PROVINCE[0], "level": 2})
        for k in range(COUNTIES_PER_CITY):
            rows.append({"code": f"{code[:4]}{k + 2:02d}", "name": f"{name}第{k + 1}县区",
                         "parent_code": code, "level": 3})
    return pl.DataFrame(rows)


def institutions_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    regions = regions_frame()
    counties = regions.filter(pl.col("level") == 3)["code"].to_numpy()
    cities = regions.filter(pl.col("level") == 2)["code"].to_numpy()
    cats = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in cats])
    cat = np.array(cats)[rng.choice(len(cats), size=n, p=shares / shares.sum())]
    level = rng.choice(3, size=n, p=[0.03, 0.17, 0.80])
    region = np.where(level == 0, PROVINCE[0],
                      np.where(level == 1, cities[rng.integers(0, len(cities), n)],
                               counties[rng.integers(0, len(counties), n)]))
    codes, names = [], []
    for i in range(n):  # 50,000 directory rows: the core helper is fast enough
        reg = CATEGORIES[str(cat[i])][1]
        codes.append(make_credit_code(reg, str(region[i]), 10_000_000 + i))
        names.append(f"{region[i]}第{i + 1}{CATEGORIES[str(cat[i])][2]}")
    status = np.where(rng.random(n) < 0.01, "closed", "active")
    return pl.DataFrame({
        "credit_code": codes, "name": names, "name_key": [name_key(x) for x in names],
        "region_code": region.astype(str), "category": cat.astype(str),
        "department_credit_code": pl.Series([None] * n, dtype=pl.String),
        "key_energy_user": rng.random(n) < 0.02, "status": status,
    })


def profiles_frame(ids: np.ndarray, cats: np.ndarray, years: list[int],
                   rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    n = len(ids)
    median = np.array([CATEGORIES[str(c)][3] for c in cats], dtype=float)
    occupants = np.maximum(1, np.round(median * rng.lognormal(0, 0.6, n))).astype(np.int64)
    area = occupants * rng.uniform(15, 45, n)
    frames = []
    for k, year in enumerate(years):
        occ = np.round(occupants * (1 + 0.02 * k)).astype(np.int64)
        occ = np.where(rng.random(n) < 0.02, 0, occ)  # 2 % report 用能人数 0
        fa = np.where(rng.random(n) < 0.02, np.nan, area)  # 2 % without 建筑面积
        frames.append(pl.DataFrame({
            "institution_id": ids, "year": np.full(n, year),
            "occupants": occ, "staff_quota": np.round(occ * 0.8).astype(np.int64),
            "floor_area_m2": fa, "heated_area_m2": np.where(rng.random(n) < 0.1, fa * 0.6,
                                                            np.nan),
            "vehicles_gasoline": rng.poisson(2, n), "vehicles_diesel": rng.poisson(0.5, n),
            "vehicles_nev": rng.poisson(0.7, n),
        }).with_columns(pl.col("floor_area_m2").fill_nan(None),
                        pl.col("heated_area_m2").fill_nan(None)))
    return pl.concat(frames), occupants


def records_chunk(ids: np.ndarray, occupants: np.ndarray, years: list[int],
                  rng: np.random.Generator) -> pl.DataFrame:
    """All figures of a chunk of institutions, sorted by (institution, year, month, carrier)."""
    n, ny, nc = len(ids), len(years), len(CARRIER_CODES)
    prob = np.array([m[0] for m in CARRIER_MODEL.values()])
    per_occ = np.array([m[1] for m in CARRIER_MODEL.values()])
    price = np.array([m[2] for m in CARRIER_MODEL.values()])
    amp = np.array([m[3] for m in CARRIER_MODEL.values()])
    present = rng.random((n, nc)) < prob  # which carriers an institution reports
    scale = occupants[:, None] * per_occ[None, :] * rng.lognormal(0, 0.4, (n, nc)) / 12
    months = np.arange(1, 13)
    season = 1 + amp[None, :] * np.cos((months[:, None] - 1.5) / 12 * 2 * np.pi)  # (12, nc)
    # shape (n, ny, 12, nc)
    q = (scale[:, None, None, :] * season[None, None, :, :]
         * rng.gamma(20.0, 1 / 20.0, (n, ny, 12, nc)))
    cost = q * price[None, None, None, :] * rng.uniform(0.95, 1.05, (n, ny, 12, nc))
    mask = np.broadcast_to(present[:, None, None, :], q.shape)
    ii, yy, mm, cc = np.nonzero(mask)  # C order = sorted by key
    qv = np.round(q[ii, yy, mm, cc], 3)
    cv = np.round(cost[ii, yy, mm, cc], 2)
    cv = np.where((rng.random(len(cv)) < 0.05) | (price[cc] == 0), np.nan, cv)
    carrier_names = np.array(CARRIER_CODES)
    return pl.DataFrame({
        "institution_id": ids[ii].astype(np.int32),
        "year": np.array(years, dtype=np.int16)[yy],
        "month": (mm + 1).astype(np.int16),
        "carrier": carrier_names[cc],
        "quantity": qv,
        "cost_yuan": cv,
    }).with_columns(
        pl.col("cost_yuan").fill_nan(None),
        pl.lit("demo").alias("source"),
        pl.lit(1, dtype=pl.Int32).alias("revision"),
        pl.lit(True).alias("is_current"),
    )


def _reset(url: str, engine: Engine) -> None:
    sa_url = make_url(normalise_url(url))
    if sa_url.get_backend_name() == "sqlite":
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sa_url.database}{suffix}").unlink(missing_ok=True)
    else:
        downgrade(engine, "base")
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    else:
        raw = engine.raw_connection()  # outside any transaction
        try:
            raw.driver_connection.execute("ANALYZE")  # type: ignore[union-attr]
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
        finally:
            raw.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="database URL (sqlite:///… or postgresql://…)")
    ap.add_argument("--institutions", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--first-year", type=int, default=2022)
    ap.add_argument("--seed", type=int, default=20_240_601)
    ap.add_argument("--chunk", type=int, default=2_500, help="institutions per load chunk")
    args = ap.parse_args(argv)

    years = list(range(args.first_year, args.first_year + args.years))
    rng = np.random.default_rng(args.seed)
    timings: dict[str, float] = {}
    engine = make_engine(args.db)
    t0 = time.perf_counter()
    _reset(args.db, engine)
    engine = make_engine(args.db)
    upgrade(engine)
    timings["migrate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    inst = institutions_frame(args.institutions, rng)
    with engine.begin() as conn:
        upsert_regions(conn, regions_frame())
        upsert_institutions(conn, inst, import_id=None)
        id_by_code = dict(conn.execute(select(t.institution.c.credit_code,
                                              t.institution.c.id)).all())
        ids = np.array([id_by_code[c] for c in inst["credit_code"]], dtype=np.int64)
        profiles, occupants = profiles_frame(ids, inst["category"].to_numpy(), years, rng)
        upsert_profiles(conn, profiles, import_id=None)
        set_meta(conn, "dataset_label", "基准测试数据（合成）/ benchmark data (synthetic)")
    timings["directory_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = 0
    for start in range(0, len(ids), args.chunk):
        sl = slice(start, start + args.chunk)
        chunk_rng = np.random.default_rng([args.seed, start])
        frame = records_chunk(ids[sl], occupants[sl], years, chunk_rng)
        with engine.begin() as conn:
            total += bulk_insert(conn, t.consumption_record, frame)
        print(f"  records: {total:,}  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    timings["records_load_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with engine.begin() as conn:
        rebuild_rollups(conn)
    timings["rollups_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _analyze(engine)
    timings["analyze_s"] = time.perf_counter() - t0

    with engine.connect() as conn:
        counts = {
            name: int(conn.execute(select(func.count()).select_from(tab)).scalar_one())
            for name, tab in [("region", t.region), ("institution", t.institution),
                              ("institution_profile", t.institution_profile),
                              ("consumption_record", t.consumption_record),
                              ("consumption_month", t.consumption_month),
                              ("consumption_year", t.consumption_year)]
        }
    engine.dispose()
    print(json.dumps({
        "db": engine.dialect.name, "years": years, "seed": args.seed, "rows": counts,
        "timings": {k: round(v, 1) for k, v in timings.items()},
        "total_s": round(sum(timings.values()), 1),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
