"""``jieneng projects baseline|statement|settle|alerts`` on both databases over the
constructed trusteeship project (tests.services.projects.mv_world)."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.sample import Files
from tests.services.projects.mv_world import build

runner = CliRunner()


def run(db_url: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def test_baseline_statement_settle(engine: Engine, db_url: str, files: Files) -> None:
    build(engine, files)
    fit = run(db_url, "projects", "baseline", "P-T", "--baseline", "2024-01-01..2024-12-31",
              "--reporting", "2025-01-01..2025-12-31")
    assert fit.exit_code == 0, fit.output  # type: ignore[attr-defined]
    assert "CV(RMSE)" in fit.output  # type: ignore[attr-defined]
    due = run(db_url, "projects", "statement", "P-T", "--due", "2025-07-01", "--format", "json")
    assert due.exit_code == 0, due.output  # type: ignore[attr-defined]
    made = json.loads(due.output)  # type: ignore[attr-defined]
    assert len(made) == 6 + 2
    settled = run(db_url, "projects", "settle", "P-T", "--period", "2025-Q1", "--confirm",
                  "--format", "json")
    assert settled.exit_code == 0, settled.output  # type: ignore[attr-defined]
    got = json.loads(settled.output)  # type: ignore[attr-defined]
    assert got["state"] == "confirmed" and got["mode"] == "trusteeship"
    refused = run(db_url, "projects", "adjust", "P-T", "--kind", "area", "--period",
                  "2025-01-01..2025-02-01", "--value", "10", "--reason", "扩建")
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "证明材料" in refused.output  # type: ignore[attr-defined]
    alerts = run(db_url, "projects", "alerts", "--region", "450300", "--year", "2025")
    assert alerts.exit_code == 0, alerts.output  # type: ignore[attr-defined]
