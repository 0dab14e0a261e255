"""``jieneng meters fill-statistics`` and ``statistics-rule`` end to end on both databases."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import Files

runner = CliRunner()


def test_fill_statistics_and_rule(db_url: str, files: Files) -> None:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert runner.invoke(app, ["--db", db_url, "import", kind, str(path)]).exit_code == 0
    done = runner.invoke(app, ["--db", db_url, "meters", "fill-statistics", "--year", "2026",
                               "--month", "1", "--format", "json"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["institutions"] == 3
    text = runner.invoke(app, ["--db", db_url, "meters", "fill-statistics", "--year", "2026",
                               "--month", "1", "--region", "450300"])
    assert text.exit_code == 0 and "计量值 0 项" in text.output
    rule = runner.invoke(app, ["--db", db_url, "meters", "statistics-rule", "--region",
                               "450300", "--precedence", "meters_first"])
    assert rule.exit_code == 0 and "meters_first" in rule.output
    bad = runner.invoke(app, ["--db", db_url, "meters", "fill-statistics", "--year", "2026",
                              "--month", "13"])
    assert bad.exit_code == 1
