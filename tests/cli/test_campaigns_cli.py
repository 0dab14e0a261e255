"""``jieneng campaigns schemes | scheme show | load | install | template`` on both
databases: the template loads, a bad sheet is refused with its row and column."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jieneng.cli.main import app

runner = CliRunner()


def test_scheme_commands(db_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> object:
        return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0  # type: ignore[attr-defined]
    listed = json.loads(run("campaigns", "schemes", "--format", "json").output)  # type: ignore[attr-defined]
    assert len(listed) == 9 and not any(s["stored"] for s in listed)
    installed = run("campaigns", "scheme", "install", "--format", "json")
    assert json.loads(installed.output) == {"added": 9, "unchanged": 0}  # type: ignore[attr-defined]
    shown = run("campaigns", "scheme", "show", "demonstration_unit")
    assert shown.exit_code == 0 and "energy.per_area" in shown.output  # type: ignore[attr-defined]
    template = tmp_path / "local.csv"
    assert run("campaigns", "scheme", "template", str(template)).exit_code == 0  # type: ignore[attr-defined]
    dry = run("campaigns", "scheme", "load", str(template), "--dry-run")
    assert dry.exit_code == 0 and "local_demo_unit" in dry.output  # type: ignore[attr-defined]
    done = run("campaigns", "scheme", "load", str(template), "--format", "json")
    assert json.loads(done.output)["version"] == 1  # type: ignore[attr-defined]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(template.read_bytes().replace("能源资源消耗指标,energy use,14".encode(),
                                                  "能源资源消耗指标,energy use,15".encode()))
    refused = run("campaigns", "scheme", "load", str(bad))
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "第4行" in refused.output and "分值" in refused.output  # type: ignore[attr-defined]
