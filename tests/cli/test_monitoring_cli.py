"""``jieneng meters watch`` on both databases: one evaluation of the live alerts opens a
missing-data alert per silent meter (printed as JSON), the next keeps them (no second
announcement), a bad projection is refused; ``--loop --runs 2`` runs twice."""

from __future__ import annotations

import json

from sqlalchemy import Engine, create_engine, select
from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.core.caller import command_line_user
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import tables as t
from tests.sample import ORGAN, Files

runner = CliRunner()


def run(db_url: str, *args: str) -> object:
    return runner.invoke(app, ["--db", db_url, *args], catch_exceptions=False)


def test_watch_opens_then_keeps_missing_data_alerts(engine: Engine, db_url: str,
                                                    files: Files) -> None:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions)):
        assert run(db_url, "import", kind, str(path)).exit_code == 0  # type: ignore[attr-defined]
    add_meter(engine, command_line_user(), ORGAN, MeterSpec("M1", "电"))
    first = run(db_url, "meters", "watch")
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    out = json.loads(first.output)  # type: ignore[attr-defined]
    assert len(out["opened"]) == 1 and out["closed"] == []
    looped = run(db_url, "meters", "watch", "--loop", "--runs", "2", "--every", "10",
                 "--projection", "weekday")
    assert looped.exit_code == 0  # type: ignore[attr-defined]
    assert looped.output.count('"kept"') == 2  # type: ignore[attr-defined]
    bad = runner.invoke(app, ["--db", db_url, "meters", "watch", "--projection", "moon"])
    assert bad.exit_code != 0 and "moon" in bad.output
    check = create_engine(db_url)
    with check.connect() as conn:
        subjects = [r.subject for r in conn.execute(select(t.alert.c.subject))]
    check.dispose()
    assert len(subjects) == 1 and subjects[0].startswith("silent:")
