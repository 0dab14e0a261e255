"""Benchmark the data-quality rules over a generated province.

    .venv/bin/python bench/bench_quality.py --db postgresql://postgres@127.0.0.1/jieneng_bench
    .venv/bin/python bench/bench_quality.py --db sqlite:////tmp/jieneng_bench/province.db

Runs every rule (:func:`jieneng.storage.evaluation.evaluate`) over all active
institutions of ``--region`` (default 湖南 430000, 50,000 institutions) for
``--year`` (default 2024), findings written and committed, ``--repeat`` times (the
second run replaces the first run's findings, keeping explanations). Target < 60 s
on PostgreSQL, memory bounded by the chunk of institutions read at once: the peak
RSS of the process is reported (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.storage.engine import make_engine
from jieneng.storage.quality import evaluation, model
from jieneng.storage.regions import load_regions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1/jieneng_bench")
    parser.add_argument("--region", default="430000")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=evaluation.CHUNK)
    args = parser.parse_args()
    engine = make_engine(args.db)
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        with engine.begin() as conn:
            tree = RegionTree(load_regions(conn))
            counts = evaluation.evaluate(conn, model.period(args.year),
                                         Filters(region_codes=tree.subtree(args.region)),
                                         chunk=args.chunk)
        elapsed = time.perf_counter() - start
        runs.append(elapsed)
        print(f"all rules, {counts.institutions:,} institutions, {args.year}: "
              f"{elapsed:.1f} s, {counts.findings:,} findings "
              f"{json.dumps(counts.by_rule, sort_keys=True)}", flush=True)
        print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in counts.seconds.items()),
              flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"runs: {', '.join(f'{r:.1f}' for r in runs)} s (target < 60 s); "
          f"peak RSS {peak_mb:.0f} MB (chunk {args.chunk:,} institutions)")


if __name__ == "__main__":
    main()
