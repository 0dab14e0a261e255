"""The demo city's campaigns (issue 14 §2, §3, §5), written once per database
(``demo_campaigns`` in meta) through the ordinary services only:

1. the shipped schemes installed (:func:`jieneng.services.campaigns.schemes.install_shipped`);
2. the city's vehicles, parking and coal-fired equipment (:mod:`.demo_fleet`) when it
   holds none;
3. a 节约型公共机构示范单位 (``demonstration_unit``) round of the city for the demo's last
   year, scored from the statistics (the energy and water bands against the province's
   same-type averages of the 12 months before the evaluation);
4. a 节约型机关 (``conservation_organ``) round of 阳朔县 (:data:`ORGAN_REGION`): the units'
   self-assessments (several submitted with their scores, one with an evidence file,
   one left in progress), reviewed level by level (county, then the city; one returned
   to its unit, one waiting at the city), the round scored, the spot check drawn by the
   scheme's rule with a recorded seed and inspected, the 公示, the titles awarded, and a
   回头看 of the titles with one passed and one rectification pending.

Every date is stated (the evaluation in January after the year; 公示 and award in the
following weeks); the scores are invented for the demo and named as such in the notes.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User, command_line_user
from jieneng.core.exceptions import DomainError
from jieneng.services import demo_fleet
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
    counts.update(_demonstration(engine, user, region))
    counts.update(_organ_round(engine, user))
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_campaigns", VERSION)
    return counts


def _opened(engine: Engine, user: User, scheme: str, region: str) -> bool:
    """Whether the demo's round of ``scheme`` is already there (a build cut short)."""
    return any(str(r["region_code"]).strip() == region for r in rounds.list_rounds(
        engine, user, region_code=region, year=YEAR, scheme_code=scheme))


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


def _organ_round(engine: Engine, user: User) -> dict[str, int]:
    """The county's 节约型机关 round from self-assessment to 回头看 (module docstring)."""
    if _opened(engine, user, "conservation_organ", ORGAN_REGION):
        return {}
    made = rounds.open_round(engine, user, "conservation_organ", ORGAN_REGION, YEAR,
                             title=f"{YEAR}年度节约型机关创建评价（演示）",
                             eval_year=YEAR + 1, eval_month=1, due=date(YEAR + 1, 1, 15))
    round_id = int(made["id"])
    members = [m["credit_code"] for m in rounds.round_members(engine, user, round_id)]
    if not members:
        return {"organ_members": 0}
    hand = _checklist(engine, round_id, members[0], user)
    assessed = members[:len(SELF_SCORES)]
    for n, code in enumerate(assessed):
        assess.save_self_assessment(engine, user, round_id, code,
                                    {item: SELF_SCORES[n] for item in hand},
                                    {item: "演示：自评说明" for item in hand})
        if n == 0 and hand:
            evidence.add_evidence(engine, user, round_id, code, hand[0],
                                  file_name="节约型机关自评佐证材料.pdf", data=EVIDENCE)
        if n < len(assessed) - 1:  # the last one is still being filled in
            assess.submit_self_assessment(engine, user, round_id, code)
    submitted = assessed[:-1]
    counts = {"organ_members": len(members), "organ_self_assessed": len(assessed)}
    counts.update(_reviews(engine, user, round_id, submitted))
    round_scoring.score_round(engine, user, round_id)
    counts.update(_checks_and_award(engine, user, round_id))
    return counts


def _checklist(engine: Engine, round_id: int, credit_code: str, user: User) -> list[str]:
    """The items a unit scores itself (the member view's hand items)."""
    view = assess.member_view(engine, user, round_id, credit_code)
    return [str(i["code"]) for i in view["items"]
            if i.get("rule") in ("checklist", "inspection") and not i.get("block")]


def _reviews(engine: Engine, user: User, round_id: int, submitted: list[str]
             ) -> dict[str, int]:
    """County then city approve the first ones; one returned; one waiting at the city."""
    returned = submitted[-1] if len(submitted) > 2 else None
    waiting = submitted[-2] if len(submitted) > 3 else None
    recommended = 0
    for code in submitted:
        if code == returned:
            review.return_member(engine, user, round_id, code,
                                 "演示：请补充绿色办公制度的佐证材料")
            continue
        state = _approve_until_done(engine, user, round_id, code, once=code == waiting)
        recommended += state == "recommended"
    return {"organ_recommended": recommended, "organ_returned": int(returned is not None)}


def _approve_until_done(engine: Engine, user: User, round_id: int, code: str, *,
                        once: bool) -> str:
    """Approve at each level in turn (an administrator reviews at any level)."""
    state = ""
    for _ in range(4):
        view = review.approve_member(engine, user, round_id, code, note="演示：审核通过")
        state = str(view["member"]["state"])
        if once or state == "recommended":
            break
    return state


def _checks_and_award(engine: Engine, user: User, round_id: int) -> dict[str, int]:
    """The spot check (every sampled unit inspected), 公示, award, 回头看."""
    drawn = checks.draw_sample(engine, user, round_id, rate=CHECK_RATE, seed=SEED)
    sample = _sample_codes(engine, user, round_id)
    for code, state in sample:
        verdict = "pass" if state in ("recommended", "under_review") else "fail"
        checks.inspect_member(engine, user, round_id, code, verdict=verdict,
                              note="演示：现场抽查" + ("合格" if verdict == "pass" else "未达标"))
    counts: dict[str, Any] = {"organ_sampled": int(drawn["sample_size"])}
    try:
        publicity.start_publicity(engine, user, round_id, starts_on=date(YEAR + 1, 1, 5),
                                  days=7)
        awarded = publicity.award(engine, user, round_id, awarded_on=date(YEAR + 1, 1, 20))
        counts["organ_awarded"] = int(awarded["awarded"])
        counts.update(_recheck(engine, user))
    except DomainError as err:  # nobody recommended in a small demo: stop at the check
        log.info("demo campaigns: %s", err)
    return counts


def _sample_codes(engine: Engine, user: User, round_id: int) -> list[tuple[str, str]]:
    found = checks.round_checks(engine, user, round_id)
    return [(str(s["credit_code"]), str(s.get("state") or ""))
            for s in found.get("sample", []) if s.get("verdict") is None]


def _recheck(engine: Engine, user: User) -> dict[str, int]:
    """A 回头看 of the county's titles: the first passed, the second to rectify."""
    chosen = rechecks.select_rechecks(engine, user, "conservation_organ", ORGAN_REGION,
                                      year=YEAR + 1, awarded_before=date(YEAR + 1, 6, 1),
                                      seed=SEED)
    found = rechecks.list_rechecks(engine, user, region_code=ORGAN_REGION)
    for n, row in enumerate(found[:2]):
        if n == 0:
            rechecks.record_result(engine, user, int(row["id"]), passed=True,
                                   finding="演示：复查合格", checked_on=date(YEAR + 1, 6, 10))
        else:
            rechecks.record_result(engine, user, int(row["id"]), passed=False,
                                   finding="演示：垃圾分类台账不全，限期整改",
                                   checked_on=date(YEAR + 1, 6, 10),
                                   deadline=date(YEAR + 2, 3, 31))
    return {"organ_rechecked": int(chosen["selected"])}
