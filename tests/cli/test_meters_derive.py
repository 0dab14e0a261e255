"""``jieneng meters derive`` on both databases: one run derives what is dirty (a manual
reading), a second finds nothing, ``--rederive`` derives a meter's history again."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.core.permissions import Role
from jieneng.services.metering.manual import record_reading
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import metering as m
from tests.sample import ORGAN, Files
from tests.services.metering_world import load, user

runner = CliRunner()
ADMIN = user(Role.ADMIN)
NOW = 1_764_604_800  # 2025-12-02 00:00 China time


def test_derive_runs_until_nothing_is_dirty(engine: Engine, db_url: str, files: Files,
                                            tmp_path: Path) -> None:
    load(engine, files)
    add_meter(engine, ADMIN, ORGAN, MeterSpec("E1", "电", installed_at=datetime(2025, 11, 1),
                                              initial=0.0))
    record_reading(engine, ADMIN, ORGAN, "E1", datetime(2025, 11, 1, 1), 4.0, now=NOW)
    first = runner.invoke(app, ["--db", db_url, "meters", "derive", "--format", "json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["meters"] == 1
    idle = runner.invoke(app, ["--db", db_url, "meters", "derive"])
    assert idle.exit_code == 0 and "脏区间 0 个" in idle.output
    with engine.connect() as conn:
        meter_id = conn.execute(select(m.metering_meter.c.id)).scalar_one()
    again = runner.invoke(app, ["--db", db_url, "meters", "derive", "--rederive",
                                str(meter_id), "--format", "json"])
    assert again.exit_code == 0 and json.loads(again.output)["intervals"] == 4
