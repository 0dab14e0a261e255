"""``jieneng remind``: a dry run sends nothing, a run sends once, a second run the same
day nothing new (a local HTTP robot receiver; both databases)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

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

        def remind(*extra: str) -> dict[str, Any]:
            result = runner.invoke(app, ["--db", db_url, "remind", "--date", "2025-04-12",
                                         "--format", "json", *extra], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            data: dict[str, Any] = json.loads(result.output)
            return data

        dry = remind("--dry-run")
        assert dry["dry_run"] is True and dry["due"] == 1 and not robots.received
        sent = remind()
        assert [(s["kind"], s["status"]) for s in sent["sent"]] == [
            ("dingtalk", "queued")]  # queued in the run's transaction, then delivered
        assert [(d["kind"], d["status"]) for d in sent["delivered"]] == [
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


def test_remind_also_sends_plan_and_rectification_reminders(engine: Engine, db_url: str,
                                                           files: Files) -> None:
    """One cron line: ``jieneng remind`` also reminds the overdue work-plan items and the
    回头看 rectifications past their deadline, counts per kind, never twice a day."""
    from importlib import resources

    from jieneng.core.permissions import Role
    from jieneng.services.campaigns import rechecks
    from jieneng.storage import title_awards
    from tests.services.metering_world import user

    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", files.institutions)
    sheet = str(resources.files("jieneng.data.workplans").joinpath("guilin_2024.csv"))
    imported = runner.invoke(app, ["--db", db_url, "plans", "import", sheet, "--region",
                                   "450300", "--year", "2024", "--title", "2024年工作安排"])
    assert imported.exit_code == 0, imported.output
    with engine.connect() as conn:
        school = get_institution(conn, SCHOOL)
    assert school is not None
    with engine.begin() as conn:
        title_awards.award_titles(conn, [{
            "institution_id": school.id, "scheme_code": "conservation_organ",
            "round_id": None, "level": "county", "awarded_on": date(2023, 6, 1),
            "valid_until": None}])
    office = user(Role.REGION, "450321", uid=3)
    rechecks.select_rechecks(engine, office, "conservation_organ", "450321", year=2024,
                             awarded_before=date(2024, 1, 1))
    rid = rechecks.list_rechecks(engine, office, year=2024)[0]["id"]
    rechecks.record_result(engine, office, rid, passed=False, finding="制度未更新",
                           checked_on=date(2024, 3, 1), deadline=date(2024, 4, 1))

    def remind(*extra: str) -> dict[str, Any]:
        result = runner.invoke(app, ["--db", db_url, "remind", "--date", "2024-06-01",
                                     "--format", "json", *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.output)
        return data

    dry = remind("--dry-run")["kinds"]
    assert dry["rechecks"]["overdue"] == 1 and dry["workplans"]["overdue"] > 0
    assert dry["reporting"]["due"] == 0
    sent = remind()["kinds"]
    assert sent["rechecks"] == dry["rechecks"] and sent["workplans"] == dry["workplans"]
    again = remind()["kinds"]  # the same day: nothing new
    assert again["rechecks"]["overdue"] == 0 and again["workplans"]["overdue"] == 0
    table = runner.invoke(app, ["--db", db_url, "remind", "--date", "2024-06-01"])
    assert table.exit_code == 0 and "整改逾期 0 条" in table.output
    assert "逾期事项 0 项" in table.output
