"""``jieneng carbon event-correct | event-withdraw | offset-correct | offset-withdraw |
entries | entry-correct | entry-withdraw | rules-export | rules-load`` on both databases:
a reason required, corrections shown in the figures, the rules exported and loaded back
unchanged, a local variant a new version, a bad rules file refused by row and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import SCHOOL, make_files

runner = CliRunner()


def test_carbon_correction_and_rules_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> Any:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0
    assert run("import", "regions", str(files.regions)).exit_code == 0
    assert run("import", "institutions", str(files.institutions)).exit_code == 0
    made = json.loads(run("carbon", "event-add", "--institution", SCHOOL, "--name", "会",
                          "--start", "2024-06-13", "--end", "2024-06-13", "--attendees",
                          "40", "--line", "venue_electricity=1000", "--format",
                          "json").output)
    event_id = str(made["event"]["id"])
    refused = run("carbon", "event-correct", event_id, "--reason", " ", "--attendees", "20")
    assert refused.exit_code == 1 and "理由" in refused.output
    fixed = json.loads(run("carbon", "event-correct", event_id, "--reason", "人数录错",
                           "--attendees", "20", "--format", "json").output)
    assert fixed["event"]["attendees"] == 20 and fixed["total_t"] == made["total_t"]
    assert run("carbon", "offset-add", event_id, "--kind", "ccer", "--quantity",
               "2").exit_code == 0
    offset_id = str(json.loads(run("carbon", "event-show", event_id, "--format",
                                   "json").output)["offsets"][0]["id"])
    assert run("carbon", "offset-correct", event_id, offset_id, "--kind", "forestry",
               "--quantity", "3", "--reason", "证书").exit_code == 0
    assert run("carbon", "offset-withdraw", event_id, offset_id, "--reason",
               "作废").exit_code == 0
    shown = json.loads(run("carbon", "event-show", event_id, "--format", "json").output)
    assert shown["offsets"] == [] and shown["offsets_t"] == 0
    points = tmp_path / "points.csv"
    points.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n"
                      f"{SCHOOL},S1,张老师,2024-05-06,光盘行动,2\n"
                      f"{SCHOOL},S1,张老师,2024-05-07,光盘行动,1\n", encoding="utf-8")
    assert run("carbon", "points-import", str(points)).exit_code == 0
    entries = json.loads(run("carbon", "entries", "--month", "2024-05", "--format",
                             "json").output)
    first, second = sorted(entries, key=lambda e: e["entry_date"])
    assert run("carbon", "entry-correct", str(first["id"]), "--quantity", "3", "--reason",
               "补").exit_code == 0
    assert run("carbon", "entry-withdraw", str(second["id"]), "--reason", "重复").exit_code == 0
    board = json.loads(run("carbon", "leaderboard", "--year", "2024", "--format",
                           "json").output)
    assert board["totals"]["points"] == 3
    assert run("carbon", "event-withdraw", event_id, "--reason", "重复").exit_code == 0
    assert run("carbon", "event-show", event_id).exit_code == 1
    exported = tmp_path / "rules.csv"
    assert run("carbon", "rules-export", str(exported)).exit_code == 0
    same = json.loads(run("carbon", "rules-load", str(exported), "--format", "json").output)
    assert same["unchanged"] is True and same["version"] == 0
    text = exported.read_text(encoding="utf-8-sig")
    local = tmp_path / "local.csv"
    local.write_text(text.replace("clean_plate,光盘行动,clean plate (no food waste),meal,餐,1,",
                                  "clean_plate,光盘行动,clean plate (no food waste),meal,餐,4,"),
                     encoding="utf-8")
    loaded = run("carbon", "rules-load", str(local))
    assert loaded.exit_code == 0 and "版本 1" in loaded.output
    assert "clean_plate" in run("carbon", "rules").output
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("clean_plate,", "Clean Plate,"), encoding="utf-8")
    rejected = run("carbon", "rules-load", str(bad))
    assert rejected.exit_code == 1 and "第4行" in rejected.output and "action" in rejected.output
