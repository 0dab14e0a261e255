"""``jieneng projects …`` end to end on both databases: template, import (GBK CSV and
xlsx, dry run, all or nothing with row-level errors), list, move, counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, SCHOOL, SILENT, Files, write_csv

runner = CliRunner()
HEAD = ["项目编号", "项目名称", "项目类型", "合同类型", "业主单位信用代码", "年度",
        "改造面积（平方米）", "光伏装机容量（kWp）", "投资额（万元）", "计划开始日期"]


def run(db_url: str, *args: str) -> Any:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def setup(db_url: str, files: Files) -> None:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert run(db_url, "import", kind, str(path)).exit_code == 0


def test_template_import_list_move_counts(db_url: str, files: Files, tmp_path: Path) -> None:
    setup(db_url, files)
    template = tmp_path / "t.csv"
    assert run(db_url, "projects", "template", str(template)).exit_code == 0
    assert template.read_bytes().startswith("\ufeff项目编号".encode())
    good = write_csv(tmp_path / "p.csv", HEAD, [
        ["TG-1", "一中托管", "合同能源管理", "托管型", SCHOOL, "2026", "20000", "", "350",
         "2026-03-01"],
        ["PV-1", "光伏打捆", "分布式光伏", "", f"{ORGAN}、{SCHOOL}", "", "", "300", "120",
         "2026-04-01"]], encoding="gbk")
    dry = run(db_url, "projects", "import", str(good), "--dry-run", "--format", "json")
    assert dry.exit_code == 0 and json.loads(dry.output)["projects"] == 2
    assert json.loads(run(db_url, "projects", "list", "--format", "json").output) == []
    done = run(db_url, "projects", "import", str(good))
    assert done.exit_code == 0 and "2" in done.output
    listed = json.loads(run(db_url, "projects", "list", "--format", "json").output)
    assert [(p["code"], p["subtype"], p["year"], p["region_code"]) for p in listed] == [
        ("PV-1", None, 2026, "450300"), ("TG-1", "trusteeship", 2026, "450321")]
    assert listed[1]["investment_yuan"] == 3.5e6  # 万元 → 元
    only = json.loads(run(db_url, "projects", "list", "--type", "分布式光伏", "--format",
                          "json").output)
    assert [p["code"] for p in only] == ["PV-1"]
    moved = run(db_url, "projects", "move", "PV-1", "审批")
    assert moved.exit_code == 0 and "审批" in moved.output
    refused = run(db_url, "projects", "move", "PV-1", "closed")
    assert refused.exit_code == 1 and "cannot move" in refused.output
    no_reason = run(db_url, "projects", "move", "PV-1", "terminated")
    assert no_reason.exit_code == 1
    counts = json.loads(run(db_url, "projects", "counts", "--region", "450300", "--year",
                            "2026", "--format", "json").output)
    assert counts["registered"]["pv_kwp"] == 300.0 and counts["registered"]["area_m2"] == 20000
    assert counts["by_state"]["approval"]["projects"] == 1
    table = run(db_url, "projects", "counts", "--region", "450300")
    assert table.exit_code == 0 and "pv_kwp" in table.output
    assert "光伏打捆" in run(db_url, "projects", "list").output


def test_a_bad_file_is_refused_whole_naming_row_and_column(db_url: str, files: Files,
                                                           tmp_path: Path) -> None:
    setup(db_url, files)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEAD)
    sheet.append(["OK-1", "好的", "热泵", "", SCHOOL, "2026", "", "", "", ""])
    sheet.append(["BAD-1", "类型错", "风电", "", SCHOOL, "2026", "", "", "", ""])
    sheet.append(["BAD-2", "缺子类型", "合同能源管理", "", SCHOOL, "2026", "", "", "", ""])
    sheet.append(["BAD-3", "负面积", "节能改造", "", SCHOOL, "2026", "-5", "", "", ""])
    sheet.append(["BAD-4", "没有单位", "节能改造", "", "91450000MA00000000", "2026", "", "",
                  "", ""])
    sheet.append(["OK-1", "重复", "热泵", "", SILENT, "2026", "", "", "", "2026-13-01"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    out = run(db_url, "projects", "import", str(path))
    assert out.exit_code == 1
    text = " ".join(out.output.split())
    for needle in ("风电", "项目类型", "合同类型", "改造面积", "计划开始日期"):
        assert needle in text, needle
    assert json.loads(run(db_url, "projects", "list", "--format", "json").output) == []
    fixed = tmp_path / "fixed.csv"
    write_csv(fixed, HEAD, [["OK-1", "好的", "热泵", "", SCHOOL, "2026", "", "", "", ""],
                            ["BAD-4", "外单位", "节能改造", "", "91450000MA00000000", "2026",
                             "", "", "", ""]])
    out = run(db_url, "projects", "import", str(fixed), "--format", "json")
    assert out.exit_code == 1 and "91450000MA00000000" in out.output
    assert json.loads(run(db_url, "projects", "list", "--format", "json").output) == []
