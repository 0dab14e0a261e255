"""ingest.workplans: the seeds' sheets parse; headers in English; dates and targets as
notices write them; every problem named by row and column in zh and en."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from jieneng.ingest.workplans import parse_date, parse_item, parse_plan, parse_target
from tests.sample import write_csv


@pytest.mark.parametrize(("name", "year", "items"), [
    ("guilin_2024.csv", 2024, 15), ("quxian_2023.csv", 2023, 17), ("zibo_2024.csv", 2024, 17)])
def test_seed_sheets_parse(name: str, year: int, items: int) -> None:
    path = Path(str(resources.files("jieneng.data.workplans").joinpath(name)))
    parsed = parse_plan(path, year=year)
    assert parsed.errors == [] and len(parsed.rows) == items
    assert all(r["source_quote"] for r in parsed.rows)


def test_zibo_caps_in_canonical_units() -> None:
    path = Path(str(resources.files("jieneng.data.workplans").joinpath("zibo_2024.csv")))
    rows = {r["indicator_code"]: r for r in parse_plan(path, year=2024).rows}
    assert rows["energy_tce"]["target_value"] == pytest.approx(91_000)
    assert rows["water_m3"]["target_value"] == pytest.approx(10_400_000)
    assert rows["co2_t"]["target_value"] == pytest.approx(500_000)
    assert rows["energy_tce"]["comparison"] == "<="


def test_english_headers_and_parents_first(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plan.csv",
                     ["item_no", "parent_no", "text", "deadline", "indicator", "target"],
                     [["1.1", "1", "child", "2024-06", "pv_projects", "2"],
                      ["1", "", "parent", "2024年12月31日", "pv_projects", "5"]])
    parsed = parse_plan(path, year=2024)
    assert parsed.errors == []
    assert [r["item_no"] for r in parsed.rows] == ["1", "1.1"]
    assert parsed.rows[1]["deadline"] == date(2024, 6, 30)
    assert parsed.rows[1]["comparison"] == ">="  # the indicator's direction


def test_problems_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv",
                     ["序号", "上级序号", "事项", "完成时限", "指标", "目标值", "单位"],
                     [["1", "2", "a", "2024-13-01", "", "", ""],
                      ["2", "1", "b", "2024-12-31", "pv_projects", "5", "平方米"],
                      ["3", "", "c", "2024-12-31", "", "5", ""]])
    parsed = parse_plan(path, year=2024)
    codes = {(i.row, i.column, i.code) for i in parsed.errors}
    assert (2, "完成时限", "workplans.import.bad_date") in codes
    assert (3, "单位", "workplans.import.unit_mismatch") in codes
    assert (4, "目标值", "workplans.import.target_without_indicator") in codes
    assert any(c[2] == "workplans.import.parent_cycle" for c in codes)
    issue = next(i for i in parsed.errors if i.code == "workplans.import.unit_mismatch")
    assert "平方米" in issue.message_zh and "does not match" in issue.message_en


def test_missing_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["序号", "事项", "指标"], [["1", "a", "PUE"]])
    parsed = parse_plan(path, year=2024)
    assert [i.code for i in parsed.errors] == ["import.missing_column"]


def test_dates_and_targets() -> None:
    assert parse_date("2024/3/26") == date(2024, 3, 26)
    assert parse_date("2024-02") == date(2024, 2, 29)
    assert parse_date("2023-02") == date(2023, 2, 28)
    assert parse_date("年底") is None
    assert parse_target("18万") == (180_000.0, None)
    assert parse_target("85%") == (85.0, "%")
    assert parse_target("五个") is None


def test_form_item() -> None:
    parsed = parse_item({"item_no": "1", "text": "x", "deadline": "2024-12-31",
                         "indicator": "PUE", "target": "1.6", "comparison": "以下"}, year=2024)
    assert parsed.errors == [] and parsed.rows[0]["comparison"] == "<="
