"""Benchmark the early warning and the annual 通报 on the province dataset.

    .venv/bin/python bench/bench_targets.py --db postgresql://postgres@127.0.0.1/jieneng_bench

On 湖南 430000 (50,000 institutions, 2022–2024): energy caps for 2024 set at the
province and decomposed to its 14 cities and each city's counties (127 caps), then
(1) ``alerts.evaluate`` over the whole province as of June — every cap's pace,
projection and alert, and a (fictional) energy quota assigned to every 国家机关 and
事业单位 of the province, each institution's intensity pace against it (result cache
cleared first: everything is computed);
(2) the annual 通报 of the province for 2024 (data, .docx with charts, .xlsx).
Targets, the bench quota, alerts and their events created here are deleted at the end.
Prints JSON with the timings.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from jieneng.core.caller import command_line_user
from jieneng.reports.annual_report import annual_docx, annual_xlsx
from jieneng.services import result_cache
from jieneng.services.database import open_database
from jieneng.services.publishing.annual_report import annual_data
from jieneng.services.targets import alerts, quotas, targets
from jieneng.settings import Settings
from jieneng.storage import tables as t

PROVINCE, YEAR = "430000", 2024


BENCH_QUOTA = """指标,机构类型,气候区,约束值,基准值,引导值,单位
人均综合能耗,bench,,600,450,300,kgce/人
单位建筑面积能耗,bench,,20,15,10,kgce/m²
"""


def _clean(engine: Any) -> None:
    with engine.begin() as conn:
        conn.execute(delete(t.alert_event))
        conn.execute(delete(t.alert))
        conn.execute(delete(t.target).where(t.target.c.year == YEAR))
        conn.execute(delete(t.quota_assignment))
        conn.execute(delete(t.quota))
        conn.execute(delete(t.quota_standard).where(t.quota_standard.c.code == "BENCH"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    args = ap.parse_args()
    engine = open_database(args.db)
    settings = Settings(database_url=args.db)
    user = command_line_user()
    _clean(engine)
    out: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        targets.set_target(engine, user, region_code=PROVINCE, year=YEAR,
                           metric="energy_tce", value=3_900_000.0)
        plan = targets.decompose(engine, user, region_code=PROVINCE, year=YEAR,
                                 metric="energy_tce")
        for city in plan["children"]:
            targets.decompose(engine, user, region_code=city["code"], year=YEAR,
                              metric="energy_tce")
        out["set_and_decompose_s"] = round(time.perf_counter() - t0, 2)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench-quota.csv"
            path.write_text(BENCH_QUOTA, encoding="utf-8")
            std = quotas.import_table(engine, user, path, code="BENCH", title="bench quota",
                                      source="fictional, for the benchmark")
        for q in quotas.list_quotas(engine, std["standard_id"]):
            for category in ("01", "02"):   # 国家机关 and every 事业单位: ~45,000 institutions
                quotas.assign(engine, user, quota_id=int(q["id"]), region_code=PROVINCE,
                              category=category)
        result_cache.clear(engine)
        t0 = time.perf_counter()
        result = alerts.evaluate(engine, settings, user, region_code=PROVINCE, year=YEAR,
                                 as_of_month=6, sleep=lambda _s: None)
        out["evaluate_s"] = round(time.perf_counter() - t0, 2)
        out["evaluated"] = result["evaluated"]  # caps + institution quotas
        out["alerts_opened"] = len(result["opened"])
        result_cache.clear(engine)
        t0 = time.perf_counter()
        data = annual_data(engine, user, region_code=PROVINCE, year=YEAR)
        out["report_data_s"] = round(time.perf_counter() - t0, 2)
        t1 = time.perf_counter()
        docx, xlsx = annual_docx(data), annual_xlsx(data)
        out["report_files_s"] = round(time.perf_counter() - t1, 2)
        out["report_total_s"] = round(time.perf_counter() - t0, 2)
        out["docx_bytes"], out["xlsx_bytes"] = len(docx), len(xlsx)
    finally:
        _clean(engine)
        engine.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
