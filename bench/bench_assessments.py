"""Benchmark a performance assessment (绩效考核, issue 14 §4) on a province database.

    .venv/bin/python bench/generate_province.py --db sqlite:////tmp/jieneng_bench/province.db
    .venv/bin/python bench/bench_assessments.py --db sqlite:////tmp/jieneng_bench/province.db \
        --region 430000 --year 2025

Timed (as the command-line administrator): opening and computing the units' sheet
(``unit_energy``: every active unit of the region's subtree is a subject — the reporting,
quality and project counts one GROUP BY each, targets one service call), recomputing it,
the result (scores, veto, grades, ranks and the rows of the page and the API), the
workbook; and the same for the child regions' sheet (``county_energy``). Prints JSON.
The database is upgraded first (the assessment tables); a run already there is reused.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from jieneng.core.caller import command_line_user
from jieneng.reports.performance_document import performance_xlsx
from jieneng.services.assessments import runs
from jieneng.storage.engine import make_engine, normalise_url
from jieneng.storage.migrate import upgrade


def _timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - started, 3)


def bench(url: str, region: str, year: int) -> dict[str, Any]:
    upgrade(url)
    engine = make_engine(url)
    who = command_line_user()
    out: dict[str, Any] = {"db": engine.dialect.name, "region": region, "year": year}
    for code in ("unit_energy", "county_energy"):
        opened, t_open = _timed(lambda c=code: runs.open_run(engine, who, code=c,
                                                              region_code=region, year=year))
        computed, t_compute = _timed(lambda o=opened: runs.compute_run(engine, who, o["id"]))
        result, t_result = _timed(lambda o=opened: runs.result(engine, who, o["id"]))
        _, t_xlsx = _timed(lambda r=result: performance_xlsx(r))
        out[code] = {"subjects": computed["subjects"], "open_s": t_open if opened["created"]
                     else None, "compute_s": t_compute, "result_s": t_result, "xlsx_s": t_xlsx}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--region", default="430000")
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    print(json.dumps(bench(normalise_url(args.db), args.region, args.year), indent=1))


if __name__ == "__main__":
    main()
