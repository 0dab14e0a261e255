"""``jieneng import daily-kwh|bills`` and ``jieneng template daily-kwh|bills`` on both
databases."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, Files, write_csv

runner = CliRunner()


def run(db_url: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def test_import_daily_and_bills(db_url: str, files: Files, tmp_path: Path) -> None:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert run(db_url, "import", kind, str(path)).exit_code == 0  # type: ignore[attr-defined]
    bind = write_csv(tmp_path / "m.csv", ["统一社会信用代码", "能源品种", "户号", "绑定日期"],
                     [[ORGAN, "电", "0301", "2026-01-01"]])
    assert run(db_url, "meters", "import", str(bind)).exit_code == 0  # type: ignore[attr-defined]
    days = write_csv(tmp_path / "d.csv", ["户号", "日期", "电量"],
                     [["0301", "2026-11-01", 10], ["0301", "2026-11-02", 11]], encoding="gbk")
    dry = run(db_url, "import", "daily-kwh", str(days), "--dry-run")
    assert dry.exit_code == 0 and "试导入" in dry.output  # type: ignore[attr-defined]
    done = run(db_url, "import", "daily-kwh", str(days), "--format", "json")
    assert json.loads(done.output)["new"] == 2  # type: ignore[attr-defined]
    bills = write_csv(tmp_path / "b.csv", ["户号", "账期起", "账期止", "电量", "电费"],
                      [["0301", "2026-10-21", "2026-11-20", 300, 210]])
    done = run(db_url, "import", "bills", str(bills))
    assert done.exit_code == 0 and "新增 1" in done.output  # type: ignore[attr-defined]
    bad = write_csv(tmp_path / "x.csv", ["户号", "日期", "电量"], [["0999", "2026-11-01", 1]])
    refused = run(db_url, "import", "daily-kwh", str(bad))
    assert refused.exit_code == 1 and "0999" in refused.output  # type: ignore[attr-defined]
    for kind in ("daily-kwh", "bills"):
        out = tmp_path / f"{kind}.xlsx"
        assert run(db_url, "template", kind, "-o", str(out)).exit_code == 0  # type: ignore[attr-defined]
        assert out.stat().st_size > 0
