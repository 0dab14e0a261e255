"""``jieneng weather add-station|stations`` and ``jieneng import weather`` (the full app
and the import-only app of ``jieneng import …``) on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app, build_app
from tests.sample import Files, write_csv

runner = CliRunner()


def test_stations_and_imports(db_url: str, files: Files, tmp_path: Path) -> None:
    def run(*args: str, imports_only: bool = False) -> object:
        which = build_app(imports_only=True) if imports_only else app
        return runner.invoke(which, ["--db", db_url, *args], catch_exceptions=False)

    assert run("import", "regions", str(files.regions)).exit_code == 0  # type: ignore[attr-defined]
    added = run("weather", "add-station", "57957", "--name", "桂林", "--region", "450300",
                "--lat", "25.3", "--lon", "110.3")
    assert added.exit_code == 0 and "450300" in added.output  # type: ignore[attr-defined]
    days = write_csv(tmp_path / "t.csv", ["日期", "日平均气温(℉)"],
                     [["2025-01-01", 50], ["2025-01-02", 41]], encoding="gbk")
    dry = run("import", "weather", str(days), "--station", "57957", "--dry-run",
              imports_only=True)
    assert dry.exit_code == 0 and "试导入" in dry.output  # type: ignore[attr-defined]
    done = run("import", "weather", str(days), "--station", "57957", "--format", "json",
               imports_only=True)
    assert json.loads(done.output)["new"] == 2  # type: ignore[attr-defined]
    listed = run("weather", "stations", "--format", "json")
    (station,) = json.loads(listed.output)  # type: ignore[attr-defined]
    assert (station["code"], station["days"], station["regions"]) == ("57957", 2, ["450300"])
    refused = run("import", "weather", str(days), "--station", "57957", "--unit", "C")
    assert refused.exit_code == 1 and "°F" in refused.output  # type: ignore[attr-defined]
    unknown = run("import", "weather", str(days), "--station", "NOPE")
    assert unknown.exit_code == 1 and "NOPE" in unknown.output  # type: ignore[attr-defined]
