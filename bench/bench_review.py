"""Benchmark the review queue of a province office (审核队列).

    .venv/bin/python bench/bench_review.py --db postgresql://postgres@127.0.0.1/jieneng_bench

On the generated province (``generate_province.py``: 50,000 institutions, region
430000) this

1. opens the 月报 period 2024-12 for 430000 through
   :func:`jieneng.services.workflow.periods.open_period` (one ``INSERT … SELECT`` of a
   task per active institution) — timed;
2. marks 5,000 of the tasks ``submitted`` (every 10th institution first, spread
   over the province; one ``UPDATE``);
3. times :func:`jieneng.services.workflow.review.review_queue` for the province office
   (account ``bench-region``, region 430000): the first page of 50 with, per task,
   the counts of open errors and unexplained warnings from ``quality_finding``, and
   the total — ``--requests`` times after ``--warmup``; the same through the JSON
   twin ``GET /api/v1/reporting/review`` (bearer token, in-process ``TestClient``)
   and the HTML page ``GET /review`` (session login);
4. times the queue at scale (issue 11): a page of 200 with each row's figures and
   同比 (one query per page), filtered pages (a county, 单位类别 021, with findings),
   and every page of the whole queue one after the other (``queue_all_pages``: what
   "select all" of 400+ submissions costs a reviewer, 200 at a time);
5. times one bulk approval of a page of 50 and one of a page of 200 (``bulk_review``:
   one ``UPDATE`` each);
6. removes what it created (the period, its tasks and their history; the audit
   entries stay — the log is append-only), so it can run again.

Prints JSON. The target of issue 4: the queue opens in under 500 ms.

``--region``, ``--period`` and ``--submitted`` choose another region, period and
queue size, e.g. the demo city (a copy of the demo database: 626 institutions,
figures 2023–2025)::

    cp ~/.local/share/jieneng/demo.db /tmp/bench-demo.db
    .venv/bin/python bench/bench_review.py --db sqlite:////tmp/bench-demo.db \
        --region 450300 --period 2024-12 --submitted 450
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from starlette.testclient import TestClient

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import Conflict
from jieneng.core.reporting.periods import Period
from jieneng.services.accounts import accounts, auth
from jieneng.services.database import open_database
from jieneng.services.workflow import periods, review
from jieneng.settings import Settings
from jieneng.storage import tables as t
from jieneng.web.app import create_app

PASSWORD = "bench-password-2024"
PROVINCE = "430000"
PERIOD = "2024-12"
SUBMITTED = 5000
SUBMITTED_EVERY = 10  # spread over the province: every 10th institution first


def _ms(values: list[float]) -> dict[str, Any]:
    s = sorted(values)

    def q(p: float) -> float:
        return round(1000 * s[min(len(s) - 1, round(p * (len(s) - 1)))], 1)

    return {"n": len(s), "p50": q(0.50), "p95": q(0.95), "max": round(1000 * s[-1], 1),
            "mean": round(1000 * statistics.fmean(s), 1)}


def _time(fn: Callable[[], object], n: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return _ms(out)


def _account(engine: Engine, region: str) -> User:
    name = f"bench-region-{region}" if region != PROVINCE else "bench-region"
    try:
        return accounts.create_user(engine, Actor.cli(), username=name,
                                    password=PASSWORD, role="region", region_code=region)
    except Conflict:
        return accounts.get_user_by_username(engine, name)


def _cleanup(engine: Engine, region: str = PROVINCE, period: str = PERIOD) -> int:
    """Remove the bench period with its tasks and history (idempotent)."""
    p, task, tr, q = (t.reporting_period, t.reporting_task, t.task_transition,
                      t.figure_question)
    with engine.begin() as conn:
        chosen = Period.parse(period)
        ids = select(p.c.id).where(p.c.region_code == region, p.c.kind == chosen.kind.value,
                                   p.c.year == chosen.year, p.c.month == (chosen.month or 0))
        tasks = select(task.c.id).where(task.c.period_id.in_(ids))
        conn.execute(delete(tr).where(tr.c.task_id.in_(tasks)))
        conn.execute(delete(q).where(q.c.task_id.in_(tasks)))
        conn.execute(delete(t.reminder_log).where(t.reminder_log.c.task_id.in_(tasks)))
        removed = conn.execute(delete(task).where(task.c.period_id.in_(ids))).rowcount
        conn.execute(delete(p).where(p.c.id.in_(ids)))
    return int(removed)


def _at_scale(engine: Engine, office: User, args: argparse.Namespace,
              out: dict[str, Any]) -> None:
    """Issue 11: pages of 200 with figures and 同比, filters, and the whole queue."""
    n, w = args.requests, args.warmup
    big = review.review_queue(engine, office, per_page=200)
    out["page_200_items"] = len(big["items"])
    out["page_200_with_figures"] = sum(1 for i in big["items"]
                                       if i["totals"]["energy_tce"] is not None)
    out["service_queue_200"] = _time(
        lambda: review.review_queue(engine, office, per_page=200), n, w)
    county = next((r["code"] for r in big["options"]["regions"][1:]), None)
    out["service_queue_filtered"] = _time(lambda: review.review_queue(
        engine, office, per_page=200, region=county, category="021", findings="any"), n, w)

    def every_page() -> int:
        seen, page = 0, 1
        while True:
            got = review.review_queue(engine, office, page=page, per_page=200)
            seen += len(got["items"])
            if seen >= got["total"] or not got["items"]:
                return seen
            page += 1

    out["queue_all_tasks"] = every_page()
    out["queue_all_pages"] = _time(every_page, max(3, n // 5), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the period in place")
    parser.add_argument("--region", default=PROVINCE)
    parser.add_argument("--period", default=PERIOD)
    parser.add_argument("--submitted", type=int, default=SUBMITTED)
    args = parser.parse_args()
    engine = open_database(args.db)
    out: dict[str, Any] = {"db": args.db.split("@")[-1], "region": args.region,
                           "period": args.period}
    _cleanup(engine, args.region, args.period)
    office = _account(engine, args.region)
    try:
        t0 = time.perf_counter()
        opened = periods.open_period(engine, office, region_code=args.region,
                                     period=args.period)
        out["open_period_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["tasks"] = opened["tasks_added"]
        task = t.reporting_task
        with engine.begin() as conn:
            chosen_ids = (select(task.c.id).where(task.c.period_id == opened["id"])
                          .order_by(task.c.institution_id % SUBMITTED_EVERY, task.c.institution_id)
                          .limit(args.submitted))
            submitted = conn.execute(
                update(task).where(task.c.id.in_(chosen_ids))
                .values(state="submitted", version=task.c.version + 1)).rowcount
            findings = conn.execute(select(func.count()).select_from(t.quality_finding).where(
                t.quality_finding.c.year == Period.parse(args.period).year)).scalar_one()
        if engine.dialect.name == "postgresql":  # as autovacuum would after the update
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE reporting_task")
        out["submitted"] = int(submitted)
        out["quality_findings_of_the_year"] = int(findings)
        first = review.review_queue(engine, office)
        out["queue_total"] = first["total"]
        out["page_items"] = len(first["items"])
        out["page_findings"] = {
            "errors": sum(i["errors"] for i in first["items"]),
            "unexplained_warnings": sum(i["unexplained_warnings"] for i in first["items"])}
        out["service_review_queue"] = _time(lambda: review.review_queue(engine, office),
                                            args.requests, args.warmup)
        _at_scale(engine, office, args, out)
        app = create_app(Settings(database_url=args.db, environment="test",
                                  secret_key="bench-review-secret-key"))
        token = auth.create_token(engine, office, "bench_review")[1]
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/v1/reporting/review", headers=headers).status_code == 200
            out["api_review"] = _time(
                lambda: client.get("/api/v1/reporting/review", headers=headers),
                args.requests, args.warmup)
        with TestClient(app) as browser:
            page = browser.get("/login")
            m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert m
            browser.post("/login", data={"username": office.username, "password": PASSWORD,
                                         "csrf_token": m.group(1), "next": "/"},
                         follow_redirects=False)
            assert browser.get("/review").status_code == 200
            out["page_review"] = _time(lambda: browser.get("/review"), args.requests,
                                       args.warmup)
            out["page_review_200"] = _time(lambda: browser.get("/review?per_page=200"),
                                           args.requests, args.warmup)
        chosen = [(int(i["id"]), int(i["version"])) for i in first["items"]]
        t0 = time.perf_counter()
        result = review.bulk_review(engine, office, "approve", chosen)
        out["bulk_approve_50_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["bulk_moved"] = len(result["moved"])
        out["bulk_refused"] = len(result["refused"])
        page_200 = review.review_queue(engine, office, per_page=200)["items"]
        t0 = time.perf_counter()
        result = review.bulk_review(engine, office, "approve",
                                    [(int(i["id"]), int(i["version"])) for i in page_200])
        out["bulk_approve_200_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["bulk_200_moved"] = len(result["moved"])
    finally:
        if not args.keep:
            out["cleaned_tasks"] = _cleanup(engine, args.region, args.period)
        engine.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
