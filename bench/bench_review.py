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
4. times one bulk approval of a page of 50 (``bulk_review``: one ``UPDATE``);
5. removes what it created (the period, its tasks and their history; the audit
   entries stay — the log is append-only), so it can run again.

Prints JSON. The target of issue 4: the queue opens in under 500 ms.
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


def _account(engine: Engine) -> User:
    try:
        return accounts.create_user(engine, Actor.cli(), username="bench-region",
                                    password=PASSWORD, role="region", region_code=PROVINCE)
    except Conflict:
        return accounts.get_user_by_username(engine, "bench-region")


def _cleanup(engine: Engine) -> int:
    """Remove the bench period with its tasks and history (idempotent)."""
    p, task, tr, q = (t.reporting_period, t.reporting_task, t.task_transition,
                      t.figure_question)
    with engine.begin() as conn:
        ids = select(p.c.id).where(p.c.region_code == PROVINCE, p.c.kind == "monthly",
                                   p.c.year == 2024, p.c.month == 12)
        tasks = select(task.c.id).where(task.c.period_id.in_(ids))
        conn.execute(delete(tr).where(tr.c.task_id.in_(tasks)))
        conn.execute(delete(q).where(q.c.task_id.in_(tasks)))
        conn.execute(delete(t.reminder_log).where(t.reminder_log.c.task_id.in_(tasks)))
        removed = conn.execute(delete(task).where(task.c.period_id.in_(ids))).rowcount
        conn.execute(delete(p).where(p.c.id.in_(ids)))
    return int(removed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the period in place")
    args = parser.parse_args()
    engine = open_database(args.db)
    out: dict[str, Any] = {"db": args.db.split("@")[-1]}
    _cleanup(engine)
    office = _account(engine)
    try:
        t0 = time.perf_counter()
        opened = periods.open_period(engine, office, region_code=PROVINCE, period=PERIOD)
        out["open_period_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["tasks"] = opened["tasks_added"]
        task = t.reporting_task
        with engine.begin() as conn:
            chosen_ids = (select(task.c.id).where(task.c.period_id == opened["id"])
                          .order_by(task.c.institution_id % SUBMITTED_EVERY, task.c.institution_id)
                          .limit(SUBMITTED))
            submitted = conn.execute(
                update(task).where(task.c.id.in_(chosen_ids))
                .values(state="submitted", version=task.c.version + 1)).rowcount
            findings = conn.execute(select(func.count()).select_from(t.quality_finding).where(
                t.quality_finding.c.year == 2024)).scalar_one()
        if engine.dialect.name == "postgresql":  # as autovacuum would after the update
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE reporting_task")
        out["submitted"] = int(submitted)
        out["quality_findings_2024"] = int(findings)
        first = review.review_queue(engine, office)
        out["queue_total"] = first["total"]
        out["page_items"] = len(first["items"])
        out["page_findings"] = {
            "errors": sum(i["errors"] for i in first["items"]),
            "unexplained_warnings": sum(i["unexplained_warnings"] for i in first["items"])}
        out["service_review_queue"] = _time(lambda: review.review_queue(engine, office),
                                            args.requests, args.warmup)
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
            browser.post("/login", data={"username": "bench-region", "password": PASSWORD,
                                         "csrf_token": m.group(1), "next": "/"},
                         follow_redirects=False)
            assert browser.get("/review").status_code == 200
            out["page_review"] = _time(lambda: browser.get("/review"), args.requests,
                                       args.warmup)
        chosen = [(int(i["id"]), int(i["version"])) for i in first["items"]]
        t0 = time.perf_counter()
        result = review.bulk_review(engine, office, "approve", chosen)
        out["bulk_approve_50_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        out["bulk_moved"] = len(result["moved"])
        out["bulk_refused"] = len(result["refused"])
    finally:
        if not args.keep:
            out["cleaned_tasks"] = _cleanup(engine)
        engine.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
