"""Project alerts on both databases through the platform's alerts: savings below the
guarantee, sufficiency below 90 %, CV(RMSE) over the limit, a contract ending within
6 months — opened once (deduplicated), announced to the region's office, listed on
/alerts with their metric, escalated by `jieneng alerts evaluate`, closed when cleared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from jieneng.core.caller import Actor
from jieneng.core.mv.data import DateRange
from jieneng.services.accounts.accounts import create_user
from jieneng.services.notifications import notify
from jieneng.services.projects import mv_runs, project_alerts, statements
from jieneng.services.targets import alert_lists, alerts
from jieneng.storage import project_settlement as ps
from tests.sample import Files
from tests.services.notify_world import settings_for
from tests.services.projects.mv_world import ADMIN, OFFICE, build


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, Any]:
    made = build(engine, files, subtype="guaranteed_savings")  # 25 % promised, 20 % made
    mv_runs.fit_baseline(engine, OFFICE, "P-T", baseline=DateRange(
        date(2024, 1, 1), date(2024, 12, 31)), reporting=DateRange(date(2025, 1, 1),
                                                                   date(2025, 12, 31)))
    statements.issue_due(engine, OFFICE, "P-T", through=date(2025, 7, 1), kinds=["monthly"])
    made["users"] = {name: create_user(engine, Actor.cli(), username=name,
                                       password="Pass-Word-123", role="region",
                                       region_code=region)
                     for name, region in (("yangshuo", "450321"), ("guilin", "450300"))}
    return made


def test_the_four_alerts(engine: Engine, db_url: str, world: dict[str, Any]) -> None:
    county, city = world["users"]["yangshuo"], world["users"]["guilin"]
    first = project_alerts.evaluate_projects(engine, ADMIN, region_code="450300",
                                             year=2025, today=date(2025, 7, 2))
    assert len(first["opened"]) == 1  # the guarantee only
    listed = alert_lists.list_for(engine, county, region_code="450321", year=2025)
    assert [(a["metric"], a["level"]) for a in listed] == [("project_savings", "warning")]
    assert listed[0]["actual"] < listed[0]["limit_value"]
    assert "保证值" in listed[0]["metric_zh"] and listed[0]["link"].startswith("/projects")
    assert notify.unread_count(engine, county.id) == 1
    with engine.begin() as conn:  # a weak model and thin data
        conn.execute(update(ps.project_mv_run).values(cvrmse=0.3, sufficiency=0.85))
    later = project_alerts.evaluate_projects(engine, ADMIN, region_code="450300",
                                             year=2025, today=date(2029, 8, 1))
    assert len(later["opened"]) == 3 and len(later["kept"]) == 1
    metrics = {a["metric"]: a for a in alert_lists.list_for(
        engine, county, region_code="450321", year=2025)}
    assert set(metrics) == {"project_savings", "project_sufficiency", "project_cvrmse",
                            "project_expiry"}
    assert metrics["project_expiry"]["actual"] == (date(2030, 1, 1) - date(2029, 8, 1)).days
    assert metrics["project_cvrmse"]["limit_value"] == pytest.approx(15.0)
    again = project_alerts.evaluate_projects(engine, ADMIN, region_code="450300",
                                             year=2025, today=date(2029, 8, 1))
    assert again["opened"] == [] and len(again["kept"]) == 4
    assert notify.unread_count(engine, county.id) == 2  # one digest per evaluation that opened
    esc = alerts.evaluate(engine, settings_for(db_url), ADMIN, region_code="450300",
                          year=2025, now=datetime.now(UTC) + timedelta(hours=49))
    assert len(esc["escalated"]) == 4 and notify.unread_count(engine, city.id) >= 1
    with engine.begin() as conn:
        conn.execute(update(ps.project_mv_run).values(cvrmse=0.05, sufficiency=1.0))
    cleared = project_alerts.evaluate_projects(engine, ADMIN, region_code="450300",
                                               year=2025, today=date(2026, 1, 1))
    assert len(cleared["closed"]) == 3 and len(cleared["kept"]) == 1
