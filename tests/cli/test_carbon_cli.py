"""``jieneng carbon event-add | event-show | offset-add | points-import | leaderboard |
rules | factor-set`` on both databases: an event computed and shown, a mode without a
factor refused until one is set, an offset with its evidence, points imported (again:
nothing added), a bad row refused with its row and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import SCHOOL, make_files

runner = CliRunner()


def test_carbon_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> Any:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0
    assert run("import", "regions", str(files.regions)).exit_code == 0
    assert run("import", "institutions", str(files.institutions)).exit_code == 0
    event = ("carbon", "event-add", "--institution", SCHOOL, "--name", "节能工作会",
             "--start", "2024-06-13", "--end", "2024-06-13", "--attendees", "40")
    refused = run(*event, "--line", "travel_hsr=8000")
    assert refused.exit_code == 1 and "travel_hsr" in refused.output
    assert run("carbon", "factor-set", "travel_hsr", "0.05", "--source",
               "a published guideline").exit_code == 0
    made = json.loads(run(*event, "--line", "travel_hsr=8000", "--line",
                          "venue_electricity=1000", "--format", "json").output)
    assert made["by_category"]["travel"] == 0.4 and made["neutral"] is False
    cert = tmp_path / "cert.pdf"
    cert.write_bytes(b"%PDF-1.4 demo")
    event_id = str(made["event"]["id"])
    assert run("carbon", "offset-add", event_id, "--kind", "ccer", "--quantity", "2",
               "--evidence", str(cert)).exit_code == 0
    shown = run("carbon", "event-show", event_id)
    assert shown.exit_code == 0 and "已实现碳中和" in shown.output
    points = tmp_path / "points.csv"
    points.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
                      f"{SCHOOL},S1,张老师,2024-05-06,光盘行动,2\n", encoding="utf-8")
    assert run("carbon", "points-import", str(points)).exit_code == 0
    again = json.loads(run("carbon", "points-import", str(points), "--format", "json").output)
    assert again["added"] == 0 and again["skipped"] == 1
    board = json.loads(run("carbon", "leaderboard", "--year", "2024", "--format",
                           "json").output)
    assert board["staff"][0]["display_name"] == "张老师" and board["staff"][0]["points"] == 2
    assert "clean_plate" in run("carbon", "rules").output
    assert "travel_hsr" in run("carbon", "rules", "--events", "--format", "csv").output
    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
                   f"{SCHOOL},S1,张老师,2024-05-07,跳舞,1\n", encoding="utf-8")
    rejected = run("carbon", "points-import", str(bad))
    assert rejected.exit_code == 1 and "第2行" in rejected.output and "行为" in rejected.output
