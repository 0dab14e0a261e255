"""``jieneng fleet template | import | list | summary | charging-target`` on both
databases: the templates import, a bad row is refused with its row and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, make_files

runner = CliRunner()


def test_fleet_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> Any:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0
    assert run("import", "regions", str(files.regions)).exit_code == 0
    assert run("import", "institutions", str(files.institutions)).exit_code == 0
    for kind in ("vehicles", "parking", "coal_equipment"):
        path = tmp_path / f"{kind}.csv"
        assert run("fleet", "template", kind, str(path)).exit_code == 0
        path.write_bytes(path.read_bytes().replace(b"91450300MA5K000000", ORGAN.encode()))
        dry = run("fleet", "import", str(path), "--dry-run", "--format", "json")
        assert json.loads(dry.output) == {"file": path.name, "kind": kind, "rows": 1,
                                          "stored": 1, "dry_run": True}
        assert run("fleet", "import", str(path)).exit_code == 0
    found = json.loads(run("fleet", "summary", "--region", "450300", "--year", "2024",
                           "--format", "json").output)
    assert found["vehicles"]["bought_nev"] == 1 and found["charging"]["share"] == 0.1
    assert found["coal"]["not_cleared"] == 0  # the template's boiler was removed in 2023
    table = run("fleet", "summary", "--region", "450300", "--year", "2024")
    assert table.exit_code == 0 and "充电车位占停车位比例" in table.output
    assert run("fleet", "charging-target", "450300", "0.12").exit_code == 0
    found = json.loads(run("fleet", "summary", "--year", "2024", "--region", "450302",
                           "--format", "json").output)
    assert found["charging"]["target"] == 0.12 and found["charging"]["meets_target"] is False
    listed = json.loads(run("fleet", "list", "coal_equipment", "--format", "json").output)
    assert [r["equipment_no"] for r in listed] == ["B-01"]
    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,车辆编号,燃料类型,购置年份\n" f"{ORGAN},V1,蒸汽,2024\n",
                   encoding="utf-8")
    refused = run("fleet", "import", str(bad))
    assert refused.exit_code == 1
    assert "第2行" in refused.output and "燃料类型" in refused.output
