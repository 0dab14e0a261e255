"""The demo city's assessment sheet (helper A): the shipped 县（市、区） sheet
(``county_energy``) scored for 桂林's counties for the demo's last year, with a couple
of hand scores (垃圾分类 and 宣传培训 of the first two counties) — the figures come from
the demo's own statistics, reporting and findings; the run is left open so that the
page shows the forms.

Called by :func:`jieneng.services.demo._build` on every start: idempotent (nothing added
when the run exists); returns counts for the demo summary.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from jieneng.services import demo_actors
from jieneng.services.assessments import runs

YEAR = 2025
SHEET = "county_energy"
#: (position among the counties, item, score, note) — the demo's hand scores
HAND: tuple[tuple[int, str, str, str], ...] = (
    (0, "campaigns.waste", "5", "督查记录齐全，分类台账按月更新"),
    (0, "plan.publicity", "3", "节能宣传周活动通知、照片、签到表"),
    (1, "campaigns.waste", "4", "个别单位分类投放不规范，已整改"),
    (1, "plan.publicity", "2", "培训签到表缺一期"),
)


def seed(engine: Engine, region: str, files_dir: Path) -> dict[str, int]:
    """Open and score the city's county sheet once (a second start adds nothing)."""
    del files_dir
    who = demo_actors.office(engine, "guilin", region)  # the city office scores its counties
    opened = runs.open_run(engine, who, code=SHEET, region_code=region, year=YEAR)
    if not opened["created"]:
        return {}
    keys = [r["subject_key"] for r in sorted(runs.result(engine, who, opened["id"])["rows"],
                                             key=lambda r: r["subject_key"])]
    given = [{"subject_key": keys[at], "item_code": item, "score": score, "note": note}
             for at, item, score, note in HAND if at < len(keys)]
    if given:
        runs.score_hand(engine, who, opened["id"], given)
    return {"assessment_subjects": len(keys), "assessment_hand_scores": len(given)}
