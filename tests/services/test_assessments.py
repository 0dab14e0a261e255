"""Performance assessment sheets and runs on both databases: the shipped sheet stored
on first use, a run opened and computed for the city's counties (set-based figures),
hand scores with notes (over the maximum refused, nothing stored), the ★ veto and the
grade, ranks with ties, confirm; a bad sheet file refused naming row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.assessments import shipped_sheet_text
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.services.assessments import runs, sheets
from jieneng.storage import assessments as a
from jieneng.storage import tables as t
from tests.sample import Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION_ADMIN, "450300", uid=2)
COUNTY = user(Role.REGION_ADMIN, "450321", uid=3)
VIEWER = user(Role.VIEWER, "450300", uid=4)


@pytest.fixture
def world(engine: Engine, files: Files) -> Engine:
    load(engine, files)
    return engine


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_open_compute_hand_score_confirm(world: Engine) -> None:
    assert {s["code"] for s in sheets.list_sheets(world)} >= {"county_energy", "unit_energy"}
    opened = runs.open_run(world, CITY, code="county_energy", region_code="450300", year=2024)
    assert opened["created"]
    again = runs.open_run(world, CITY, code="county_energy", region_code="450300", year=2024)
    assert again == {"id": opened["id"], "created": False}
    run_id = opened["id"]
    got = runs.result(world, CITY, run_id)
    assert got["sheet"]["total"] == 100 and got["sheet"]["version"] == 1
    keys = [r["subject_key"] for r in got["rows"]]
    assert keys and all(k.startswith("4503") and k != "450300" for k in keys)
    assert sum(g["count"] for g in got["grades"]) == len(keys)
    assert all(r["pending"] == 2 for r in got["rows"])
    first = keys[0]
    runs.score_hand(world, CITY, run_id, [
        {"subject_key": first, "item_code": "campaigns.waste", "score": "0", "note": "未分类"},
        {"subject_key": first, "item_code": "plan.publicity", "score": "3", "note": "ok"}])
    got = runs.result(world, CITY, run_id)
    row = next(r for r in got["rows"] if r["subject_key"] == first)
    assert row["vetoed"] and row["grade"] == "weiwancheng" and row["pending"] == 0
    assert row["items"]["plan.publicity"] == {**row["items"]["plan.publicity"], "score": 3.0,
                                              "note": "ok"}
    with pytest.raises(ValidationFailed) as over:
        runs.score_hand(world, CITY, run_id, [
            {"subject_key": keys[-1], "item_code": "plan.publicity", "score": "2"},
            {"subject_key": first, "item_code": "plan.publicity", "score": "9"}])
    assert over.value.code == "assessment_hand_over_maximum"
    assert "plan.publicity" in over.value.message_en and "county_energy v1" in over.value.message_en
    assert _count(world, a.assessment_hand_score) == 2  # nothing of the refused form stored
    with pytest.raises(ValidationFailed):
        runs.score_hand(world, CITY, run_id, [
            {"subject_key": first, "item_code": "reporting.rate", "score": "1"}])
    runs.confirm_run(world, CITY, run_id)
    with pytest.raises(ValidationFailed):
        runs.compute_run(world, CITY, run_id)
    with world.connect() as conn:
        actions = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert {"assessments.open", "assessments.compute", "assessments.hand_score",
            "assessments.confirm"} <= set(actions)


def test_scope_and_capability(world: Engine) -> None:
    run_id = runs.open_run(world, CITY, code="county_energy", region_code="450300",
                           year=2024)["id"]
    with pytest.raises(NotFound):
        runs.result(world, COUNTY, run_id)
    with pytest.raises(CapabilityRequired):
        runs.open_run(world, VIEWER, code="county_energy", region_code="450300", year=2024)
    assert runs.list_runs(world, COUNTY) == []  # a draft stays with the assessors
    assert [r["id"] for r in runs.list_runs(world, CITY)] == [run_id]
    runs.confirm_run(world, CITY, run_id)
    # confirmed: the county reads its own row (rank among all, the run's grade counts)
    own = runs.result(world, COUNTY, run_id)
    assert own["view"] == "own" and [r["subject_key"] for r in own["rows"]] == ["450321"]
    assert sum(g["count"] for g in own["grades"]) == own["run"]["subjects"] > 1
    assert [(r["id"], r["view"]) for r in runs.list_runs(world, COUNTY)] == [(run_id, "own")]
    full = runs.result(world, CITY, run_id)
    assert full["view"] == "all" and len(full["rows"]) == full["total"] == own["run"]["subjects"]
    paged = runs.result(world, CITY, run_id, page=2, per_page=5)
    assert [r["subject_key"] for r in paged["rows"]] == [
        r["subject_key"] for r in full["rows"][5:10]] and paged["total"] == full["total"]


def test_institution_sheet(world: Engine) -> None:
    run_id = runs.open_run(world, COUNTY, code="unit_energy", region_code="450321",
                           year=2024)["id"]
    got = runs.result(world, COUNTY, run_id)
    assert got["sheet"]["subject"] == "institution" and got["rows"]
    ranks = [r["rank"] for r in got["rows"]]
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_a_bad_sheet_stores_nothing(world: Engine, tmp_path: Path) -> None:
    text = shipped_sheet_text("county_energy")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("item,plan.publicity,plan,宣传培训,Publicity and training,3,",
                                "item,plan.publicity,plan,宣传培训,Publicity and training,4,"),
                   encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        sheets.load_sheet(world, CITY, bad)
    issue = refused.value.details["issues"][0]
    assert issue.row == 38 and issue.column == "points" and "plan" in issue.message_en
    missing = tmp_path / "missing.csv"
    missing.write_text(text.replace("pass,veto,,", "pass,veto,nowhere,"), encoding="utf-8")
    with pytest.raises(ValidationFailed):
        sheets.load_sheet(world, CITY, missing)
    assert _count(world, a.assessment_sheet_version) == 0
    good = tmp_path / "local.csv"
    good.write_text(text.replace("pass,min_score,,,,,,,,,,,65", "pass,min_score,,,,,,,,,,,60"),
                    encoding="utf-8")
    loaded = sheets.load_sheet(world, CITY, good)
    assert loaded["version"] == 1 and not loaded["unchanged"]
    assert sheets.load_sheet(world, CITY, good)["unchanged"]
