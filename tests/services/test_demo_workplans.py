"""The demo city's work plan (services.demo_workplans): 桂林's seed sheet imported for the
demo's last year, the county shares assigned to every county, 阳朔's progress reports
(one accepted, one returned, one waiting) with evidence, items overdue, indicators
computed from the demo's figures — all through the services, and a second call adds
nothing (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import command_line_user
from jieneng.services import demo_workplans
from jieneng.services.workplans.items import get_item
from jieneng.services.workplans.plans import list_plans
from jieneng.services.workplans.progress import plan_progress

pytestmark = pytest.mark.xdist_group("demo_services")
WHO = command_line_user()


def _progress(demo: Engine) -> dict[str, Any]:
    found = [p for p in list_plans(demo, WHO, region_code="450300", year=demo_workplans.YEAR)
             if p["title"] == demo_workplans.TITLE]
    assert len(found) == 1, found
    return plan_progress(demo, WHO, int(found[0]["id"]))


def test_the_plan_is_the_seed_sheet_of_the_demo_year(demo: Engine) -> None:
    got = _progress(demo)
    assert got["plan"]["document_no"] == demo_workplans.DOCUMENT_NO
    top = [i for i in got["items"] if not i["parent_id"]]
    assert len(top) >= 10
    assert all(str(i["deadline"]).startswith(str(demo_workplans.YEAR)) for i in got["items"])
    children = [i for i in got["items"] if i["parent_id"]]
    counties = {i["responsible_region"] for i in children}
    assert len(counties) > 5 and "450321" in counties


def test_reports_reviewed_overdue_and_computed(demo: Engine) -> None:
    got = _progress(demo)
    mine = [i for i in got["items"] if i["responsible_region"] == "450321" and i["parent_id"]]
    reviews = {str(i["item_no"]).split("-")[0]: (i["last_report"] or {}).get("review")
               for i in mine}
    assert reviews == {"13": "accepted", "12": "returned", "8": "pending"}
    done = next(i for i in mine if str(i["item_no"]).startswith("13-"))
    assert done["status"] == "done" and done["value"] == 2.0
    history = get_item(demo, WHO, int(done["id"]))["reports"]
    assert history[0]["files"][0]["file_name"] == "签到表.pdf"
    assert any(i["status"] == "overdue" for i in got["items"])
    assert any(i["value_source"] == "computed" and i["value"] is not None
               for i in got["items"])


def test_a_second_call_adds_nothing(demo: Engine, tmp_path: Path) -> None:
    assert demo_workplans.seed(demo, "450300", tmp_path) == {}
