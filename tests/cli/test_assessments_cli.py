"""``jieneng assessments sheets | sheet | load`` on both databases: the shipped sheets
listed, a local sheet loaded as a version (again: unchanged), a sheet whose points do not
add up refused with its row and column, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.core.assessments import shipped_sheet_text

runner = CliRunner()


def test_sheet_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> object:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0  # type: ignore[attr-defined]
    listed = json.loads(run("assessments", "sheets", "--format", "json").output)  # type: ignore[attr-defined]
    assert {s["code"] for s in listed} == {"county_energy", "unit_energy"}
    shown = json.loads(run("assessments", "sheet", "county_energy").output)  # type: ignore[attr-defined]
    assert shown["subject"] == "region" and shown["total"] == 100
    bad = tmp_path / "bad.csv"
    bad.write_text(shipped_sheet_text("county_energy").replace(
        "block,reporting,,统计上报,Reporting,25", "block,reporting,,统计上报,Reporting,30"),
        encoding="utf-8")
    refused = run("assessments", "load", str(bad))
    assert refused.exit_code == 1 and "reporting" in refused.output  # type: ignore[attr-defined]
    listed = json.loads(run("assessments", "sheets", "--format", "json").output)  # type: ignore[attr-defined]
    assert not any(s["stored"] for s in listed)
    good = tmp_path / "local.csv"
    good.write_text(shipped_sheet_text("county_energy").replace(
        "pass,min_score,,,,,,,,,,,65", "pass,min_score,,,,,,,,,,,60"), encoding="utf-8")
    loaded = json.loads(run("assessments", "load", str(good), "--format", "json").output)  # type: ignore[attr-defined]
    assert loaded["version"] == 1 and not loaded["unchanged"]
    again = json.loads(run("assessments", "load", str(good), "--format", "json").output)  # type: ignore[attr-defined]
    assert again["unchanged"]
