"""``jieneng remind``: a dry run sends nothing, a run sends once, a second run the same
day nothing new (a local HTTP robot receiver; both databases)."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine
from typer.testing import CliRunner

from jieneng.cli.main import app
from jieneng.core.caller import Actor
from jieneng.services.entry.imports import import_file
from jieneng.services.notifications import channels
from jieneng.storage.institutions import get_institution
from tests.sample import SCHOOL, Files
from tests.services.notify_world import RobotServer, add_period

runner = CliRunner()


def test_remind_dry_run_then_once(engine: Engine, db_url: str, files: Files) -> None:
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    with engine.connect() as conn:
        school = get_institution(conn, SCHOOL)
    assert school is not None
    add_period(engine, region_code="450300", deadline=date(2025, 4, 10),
               tasks={school.id: "not_started"})
    with RobotServer() as robots:
        channels.create_channel(engine, actor=Actor.cli(), region_code="450321",
                                kind="dingtalk", target=robots.url("/dingtalk?access_token=T"))

        def remind(*extra: str) -> dict[str, object]:
            result = runner.invoke(app, ["--db", db_url, "remind", "--date", "2025-04-12",
                                         "--format", "json", *extra], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            data: dict[str, object] = json.loads(result.output)
            return data

        dry = remind("--dry-run")
        assert dry["dry_run"] is True and dry["due"] == 1 and not robots.received
        sent = remind()
        assert [(s["kind"], s["status"]) for s in sent["sent"]] == [  # type: ignore[union-attr]
            ("dingtalk", "queued")]  # queued in the run's transaction, then delivered
        assert [(d["kind"], d["status"]) for d in sent["delivered"]] == [  # type: ignore[union-attr]
            ("dingtalk", "sent")]
        assert "access_token" not in json.dumps(sent)
        assert remind()["sent"] == []
        assert len(robots.bodies("/dingtalk")) == 1
        assert "已逾期 2 天" in robots.bodies("/dingtalk")[0]["text"]["content"]
    table = runner.invoke(app, ["--db", db_url, "remind", "--date", "2025-04-12"])
    assert table.exit_code == 0 and "2025-04-12" in table.output
    bad = runner.invoke(app, ["--db", db_url, "remind", "--date", "12.4.2025"])
    assert bad.exit_code == 1
    listed = runner.invoke(app, ["--db", db_url, "notify", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [(r["kind"], r["status"]) for r in json.loads(listed.output)] == [("dingtalk", "sent")]
    nothing = runner.invoke(app, ["--db", db_url, "notify", "deliver", "--format", "json"])
    assert nothing.exit_code == 0 and json.loads(nothing.output) == []
