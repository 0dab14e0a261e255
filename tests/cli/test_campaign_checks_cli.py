"""``jieneng campaigns checks …`` on both databases: a draw below the rule's rate refused
(exit 1, the rule named), the draw, the coverage rows and the re-check list as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import make_files

runner = CliRunner()


def test_checks_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> object:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    files = make_files(tmp_path)
    assert run("db", "upgrade").exit_code == 0  # type: ignore[attr-defined]
    assert run("import", "regions", str(files.regions)).exit_code == 0  # type: ignore[attr-defined]
    assert run("import", "institutions", str(files.institutions)).exit_code == 0  # type: ignore[attr-defined]
    assert run("campaigns", "scheme", "install").exit_code == 0  # type: ignore[attr-defined]
    opened = run("campaigns", "round", "open", "canteen_food_waste", "450300", "2025",
                 "--format", "json")
    rid = str(json.loads(opened.output)["id"])  # type: ignore[attr-defined]
    below = run("campaigns", "checks", "draw", rid, "--rate", "0.1")
    assert below.exit_code == 1 and "canteen_food_waste" in below.output  # type: ignore[attr-defined]
    drawn = run("campaigns", "checks", "draw", rid, "--seed", "3", "--format", "json")
    assert json.loads(drawn.output)["sample_size"] == 1  # type: ignore[attr-defined]
    # the round's only member is drawn: a further batch finds nobody left
    again = run("campaigns", "checks", "draw", rid, "--seed", "4")
    assert again.exit_code == 1 and rid in again.output  # type: ignore[attr-defined]
    rows = json.loads(run("campaigns", "checks", "coverage", "450300", "2025", "--scheme",  # type: ignore[attr-defined]
                          "canteen_food_waste", "--format", "json").output)
    assert rows[0]["members"] == 1 and rows[0]["spot_check_rate"] == 1.0
    listed = run("campaigns", "checks", "recheck", "list", "--format", "json")
    assert json.loads(listed.output) == []  # type: ignore[attr-defined]
    assert run("campaigns", "checks", "recheck", "remind").exit_code == 0  # type: ignore[attr-defined]
