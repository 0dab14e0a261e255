"""Benchmark a province's campaign coverage and spot-check draw (issue 14 §3).

    .venv/bin/python bench/bench_campaign_coverage.py --db sqlite:////tmp/jieneng_bench/coverage.db
    .venv/bin/python bench/bench_campaign_coverage.py \
        --db postgresql://postgres@127.0.0.1/jieneng_bench_coverage

Builds (untimed) 湖南省's directory of ``--institutions`` institutions
(``bench/generate_province.py``'s regions and institutions, no statistics), opens a
``canteen_food_waste`` round of the province (every organ invited), marks 90 % of the
members submitted and half of them recommended, awards the title to 40 % of the organs
of the year before and opens a 回头看 of all of them with 60 % concluded (set-based
writes). Timed: the spot-check draw by the rule (35 % of the members, the earlier
round's checked ones preferred) — :func:`jieneng.services.campaigns.checks.draw_sample`
— and :func:`jieneng.services.campaigns.coverage.region_coverage` of the province by
child region (14 cities), ``--repeat`` times; then the same narrowed to the organs
(``category="01"``) and to provincial titles (``level="provincial"``), the readings a
work plan's ``category=`` / ``level=`` items make (skipped by a coverage without them).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_province import _reset, institutions_frame, regions_frame
from jieneng.core.caller import command_line_user
from jieneng.services.campaigns.checks import draw_sample
from jieneng.services.campaigns.coverage import region_coverage
from jieneng.services.campaigns.rounds import open_round
from jieneng.services.campaigns.schemes import install_shipped
from jieneng.storage import campaign_rounds as rounds
from jieneng.storage import campaign_titles as titles
from jieneng.storage import tables as t
from jieneng.storage import title_awards
from jieneng.storage.engine import make_engine
from jieneng.storage.institutions import upsert_institutions
from jieneng.storage.migrate import upgrade
from jieneng.storage.regions import upsert_regions

PROVINCE, SCHEME, YEAR = "430000", "canteen_food_waste", 2025


def _world(url: str, n: int, seed: int) -> tuple[object, int, int]:
    """The directory, last year's round with titles and re-checks, this year's round."""
    engine = make_engine(url)
    _reset(url, engine)
    engine = make_engine(url)
    upgrade(engine)
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        upsert_regions(conn, regions_frame())
        upsert_institutions(conn, institutions_frame(n, rng), import_id=None)
    user = command_line_user()
    install_shipped(engine, user)
    earlier = int(open_round(engine, user, SCHEME, PROVINCE, YEAR - 1, title="上年")["id"])
    draw_sample(engine, user, earlier, seed=1)
    current = int(open_round(engine, user, SCHEME, PROVINCE, YEAR, title="本年")["id"])
    m = rounds.campaign_round_member
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = np.array(conn.execute(select(m.c.institution_id).where(
            m.c.round_id == current).order_by(m.c.institution_id)).scalars().all())
        submitted = ids[rng.random(ids.size) < 0.9]
        conn.execute(update(m).where(m.c.round_id == current, m.c.institution_id.in_(
            submitted.tolist())).values(state="submitted", submitted_at=now))
        recommended = submitted[rng.random(submitted.size) < 0.5]
        rounds.set_members_state(conn, current, recommended.tolist(), "recommended", at=now)
        held = ids[rng.random(ids.size) < 0.4]
        title_awards.award_titles(conn, [
            {"institution_id": int(i), "scheme_code": SCHEME, "round_id": earlier,
             "level": "provincial", "awarded_on": date(YEAR - 1, 12, 1), "valid_until": None}
            for i in held])
        title_ids = conn.execute(select(rounds.campaign_title.c.id,
                                        rounds.campaign_title.c.institution_id)).all()
        region_of = {int(i): str(r) for i, r in conn.execute(
            select(t.institution.c.id, t.institution.c.region_code))}
        done = rng.random(len(title_ids)) < 0.6
        titles.insert_rechecks(conn, [
            {"title_id": int(tid), "institution_id": int(iid), "scheme_code": SCHEME,
             "region_code": str(region_of[iid]).strip(), "year": YEAR,
             "state": ("passed" if k % 10 else "revoked") if done[k] else "pending",
             "selected_by": "bench", "selected_at": now,
             "concluded_on": date(YEAR, 6, 1) if done[k] else None}
            for k, (tid, iid) in enumerate(title_ids)])
    return engine, current, int(ids.size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--institutions", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20_240_601)
    args = parser.parse_args()
    started = time.perf_counter()
    engine, round_id, members = _world(args.db, args.institutions, args.seed)
    setup = time.perf_counter() - started
    user = command_line_user()
    started = time.perf_counter()
    drawn = draw_sample(engine, user, round_id, seed=7)  # type: ignore[arg-type]
    draw_s = time.perf_counter() - started
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        rows = region_coverage(engine, PROVINCE, YEAR, SCHEME)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    province = rows[0]
    narrowed: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        try:
            region_coverage(engine, PROVINCE, YEAR, SCHEME,  # type: ignore[arg-type]
                            category="01", level="provincial")
        except TypeError:  # a coverage without the narrowing (the code before)
            break
        narrowed.append(time.perf_counter() - started)
    print(json.dumps({
        "db": engine.dialect.name, "institutions": args.institutions,  # type: ignore[attr-defined]
        "members": members, "setup_s": round(setup, 1), "draw_s": round(draw_s, 3),
        "sample": drawn["sample_size"], "preferred": drawn["preferred"],
        "coverage_rows": len(rows), "coverage_median_s": round(statistics.median(times), 3),
        "coverage_max_s": round(max(times), 3),
        "narrowed_median_s": round(statistics.median(narrowed), 3) if narrowed else None,
        "province": {k: province[k] for k in ("eligible", "members", "self_assessed",
                                              "spot_checked", "recommended", "titles_held",
                                              "rechecked", "compliance_rate",
                                              "self_assessment_rate", "spot_check_rate",
                                              "recheck_pass_rate")},
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
