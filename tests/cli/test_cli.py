"""The ``jieneng`` command end to end (Typer's runner, a real database of each backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import ORGAN, Files, write_csv

runner = CliRunner()

HEADLINE_KEYS = {
    "energy_tce", "water_m3", "co2_t", "energy_per_capita_kgce", "energy_per_area_kgce_m2",
    "water_per_capita_m3", "co2_per_area_kg_m2", "institutions_expected",
    "institutions_reported", "factor_set", "by_carrier",
}


def run(db_url: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def load(db_url: str, files: Files) -> None:
    for kind, path in (
        ("regions", files.regions), ("institutions", files.institutions),
        ("profiles", files.profiles), ("consumption", files.consumption),
    ):
        result = run(db_url, "import", kind, str(path))
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]


def test_help_documents_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "import", "template", "indicators", "history", "demo"):
        assert command in result.output


def test_import_and_indicators_json(db_url: str, files: Files) -> None:
    load(db_url, files)
    result = run(db_url, "indicators", "--region", "450300", "--year", "2025",
                 "--group-by", "category", "--format", "json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    data = json.loads(result.output)  # type: ignore[attr-defined]
    assert set(data) >= HEADLINE_KEYS
    assert data["institutions_reported"] == 2
    assert {g["code"] for g in data["groups"]} == {"01", "021"}
    for group in data["groups"]:
        assert set(group) >= HEADLINE_KEYS


def test_indicators_csv_and_months(db_url: str, files: Files) -> None:
    load(db_url, files)
    result = run(db_url, "indicators", "--region", "450300", "--year", "2025",
                 "--months", "1-6", "--group-by", "region", "--format", "csv")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("code,name,energy_tce")
    assert len(lines) >= 3


def test_bad_import_exits_non_zero_with_bilingual_errors(
    db_url: str, files: Files, tmp_path: Path
) -> None:
    load(db_url, files)
    bad = write_csv(tmp_path / "bad.csv", ["统一社会信用代码", "年", "月", "电(吨)"],
                    [[ORGAN, 2025, 3, 100]])
    result = run(db_url, "import", "consumption", str(bad))
    assert result.exit_code == 1
    assert "bad.csv" in result.output  # type: ignore[attr-defined]
    assert "未导入" in result.output and "nothing was imported" in result.output  # type: ignore[attr-defined]


def test_dry_run_and_history(db_url: str, files: Files) -> None:
    load(db_url, files)
    result = run(db_url, "import", "consumption", str(files.consumption), "--dry-run",
                 "--format", "json")
    assert json.loads(result.output)["dry_run"] is True  # type: ignore[attr-defined]
    history = run(db_url, "history", "--institution", ORGAN, "--format", "json")
    rows = json.loads(history.output)  # type: ignore[attr-defined]
    assert {r["carrier"] for r in rows} == {"electricity", "water", "natural_gas",
                                            "gasoline_vehicle"}
    assert all(r["revision"] == 1 and r["is_current"] for r in rows)


@pytest.mark.parametrize("kind", ["regions", "institutions", "profiles", "consumption",
                                  "consumption-long"])
def test_template_written(kind: str, tmp_path: Path) -> None:
    out = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(app, ["template", kind, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


def test_unknown_region_is_a_clear_error(db_url: str) -> None:
    result = run(db_url, "indicators", "--region", "999999", "--year", "2025")
    assert result.exit_code == 1
    assert "999999" in result.output  # type: ignore[attr-defined]
