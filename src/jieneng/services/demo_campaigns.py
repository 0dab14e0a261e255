"""The demo city's campaigns (issue 14 §2, §3, §5), written once per database
(``demo_campaigns`` in meta) through the ordinary services only:

1. the shipped schemes installed (:func:`jieneng.services.campaigns.schemes.install_shipped`);
2. the city's vehicles, parking and coal-fired equipment (:mod:`.demo_fleet`) when it
   holds none;
3. a 节约型公共机构示范单位 (``demonstration_unit``) round of the city for the demo's last
   year, scored from the statistics (the energy and water bands against the province's
   same-type averages of the 12 months before the evaluation);
4. 节约型机关 (``conservation_organ``), two rounds:

   - the 2024 round of 阳朔县 (:data:`ORGAN_REGION`), finished: every organ
     self-assessed and submitted, the county's review (one returned), scored, the spot
     check drawn by the rule with a recorded seed and every sampled unit inspected, the
     公示, the titles awarded, and in 2026 a 回头看 of the titles (one passed, one
     rectification pending);
   - the 2025 round of the city, under way: six organs of 阳朔县 self-assess (one with
     an evidence file, one still filling in), reviewed level by level — the county, then
     the city (two recommended, one waiting at the city, one waiting at the county, one
     returned by the county) —, scored, and the spot check drawn (not yet inspected).

Every date is stated (the evaluation in January after the year; 公示 and award in the
following weeks); the scores are invented for the demo and named as such in the notes.

Who acts is who would have (:mod:`.demo_actors`; the demo build creates the accounts
first): ``guilin`` opens, reviews at the city level, scores and draws the city's rounds;
``yangshuo`` opens and runs 阳朔县's round (review, spot check, 公示, award, 回头看) and
reviews at the county level; a unit's self-assessment is entered by its own demo account
(``school``) when it has one, else by the county office that files for it. The shipped
schemes and the fleet are installed by the command line.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User, command_line_user
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Role
from jieneng.services import demo_actors, demo_fleet
from jieneng.services.campaigns import (
    assess,
    checks,
    evidence,
    publicity,
    rechecks,
    review,
    round_scoring,
    rounds,
)
from jieneng.services.campaigns.schemes import install_shipped
from jieneng.services.database import reading
from jieneng.storage import meta

log = logging.getLogger(__name__)
VERSION = "campaigns-1"
#: the demo's last year (services.demo.DEMO_YEARS[-1]; not imported: demo imports us)
YEAR = 2025
#: the county whose organs make the 节约型机关 round (the demo's 阳朔县)
ORGAN_REGION = "450321"
SEED = 2025
CITY = "450300"
RETURNED = "演示：请补充绿色办公制度的佐证材料"
#: the spot-check rate asked: the scheme states none; 35 % is the notices' figure
#: ("自评率达到 100%、现场抽查率达到 35%以上", the demo's work plan)
CHECK_RATE = 0.35
#: the self-assessed score of the 运行管理 item of each unit, in member order
SELF_SCORES = (92.0, 88.0, 95.0, 84.0, 90.0, 86.0, 79.0)
EVIDENCE = "%PDF-1.4\n% demo evidence: 节约型机关自评佐证材料\n%%EOF\n".encode()


def seed(engine: Engine, region: str, files_dir: Path) -> dict[str, int]:
    """Schemes, fleet and rounds once per database (module docstring); counts."""
    with reading(engine) as conn:
        if meta.get_meta(conn, "demo_campaigns") == VERSION:
            return {}
    user = command_line_user()
    counts: dict[str, int] = {}
    installed = install_shipped(engine, user)
    counts["campaign_schemes"] = installed["added"]
    counts.update(demo_fleet.seed(engine, region, files_dir, year=YEAR))
    city = demo_actors.office(engine, "guilin", region)
    county = demo_actors.office(engine, "yangshuo", ORGAN_REGION)
    counts.update(_demonstration(engine, city, region))
    counts.update(_organ_rounds(engine, city, county))
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_campaigns", VERSION)
    return counts


def _opened(engine: Engine, user: User, scheme: str, region: str, year: int = YEAR) -> bool:
    """Whether the demo's round of ``scheme`` is already there (a build cut short)."""
    return any(str(r["region_code"]).strip() == region for r in rounds.list_rounds(
        engine, user, region_code=region, year=year, scheme_code=scheme))


def _demonstration(engine: Engine, user: User, region: str) -> dict[str, int]:
    """The city's 示范单位 round, scored from the statistics."""
    if _opened(engine, user, "demonstration_unit", region):
        return {}
    made = rounds.open_round(engine, user, "demonstration_unit", region, YEAR,
                             title=f"{YEAR}年度节约型公共机构示范单位评价（演示）",
                             eval_year=YEAR + 1, eval_month=1, due=date(YEAR + 1, 1, 31))
    round_id = int(made["id"])
    round_scoring.score_round(engine, user, round_id)
    members = rounds.round_members(engine, user, round_id)
    return {"demonstration_members": len(members)}


def _organ_rounds(engine: Engine, city: User, county: User) -> dict[str, int]:
    counts = _finished_round(engine, county)
    counts.update(_open_round(engine, city, county))
    return counts


def _filers(engine: Engine, county: User, members: list[dict[str, Any]]) -> dict[str, User]:
    """Who enters each member's self-assessment: its own demo account (``school``) when
    it has one, else the county office that files for it."""
    school = demo_actors.account(engine, "school", role=Role.INSTITUTION)
    return {str(m["credit_code"]): school if school is not None
            and school.institution_id == int(m["institution_id"]) else county
            for m in members}


def _finished_round(engine: Engine, user: User) -> dict[str, int]:
    """阳朔县's 2024 round from self-assessment to 回头看 (module docstring)."""
    year = YEAR - 1
    if _opened(engine, user, "conservation_organ", ORGAN_REGION, year):
        return {}
    made = rounds.open_round(engine, user, "conservation_organ", ORGAN_REGION, year,
                             title=f"{year}年度节约型机关创建评价（演示）",
                             eval_year=year + 1, eval_month=1, due=date(year + 1, 1, 15))
    round_id = int(made["id"])
    listed = rounds.round_members(engine, user, round_id)
    members = [m["credit_code"] for m in listed]
    if not members:
        return {}
    filers = _filers(engine, user, listed)
    hand = _checklist(engine, round_id, members[0], user)
    for n, code in enumerate(members):
        _self_assess(engine, filers[code], round_id, code, hand,
                     SELF_SCORES[n % len(SELF_SCORES)])
        assess.submit_self_assessment(engine, filers[code], round_id, code)
    review.return_member(engine, user, round_id, members[-1], RETURNED)
    for code in members[:-1]:  # the county's own round: one level
        review.approve_member(engine, user, round_id, code, note="演示：审核通过")
    round_scoring.score_round(engine, user, round_id)
    counts = {"organ_2024_members": len(members)}
    counts.update(_checks_and_award(engine, user, round_id, year))
    return counts


def _open_round(engine: Engine, city: User, county: User) -> dict[str, int]:
    """The city's 2025 round under way, reviewed level by level (module docstring)."""
    if _opened(engine, city, "conservation_organ", CITY, YEAR):
        return {}
    made = rounds.open_round(engine, city, "conservation_organ", CITY, YEAR,
                             title=f"{YEAR}年度节约型机关创建评价（演示）",
                             eval_year=YEAR + 1, eval_month=1, due=date(YEAR + 1, 1, 15))
    round_id = int(made["id"])
    listed = rounds.round_members(engine, city, round_id, region_code=ORGAN_REGION)[:6]
    units = [m["credit_code"] for m in listed]
    if len(units) < 6:
        return {}
    filers = _filers(engine, county, listed)
    hand = _checklist(engine, round_id, units[0], county)
    for n, code in enumerate(units):
        _self_assess(engine, filers[code], round_id, code, hand, SELF_SCORES[n])
        if n == 0 and hand:
            evidence.add_evidence(engine, filers[code], round_id, code, hand[0],
                                  file_name="节约型机关自评佐证材料.pdf", data=EVIDENCE)
        if n < 5:  # the sixth is still filling in
            assess.submit_self_assessment(engine, filers[code], round_id, code)
    for code in units[:3]:  # 阳朔县 approves three …
        review.approve_member(engine, county, round_id, code, note="演示：县级审核通过")
    review.return_member(engine, county, round_id, units[3], RETURNED)
    for code in units[:2]:  # … the city two of them (the third waits at the city)
        review.approve_member(engine, city, round_id, code, note="演示：市级审核通过")
    round_scoring.score_round(engine, city, round_id)
    drawn = checks.draw_sample(engine, city, round_id, rate=CHECK_RATE, seed=SEED)
    return {"organ_2025_members": len(rounds.round_members(engine, city, round_id)),
            "organ_2025_self_assessed": len(units), "organ_2025_sampled":
            int(drawn["sample_size"])}


def _self_assess(engine: Engine, user: User, round_id: int, code: str, hand: list[str],
                 score: float) -> None:
    assess.save_self_assessment(engine, user, round_id, code,
                                {item: score for item in hand},
                                {item: "演示：自评分为虚构数据" for item in hand})


def _checklist(engine: Engine, round_id: int, credit_code: str, user: User) -> list[str]:
    """The items a unit scores itself (the member view's hand items)."""
    view = assess.member_view(engine, user, round_id, credit_code)
    return [str(i["code"]) for i in view["items"]
            if i.get("rule") in ("checklist", "inspection") and not i.get("block")]


def _checks_and_award(engine: Engine, user: User, round_id: int, year: int
                      ) -> dict[str, int]:
    """The spot check (every sampled unit inspected), 公示, award, 回头看."""
    drawn = checks.draw_sample(engine, user, round_id, rate=CHECK_RATE, seed=SEED)
    for code, state in _sample_codes(engine, user, round_id):
        verdict = "pass" if state == "recommended" else "fail"
        checks.inspect_member(engine, user, round_id, code, verdict=verdict,
                              note="演示：现场抽查" + ("合格" if verdict == "pass" else "未达标"))
    counts: dict[str, Any] = {"organ_2024_sampled": int(drawn["sample_size"])}
    try:
        publicity.start_publicity(engine, user, round_id, starts_on=date(year + 1, 1, 6),
                                  days=7)
        awarded = publicity.award(engine, user, round_id, awarded_on=date(year + 1, 1, 20))
        counts["organ_2024_awarded"] = int(awarded["awarded"])
        counts.update(_recheck(engine, user, year + 2))
    except DomainError as err:  # nobody recommended in a small demo: stop at the check
        log.info("demo campaigns: %s", err)
    return counts


def _sample_codes(engine: Engine, user: User, round_id: int) -> list[tuple[str, str]]:
    found = checks.round_checks(engine, user, round_id)
    return [(str(s["credit_code"]), str(s.get("state") or ""))
            for s in found.get("sample", []) if s.get("verdict") is None]


def _recheck(engine: Engine, user: User, year: int) -> dict[str, int]:
    """A 回头看 of the county's titles in ``year``: one passed, one to rectify."""
    chosen = rechecks.select_rechecks(engine, user, "conservation_organ", ORGAN_REGION,
                                      year=year, awarded_before=date(year, 6, 1), seed=SEED)
    found = rechecks.list_rechecks(engine, user, region_code=ORGAN_REGION)
    for n, row in enumerate(found[:2]):
        if n == 0:
            rechecks.record_result(engine, user, int(row["id"]), passed=True,
                                   finding="演示：复查合格", checked_on=date(year, 6, 10))
        else:
            rechecks.record_result(engine, user, int(row["id"]), passed=False,
                                   finding="演示：垃圾分类台账不全，限期整改",
                                   checked_on=date(year, 6, 10),
                                   deadline=date(year + 1, 3, 31))
    return {"organ_rechecked": int(chosen["selected"])}
