"""Assessment sheets in the scheme format (issue 14 §4): the shipped sheets check, the
sheet's own refusals (subject, measure the platform cannot compute, veto grade), the
hand-score check naming sheet, subject and item, the ★ veto grade, ranks with ties, and
the speed of scoring 50,000 subjects."""

from __future__ import annotations

import csv
import io
import time

import numpy as np
import pytest

from jieneng.core.assessments import (
    SHIPPED_SHEETS,
    check_hand,
    rank_desc,
    score_sheet,
    sheet_of_text,
    shipped_sheet_text,
)
from jieneng.core.exceptions import ValidationFailed


def _text(code: str = "county_energy", **swap: str) -> str:
    text = shipped_sheet_text(code)
    for old, new in swap.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_shipped_sheets_total_100_and_every_row_has_source_and_status() -> None:
    for code in SHIPPED_SHEETS:
        sheet = sheet_of_text(shipped_sheet_text(code), name=code)
        assert sheet.scheme.total == 100
        rows = list(csv.DictReader(io.StringIO(shipped_sheet_text(code))))
        for row in rows:
            if row["kind"] in ("scheme", "block", "item", "pass", "grade"):
                assert row["source"] and row["status"] in ("found", "partial", "convention")
        assert [g.lower for g in sorted(sheet.scheme.grades, key=lambda g: -g.lower)] == [
            95, 80, 65, 0]


@pytest.mark.parametrize(("swap", "code"), [
    ({"param,subject,,,,,,,,,,,region": "param,subject,,,,,,,,,,,county"},
     "assessment_subject_invalid"),
    ({"band,assess_reporting_rate": "band,energy_per_area_kgce_m2"},
     "assessment_measure_unavailable"),
    ({"param,veto_grade,,,,,,,,,,,weiwancheng": "param,veto_grade,,,,,,,,,,,nosuch"},
     "assessment_veto_grade_missing"),
    ({"pass,veto,,": "pass,veto,nowhere,"}, "campaign_scheme_invalid"),
])
def test_bad_sheets_are_refused(swap: dict[str, str], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        sheet_of_text(_text(**swap), name="local.csv")
    assert refused.value.code == code
    assert "local.csv" in refused.value.message_en


def test_a_unit_sheet_cannot_name_a_region_measure() -> None:
    text = _text("unit_energy", **{"band,assess_reporting_rate": "band,assess_plan_completion"})
    with pytest.raises(ValidationFailed) as refused:
        sheet_of_text(text, name="u.csv")
    assert refused.value.code == "assessment_measure_unavailable"
    assert refused.value.details["column"] == "measure"


def test_hand_score_over_the_maximum_names_sheet_subject_item() -> None:
    sheet = sheet_of_text(shipped_sheet_text("county_energy"))
    check_hand(sheet, "plan.publicity", 3, subject="阳朔县")
    with pytest.raises(ValidationFailed) as over:
        check_hand(sheet, "plan.publicity", 3.5, subject="阳朔县", sheet_name="county_energy v2")
    assert over.value.code == "assessment_hand_over_maximum"
    assert all(x in over.value.message_zh for x in ("county_energy v2", "阳朔县", "plan.publicity"))
    with pytest.raises(ValidationFailed):
        check_hand(sheet, "plan.publicity", -1, subject="x")
    with pytest.raises(ValidationFailed) as computed:
        check_hand(sheet, "reporting.rate", 1, subject="x")
    assert computed.value.code == "assessment_item_computed"


def test_ranks_share_ties() -> None:
    assert rank_desc(np.array([80.0, 95.0, 80.0, 60.0])).tolist() == [2, 1, 2, 4]
    assert rank_desc(np.array([])).tolist() == []


def _population(n: int, sheet_code: str = "county_energy") -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    sheet = sheet_of_text(shipped_sheet_text(sheet_code))
    return {m: rng.uniform(0.5, 1.05, n) for m in sheet.measures()}


def test_veto_gives_the_veto_grade_and_unscored_hand_items_do_not_veto() -> None:
    sheet = sheet_of_text(shipped_sheet_text("county_energy"))
    figures = {m: np.ones(3) for m in sheet.measures()}
    figures["assess_projects_registered"] = np.array([2.0, 2.0, 2.0])
    manual = {"campaigns.waste": np.array([5.0, 0.0, np.nan]),
              "plan.publicity": np.array([3.0, 3.0, np.nan])}
    out = score_sheet(sheet, size=3, figures=figures, manual=manual)
    assert out.scores.total.tolist() == [100.0, 95.0, 92.0]
    assert out.vetoed.tolist() == [False, True, False]
    assert out.grade.tolist() == ["chaoe", "weiwancheng", "wancheng"]
    assert out.rank.tolist() == [1, 2, 3]


def test_scoring_50000_subjects_is_fast() -> None:
    sheet = sheet_of_text(shipped_sheet_text("unit_energy"))
    n = 50_000
    figures = _population(n, "unit_energy")
    manual = {c: np.full(n, 2.0) for c in sheet.hand_items()}
    started = time.perf_counter()
    out = score_sheet(sheet, size=n, figures=figures, manual=manual)
    elapsed = time.perf_counter() - started
    assert out.rank.shape == (n,) and elapsed < 2.0
