"""The demo's seeds act as the demo accounts that would have done the work (issue 14
closing note): the build creates the accounts before the seeds, so the work-plan
reports and reviews, the rounds' self-assessments, reviews and draws and the
assessment sheet name ``guilin``, ``yangshuo``, ``office-<code>`` — not ``cli``
(SQLite: the run's demo city, built once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.services.database import open_database
from jieneng.storage import assessments, campaign_rounds, campaign_titles, workplans
from jieneng.storage import tables as t
from tests.templates import DemoCity


@pytest.fixture
def demo(tmp_path: Path, demo_city: DemoCity) -> Iterator[Engine]:
    engine = open_database(demo_city.copy(tmp_path))
    yield engine
    engine.dispose()


def test_the_demo_work_is_authored_by_the_demo_accounts(demo: Engine) -> None:
    r = workplans.work_plan_report
    with demo.connect() as conn:
        authors: dict[str, int] = {
            str(k): int(v) for k, v in conn.execute(
                select(r.c.reported_by, func.count()).group_by(r.c.reported_by))}
        reviewers = set(conn.execute(select(r.c.reviewed_by).distinct()).scalars())
        creators = set(conn.execute(select(workplans.work_plan.c.created_by)
                                    .distinct()).scalars())
        report_ids = set(conn.execute(select(r.c.reported_by_id).distinct()).scalars())
        rounds_table = campaign_rounds.campaign_round
        openers: dict[str, str] = {str(k).strip(): str(v) for k, v in conn.execute(
            select(rounds_table.c.region_code, rounds_table.c.opened_by))}
        drawers = set(conn.execute(select(campaign_titles.campaign_spot_check.c.drawn_by)
                                   .distinct()).scalars())
        sheet = set(conn.execute(select(assessments.assessment_run.c.opened_by)).scalars())
        audit = t.audit_log
        acted: dict[str, str] = {str(k): str(v) for k, v in conn.execute(
            select(audit.c.action, func.group_concat(audit.c.username.distinct()))
            .where(audit.c.action.in_(("campaigns.round_self_assess",
                                       "campaigns.round_submit",
                                       "campaigns.round_approve",
                                       "campaigns.round_returned",
                                       "workplans.report", "workplans.review")))
            .group_by(audit.c.action))}
    assert authors and "cli" not in authors, authors
    assert {"yangshuo", "guilin"} <= set(authors)
    assert any(a.startswith("office-") for a in authors)  # the other counties' offices
    assert None not in report_ids  # each names its account
    assert reviewers - {None} == {"guilin"}
    assert creators == {"guilin"}
    assert openers == {"450300": "guilin", "450321": "yangshuo"}
    assert drawers == {"guilin", "yangshuo"}
    assert sheet == {"guilin"}
    for action, names in acted.items():
        assert "cli" not in str(names).split(","), (action, names)
    assert set(str(acted["campaigns.round_approve"]).split(",")) == {"guilin", "yangshuo"}
