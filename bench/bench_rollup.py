"""Benchmark the read and revision paths on a generated province.

    .venv/bin/python bench/bench_rollup.py --db sqlite:////tmp/jieneng_bench/province.db
    .venv/bin/python bench/bench_rollup.py --db postgresql://postgres@127.0.0.1/jieneng_bench

Measures (median and max of ``--repeat`` runs, wall clock, one connection):

(a) the full indicator roll-up of one year at every region level — the province,
    each city, each county — and by category at each of them: one
    :func:`~jieneng.storage.indicators.group_sums` query grouped by
    (region_code, category) plus :func:`~jieneng.storage.indicators.expected_counts`,
    then additions in Python. Target < 1 s.
(b) one institution's 36-month history (:func:`~jieneng.storage.directory.monthly_series`).
    Target < 50 ms.
(c) a revision of 1,000 figures, roll-up refresh and commit included
    (:func:`~jieneng.storage.consumption.write_consumption`).
(d) for information: the same roll-up as (a) for a month range (Q1), which
    aggregates ``consumption_month``.

The revisions of (c) stay in the database (each run revises other figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, func, select

from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, factor_set
from jieneng.core.indicators import AggregateInputs, compute_indicators
from jieneng.core.scope import Filters
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from jieneng.storage.directory import monthly_series
from jieneng.storage.engine import make_engine
from jieneng.storage.indicators import expected_counts, group_sums
from jieneng.storage.regions import load_regions


def _inputs(g: dict[str, Any]) -> AggregateInputs:
    return AggregateInputs(
        institutions_reported=g["institutions_reported"],
        quantity=g["quantity"], quantity_with_occupants=g["quantity_with_occupants"],
        quantity_with_area=g["quantity_with_area"], cost_yuan=g["cost_yuan"],
        occupants=g["occupants"], floor_area_m2=g["floor_area_m2"],
    )


def full_rollup(conn: Connection, year: int, ancestors: dict[str, list[str]],
                months: tuple[int, int] | None = None,
                ) -> dict[tuple[str, str], AggregateInputs]:
    """(region, category or '*') → :class:`AggregateInputs`, for every region of the
    province: one query, then ``+`` up the region tree (what the service layer does)."""
    leaves: dict[tuple[str, str], AggregateInputs] = {}
    for g in group_sums(conn, Filters(), year=year, months=months):
        leaves[(g["region_code"], g["category"])] = _inputs(g)
    for e in expected_counts(conn, Filters(), year=year, months=months):
        key = (e["region_code"], e["category"])
        base = leaves.get(key) or AggregateInputs()
        leaves[key] = dataclasses.replace(base, institutions_expected=e["institutions_expected"])
    out: dict[tuple[str, str], AggregateInputs] = {}
    for (region, category), inputs in leaves.items():
        for node in ancestors[region]:
            for key in ((node, category), (node, "*")):
                prev = out.get(key)
                out[key] = inputs if prev is None else prev + inputs
    return out


def _time(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def _stats(times: list[float]) -> dict[str, float]:
    return {"first_ms": round(times[0] * 1000, 1),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "max_ms": round(max(times) * 1000, 1), "runs": len(times)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--year", type=int, default=None, help="default: the latest year")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--revisions", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    engine = make_engine(args.db)
    rng = np.random.default_rng(args.seed)
    report: dict[str, Any] = {"db": engine.dialect.name}

    with engine.connect() as conn:
        year = args.year or int(conn.execute(select(func.max(t.consumption_year.c.year)))
                                .scalar_one())
        report["year"] = year
        regions = load_regions(conn)
        parent = {r.code: r.parent_code for r in regions}
        ancestors: dict[str, list[str]] = {}
        for r in regions:
            chain, c = [], r.code
            while c is not None:
                chain.append(c)
                c = parent[c]
            ancestors[r.code] = chain
        report["rows"] = {
            "institution": conn.execute(select(func.count()).select_from(t.institution))
            .scalar_one(),
            "consumption_record": conn.execute(
                select(func.count()).select_from(t.consumption_record)).scalar_one(),
        }

        # (a) full roll-up, whole year
        times, result = _time(lambda: full_rollup(conn, year, ancestors), args.repeat)
        assert isinstance(result, dict)
        levels: dict[str, int] = defaultdict(int)
        for (region, cat), _v in result.items():
            if cat == "*":
                levels[{1: "province", 2: "city", 3: "county"}[
                    next(r.level for r in regions if r.code == region)]] += 1
        province = next(r.code for r in regions if r.level == 1)
        top = result[(province, "*")]
        report["a_full_rollup_year"] = {
            **_stats(times), "groups_out": len(result), "regions_by_level": dict(levels),
            "province_reported": top.institutions_reported,
            "province_expected": top.institutions_expected,
            "province_electricity_kwh": round(top.quantity["electricity"], 1),
        }
        # for information: the indicators of every node (region × category)
        fs = factor_set(DEFAULT_FACTOR_SET)
        t0 = time.perf_counter()
        for node in result.values():
            compute_indicators(node, fs, year=year, province_code=province)
        report["a_plus_compute_indicators_all_nodes_ms"] = round(
            (time.perf_counter() - t0) * 1000, 1)
        # query alone
        q_times, _ = _time(lambda: group_sums(conn, Filters(), year=year), args.repeat)
        report["a_group_sums_query_only"] = _stats(q_times)
        # (d) month range
        times, _ = _time(lambda: full_rollup(conn, year, ancestors, months=(1, 3)),
                         max(3, args.repeat // 2))
        report["d_full_rollup_q1"] = _stats(times)

        # (b) one institution's 36-month history
        ids = conn.execute(select(t.institution.c.id)).scalars().all()
        years = list(range(year - 2, year + 1))
        picks = rng.choice(np.array(ids), size=50, replace=False)
        times = []
        for inst in picks:
            t0 = time.perf_counter()
            series = monthly_series(conn, int(inst), years)
            times.append(time.perf_counter() - t0)
        report["b_monthly_series_36"] = {**_stats(times), "months_returned": len(series)}
        conn.rollback()

    # (c) revision of N figures incl. roll-up refresh and commit
    rev_times = []
    for run in range(3):
        with engine.connect() as conn:
            inst = rng.choice(np.array(ids), size=args.revisions, replace=True)
            month = rng.integers(1, 13, args.revisions)
            carrier = np.array(["electricity", "water"])[rng.integers(0, 2, args.revisions)]
            frame = pl.DataFrame({"institution_id": inst, "year": year, "month": month,
                                  "carrier": carrier}).unique(["institution_id", "month",
                                                               "carrier"])
            frame = frame.with_columns(
                pl.Series("quantity", rng.gamma(5.0, 1000.0, frame.height)),
                pl.lit(None, dtype=pl.Float64).alias("cost_yuan"),
                pl.lit(None, dtype=pl.String).alias("entered_value"),
                pl.lit(None, dtype=pl.String).alias("entered_unit"),
            )
            t0 = time.perf_counter()
            with conn.begin():
                counts = write_consumption(conn, frame, source="manual", import_id=None)
            rev_times.append(time.perf_counter() - t0)
            print(f"  revision run {run}: {counts}", flush=True)
    report["c_revise_1000"] = {**_stats(rev_times), "figures": args.revisions}
    engine.dispose()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
