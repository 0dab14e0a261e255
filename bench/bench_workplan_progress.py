"""Benchmark a province's work-plan progress page (issue 14 §1, speed: < 300 ms at the
server).

    .venv/bin/python bench/generate_province.py --db sqlite:////tmp/jieneng_bench/province.db \
        --years 2 --first-year 2024
    .venv/bin/python bench/bench_workplan_progress.py --db sqlite:////tmp/jieneng_bench/province.db

On a ``generate_province.py`` database (湖南 430000: 14 cities, 112 counties, 50,000
institutions, ≈ 11.8 M monthly records for 2024–2025) the bench adds, once, a province
plan for ``--year`` with :data:`ITEMS` (20 items over the indicator catalogue: campaign
rates, projects, data-centre PUE, fleet shares, 上报率, 数据准确率, energy and water
totals and intensities, and the reported ones — training, publicity), each assigned to
the 14 cities (``assign_item``: 20 + 280 items), and a 管理员 account for the page.
Timed, ``--repeat`` times each:

- ``service``: :func:`jieneng.services.workplans.progress.plan_progress` (every indicator
  computed once for every responsible region);
- ``page``: ``GET /workplans/{plan_id}`` through the app (TestClient: session, scope,
  the service, the rows, the template), the figure the issue asks for;
- ``twin``: ``GET /api/v1/workplans/{plan_id}``;
- ``service_cold`` and ``page_cold``: the same with the result cache cleared before
  each run (the first reading after a change of the figures or of a campaign).

With ``--campaigns`` the bench first adds (once, set-based, untimed) what the coverage
items read: a 节水型单位 round of the province for ``--year`` (every organ and public
service unit invited: ≈ 41,000 members), 90 % of them submitted and half of those
recommended, its spot-check sample (35 %), 节水型单位 titles held by 40 % of the members
(awarded the year before) with a 回头看 of each (60 % concluded, one in ten revoked), and
示范单位 titles for 2 % of the institutions (one in three national, the others
provincial) — without it the coverage statements find no campaign rows and only count the
eligible institutions.

With ``--narrowed`` the plan (another title) also has :data:`NARROWED`, the four seed
items a category or a title level narrows (渠县 2023: 节水型单位 达标率 of 党政机关 and of
事业单位; 桂林 2024: national and provincial 示范单位): 24 + 336 items.

Prints JSON (medians and maxima in milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from jieneng.core.caller import Actor, command_line_user

PASSWORD = "Bench-Workplan-2025"
USERNAME = "bench-workplans"
TITLE = "基准测试：全省公共机构能源资源节约工作安排"
#: indicator, its parameter, comparison, target, unit (None: no target) — 20 items
ITEMS: tuple[tuple[str, str, str, float | None, str], ...] = (
    ("campaign_compliance_rate", "scheme=water_saving_unit", ">=", 60, "%"),
    ("campaign_self_assessment_rate", "scheme=water_saving_unit", ">=", 100, "%"),
    ("campaign_spot_check_rate", "scheme=water_saving_unit", ">=", 35, "%"),
    ("campaign_titles", "scheme=demonstration_unit", ">=", 6, "家"),
    ("retrofit_area_m2", "", ">=", 180000, "m2"),
    ("pv_projects", "", ">=", 5, "个"),
    ("pv_capacity_kwp", "", ">=", 500, "kWp"),
    ("epc_projects", "", ">=", 17, "个"),
    ("datacentre_projects", "", ">=", 1, "个"),
    ("datacentre_pue", "", "<=", 1.6, "kWh/kWh"),
    ("nev_purchase_share", "", ">=", 30, "%"),
    ("charging_space_share", "", ">=", 8, "%"),
    ("reporting_rate", "", ">=", 100, "%"),
    ("data_accuracy_rate", "", ">=", 95, "%"),
    ("energy_tce", "", "<=", None, "tce"),
    ("water_m3", "", "<=", None, "m3"),
    ("energy_per_capita_reduction", "", ">=", 1.1, "%"),
    ("water_per_capita_reduction", "", ">=", 1.6, "%"),
    ("publicity_participants", "", ">=", 2000, "人次"),
    ("trainings_held", "", ">=", 1, "期"),
)
#: the seed items a category or a title level narrows (``--narrowed``)
NARROWED: tuple[tuple[str, str, str, float | None, str], ...] = (
    ("campaign_compliance_rate", "scheme=water_saving_unit;category=01", ">=", 60, "%"),
    ("campaign_compliance_rate", "scheme=water_saving_unit;category=02", ">=", 60, "%"),
    ("campaign_titles", "scheme=demonstration_unit;level=national", ">=", 6, "家"),
    ("campaign_titles", "scheme=demonstration_unit;level=provincial", ">=", 8, "家"),
)


def ensure_plan(engine: Any, region: str, year: int, narrowed: bool = False) -> int:
    """The bench plan (made once: 20 items, with ``narrowed`` 24, each assigned to every
    city)."""
    from jieneng.services.workplans.assign import assign_item
    from jieneng.services.workplans.items import add_item
    from jieneng.services.workplans.plans import create_plan, list_plans

    who = command_line_user()
    title = TITLE + ("（含类别、级别）" if narrowed else "")
    found = [p for p in list_plans(engine, who, region_code=region, year=year)
             if p["title"] == title]
    if found:
        return int(found[0]["id"])
    plan_id = int(create_plan(engine, who, region_code=region, year=year, title=title)["id"])
    items = ITEMS + (NARROWED if narrowed else ())
    for n, (code, param, comparison, target, unit) in enumerate(items, start=1):
        fields = {"item_no": str(n), "section": "基准测试", "text": f"基准测试事项 {n}（{code}）",
                  "deadline": f"{year}-06-30" if n % 2 else f"{year}-12-31",
                  "responsible_region": region, "indicator": code,
                  "indicator_param": param or None, "comparison": comparison,
                  "target": None if target is None else str(target), "unit": unit}
        item = add_item(engine, who, plan_id, fields)
        assign_item(engine, who, int(item["id"]))
    return plan_id


def ensure_campaigns(engine: Any, region: str, year: int, seed: int = 20_240_601) -> None:
    """The campaign rows the coverage items read (module docstring); made once."""
    from datetime import UTC, date, datetime

    import numpy as np
    from sqlalchemy import select, update

    from jieneng.services.campaigns.checks import draw_sample
    from jieneng.services.campaigns.rounds import open_round
    from jieneng.services.campaigns.schemes import install_shipped
    from jieneng.storage import campaign_rounds as rounds
    from jieneng.storage import campaign_titles as titles
    from jieneng.storage import tables as t
    from jieneng.storage import title_awards

    m, r = rounds.campaign_round_member, rounds.campaign_round
    with engine.connect() as conn:
        if conn.execute(select(r.c.id).where(r.c.scheme_code == "water_saving_unit",
                                             r.c.year == year)).first() is not None:
            return
    who = command_line_user()
    install_shipped(engine, who)
    round_id = int(open_round(engine, who, "water_saving_unit", region, year,
                              title="基准测试：节水型单位")["id"])
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = np.array(conn.execute(select(m.c.institution_id).where(
            m.c.round_id == round_id).order_by(m.c.institution_id)).scalars().all())
        submitted = ids[rng.random(ids.size) < 0.9]
        conn.execute(update(m).where(m.c.round_id == round_id, m.c.institution_id.in_(
            submitted.tolist())).values(state="submitted", submitted_at=now))
        rounds.set_members_state(conn, round_id, submitted[rng.random(submitted.size) < 0.5]
                                 .tolist(), "recommended", at=now)
    draw_sample(engine, who, round_id, rate=0.35, seed=7)
    with engine.begin() as conn:
        held = ids[rng.random(ids.size) < 0.4]
        everyone = np.array(conn.execute(select(t.institution.c.id)).scalars().all())
        demo = everyone[rng.random(everyone.size) < 0.02]
        title_awards.award_titles(conn, [
            {"institution_id": int(i), "scheme_code": scheme, "round_id": None,
             "level": "national" if scheme == "demonstration_unit" and k % 3 == 0
             else "provincial", "awarded_on": date(year - 1, 12, 1), "valid_until": None}
            for scheme, chosen in (("water_saving_unit", held), ("demonstration_unit", demo))
            for k, i in enumerate(chosen)])
        title = rounds.campaign_title
        rows = conn.execute(select(title.c.id, title.c.institution_id, t.institution.c
                                   .region_code).join(t.institution, t.institution.c.id ==
                                                      title.c.institution_id)
                            .where(title.c.scheme_code == "water_saving_unit")).all()
        done = rng.random(len(rows)) < 0.6
        titles.insert_rechecks(conn, [
            {"title_id": int(tid), "institution_id": int(iid), "scheme_code":
             "water_saving_unit", "region_code": str(code).strip(), "year": year,
             "state": ("passed" if k % 10 else "revoked") if done[k] else "pending",
             "selected_by": "bench", "selected_at": now,
             "concluded_on": date(year, 6, 1) if done[k] else None}
            for k, (tid, iid, code) in enumerate(rows)])


def ensure_user(engine: Any) -> None:
    from argon2 import PasswordHasher

    from jieneng.services.accounts import passwords
    from jieneng.services.accounts.accounts import create_user
    from jieneng.storage.users import get_user_by_username

    with engine.connect() as conn:
        if get_user_by_username(conn, USERNAME) is not None:
            return
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    create_user(engine, Actor.cli(), username=USERNAME, password=PASSWORD, role="admin")


def client_for(url: str) -> Any:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from jieneng.settings import Settings
    from jieneng.web.app import create_app

    app = create_app(Settings(database_url=url, environment="test",
                              secret_key=SecretStr("bench-secret-key-not-default")))
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login").text
    start = page.index('name="csrf-token" content="') + len('name="csrf-token" content="')
    token = page[start:page.index('"', start)]
    response = client.post("/login", data={"username": USERNAME, "password": PASSWORD,
                                           "csrf_token": token, "next": "/"})
    assert response.status_code == 303, response.text[:300]
    return client


def timed(run: Callable[[], Any], repeat: int,
          before: Callable[[], Any] | None = None) -> dict[str, float]:
    """Median and maximum of ``repeat`` runs after one warm-up; ``before`` runs
    (untimed) ahead of each (a cleared result cache: the cold figure)."""
    run()  # warm: templates compiled, caches filled, pages in the OS cache
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="a generate_province.py database")
    parser.add_argument("--region", default="430000")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--campaigns", action="store_true",
                        help="add (once) the campaign rows the coverage items read")
    parser.add_argument("--narrowed", action="store_true",
                        help="the plan with the four category / level items (NARROWED)")
    args = parser.parse_args()
    from jieneng.services import result_cache
    from jieneng.services.database import open_database
    from jieneng.services.workplans.progress import plan_progress

    engine = open_database(args.db)
    made = time.perf_counter()
    plan_id = ensure_plan(engine, args.region, args.year, args.narrowed)
    if args.campaigns:
        ensure_campaigns(engine, args.region, args.year)
    ensure_user(engine)
    setup_s = time.perf_counter() - made
    who = command_line_user()
    found = plan_progress(engine, who, plan_id)
    client = client_for(args.db)

    def page() -> None:
        response = client.get(f"/workplans/{plan_id}")
        assert response.status_code == 200, response.text[:300]

    def twin() -> None:
        response = client.get(f"/api/v1/workplans/{plan_id}")
        assert response.status_code == 200, response.text[:300]

    print(json.dumps({
        "db": engine.dialect.name, "region": args.region, "year": args.year,
        "campaigns": args.campaigns, "narrowed": args.narrowed,
        "items": len(found["items"]),
        "computed": sum(1 for i in found["items"] if i.get("value_source") == "computed"),
        "setup_s": round(setup_s, 1),
        "service": timed(lambda: plan_progress(engine, who, plan_id), args.repeat),
        "service_cold": timed(lambda: plan_progress(engine, who, plan_id), args.repeat,
                              lambda: result_cache.clear(engine)),
        "page": timed(page, args.repeat), "twin": timed(twin, args.repeat),
        "page_cold": timed(page, args.repeat,
                           lambda: result_cache.clear(client.app.state.engine))},
        ensure_ascii=False))


if __name__ == "__main__":
    main()
