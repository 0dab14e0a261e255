"""Benchmark a province's evaluation round (issue 14 §3, speed: 50,000 institutions
opened and scored from the statistics < 10 s).

    .venv/bin/python bench/generate_province.py --db sqlite:////tmp/jieneng_bench/province.db \
        --years 2 --first-year 2024
    .venv/bin/python bench/bench_round_scoring.py --db sqlite:////tmp/jieneng_bench/province.db \
        --region 430000 --evaluation 2025-03 --repeat 3

Timed, per run: :func:`jieneng.services.campaigns.rounds.open_round` of the shipped
``demonstration_unit`` scheme for the region (every active institution invited, one
``INSERT … SELECT``) and :func:`jieneng.services.campaigns.round_scoring.score_round`
(the energy section from ``consumption_month`` over the 12 months before the evaluation
with the province × type peers, the flags from titles and targets, the hand scores,
one numpy pass per item, one bulk UPDATE of every member's total, pass, grade and
missing and the bulk insert of the computed item scores). Before the timed runs a share
of the members get self-assessment scores (``--assessed``, stored set-based, not
timed) so that the hand items are read too. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime

import numpy as np
import polars as pl
from sqlalchemy import select

from jieneng.core.caller import command_line_user
from jieneng.services.campaigns.round_scoring import score_round
from jieneng.services.campaigns.rounds import open_round
from jieneng.services.database import open_database
from jieneng.storage import campaign_rounds as store
from jieneng.storage.bulk import bulk_insert


def _assess(engine: object, round_id: int, share: float, seed: int = 3) -> int:
    """Self-assessment scores for ``share`` of the members (set-based, untimed)."""
    m = store.campaign_round_member
    with engine.begin() as conn:  # type: ignore[attr-defined]
        ids = np.array(conn.execute(select(m.c.id).where(m.c.round_id == round_id))
                       .scalars().all())
        rng = np.random.default_rng(seed)
        chosen = ids[rng.random(ids.size) < share]
        frames = [pl.DataFrame({"member_id": chosen, "item_code": code, "stage": "self",
                                "score": np.floor(rng.uniform(0.6, 1.0, chosen.size) * top),
                                "at": datetime.now(UTC).replace(tzinfo=None).strftime(
                                    "%Y-%m-%d %H:%M:%S")})
                  for code, top in (("management", 29), ("building", 20), ("water", 9),
                                    ("green", 7), ("extra", 10))]
        return bulk_insert(conn, store.campaign_item_score, pl.concat(frames))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="a generate_province.py database")
    parser.add_argument("--region", default="430000")
    parser.add_argument("--evaluation", default="2025-03", help="YYYY-MM")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--assessed", type=float, default=0.3)
    args = parser.parse_args()
    engine = open_database(args.db)
    user = command_line_user()
    year, month = (int(x) for x in args.evaluation.split("-"))
    runs = []
    for k in range(args.repeat):
        start = time.perf_counter()
        made = open_round(engine, user, "demonstration_unit", args.region, year,
                          title=f"bench {k}", eval_year=year, eval_month=month)
        opened = time.perf_counter()
        if k == 0:
            assessed = _assess(engine, made["id"], args.assessed)
        start_score = time.perf_counter()
        got = score_round(engine, user, made["id"])
        done = time.perf_counter()
        runs.append({"open_s": opened - start, "score_s": done - start_score,
                     "total_s": (opened - start) + (done - start_score),
                     "members": got["members"], "passed": got["passed"],
                     "with_missing": got["with_missing"]})
    print(json.dumps({
        "db": engine.dialect.name, "region": args.region, "evaluation": args.evaluation,
        "members": runs[-1]["members"], "passed": runs[-1]["passed"],
        "with_missing": runs[-1]["with_missing"], "hand_scores_first_run": assessed,
        "median_total_s": round(statistics.median(r["total_s"] for r in runs), 3),
        "max_total_s": round(max(r["total_s"] for r in runs), 3),
        "median_open_s": round(statistics.median(r["open_s"] for r in runs), 3),
        "median_score_s": round(statistics.median(r["score_s"] for r in runs), 3),
        "runs": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                 for r in runs]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
