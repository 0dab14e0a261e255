"""``jieneng meters …`` end to end on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, Files, write_csv

runner = CliRunner()


def run(db_url: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def test_import_dry_run_list_replace_and_a_rejected_file(db_url: str, files: Files,
                                                         tmp_path: Path) -> None:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert run(db_url, "import", kind, str(path)).exit_code == 0  # type: ignore[attr-defined]
    good = write_csv(tmp_path / "m.csv", ["统一社会信用代码", "能源品种", "户号", "表号", "倍率"],
                     [[ORGAN, "电", "0301", "M1", "40"]], encoding="gbk")
    dry = run(db_url, "meters", "import", str(good), "--dry-run")
    assert dry.exit_code == 0 and "试导入" in dry.output  # type: ignore[attr-defined]
    listed = run(db_url, "meters", "list", "--institution", ORGAN, "--format", "json")
    assert json.loads(listed.output)["meters"] == []  # type: ignore[attr-defined]
    done = run(db_url, "meters", "import", str(good))
    assert done.exit_code == 0 and "1" in done.output  # type: ignore[attr-defined]
    moved = run(db_url, "meters", "replace", "--institution", ORGAN, "--meter", "M1",
                "--at", "2026-03-01 10:00", "--final", "500.5", "--initial", "0")
    assert moved.exit_code == 0, moved.output  # type: ignore[attr-defined]
    listed = run(db_url, "meters", "list", "--institution", ORGAN, "--format", "json")
    (meter,) = json.loads(listed.output)["meters"]  # type: ignore[attr-defined]
    assert meter["number"] == "M1" and meter["account"] == "0301"
    assert [e["kind"] for e in meter["events"]] == ["replace"]
    table = run(db_url, "meters", "list", "--institution", ORGAN)
    assert "0301" in table.output and "M1" in table.output  # type: ignore[attr-defined]
    again = run(db_url, "meters", "import", str(good))
    assert again.exit_code == 1  # type: ignore[attr-defined]
    assert "metering" in again.output or "已有" in again.output  # type: ignore[attr-defined]
    template = tmp_path / "t.csv"
    assert run(db_url, "meters", "template", str(template)).exit_code == 0  # type: ignore[attr-defined]
    assert template.read_bytes().startswith("\ufeff统一社会信用代码".encode())
