"""The demo city's work plans (services.demo_workplans), written through the work-plan
services: the demo's last year worked through (most items done, one report returned
with a reason, the items the demo's figures leave short overdue — the 示范单位 counts
computed from the titles the platform holds) and the current year
in progress (done, in progress, waiting for review, returned, one overdue); a second call adds
nothing (idempotent)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.caller import command_line_user
from jieneng.services import demo_workplans
from jieneng.services.campaigns.coverage import region_coverage
from jieneng.services.workplans.items import get_item
from jieneng.services.workplans.plans import list_plans
from jieneng.services.workplans.progress import plan_progress

pytestmark = pytest.mark.xdist_group("demo_services")
WHO = command_line_user()


def _plan(demo: Engine, year: int, title: str) -> dict[str, Any]:
    found = [p for p in list_plans(demo, WHO, region_code="450300", year=year)
             if p["title"] == title]
    assert len(found) == 1, found
    got: dict[str, Any] = plan_progress(demo, WHO, int(found[0]["id"]))
    return got


def _year(demo: Engine) -> dict[str, Any]:
    return _plan(demo, demo_workplans.YEAR, demo_workplans.TITLE)


def _current(demo: Engine) -> dict[str, Any]:
    year = chinatime.today().year
    return _plan(demo, year, demo_workplans.current_title(year))


def test_the_plan_is_the_seed_sheet_of_the_demo_year(demo: Engine) -> None:
    got = _year(demo)
    assert got["plan"]["document_no"] == demo_workplans.DOCUMENT_NO
    top = [i for i in got["items"] if not i["parent_id"]]
    assert len(top) == 15
    assert all(str(i["deadline"]).startswith(str(demo_workplans.YEAR)) for i in got["items"])
    counties = {i["responsible_region"] for i in got["items"] if i["parent_id"]}
    assert len(counties) > 5 and "450321" in counties


def test_the_demo_year_was_worked_through(demo: Engine) -> None:
    got = _year(demo)
    items, summary = got["items"], got["summary"]
    assert summary["done"] >= 0.8 * summary["items"]
    overdue = [i for i in items if i["status"] == "overdue"]
    assert 1 <= len(overdue) <= 7
    # one count rule: the overdue items are under way (in progress + overdue)
    assert all(i["progress"] == "in_progress" for i in overdue)
    assert summary["overdue"] == len(overdue) <= summary["in_progress"]
    assert summary["done"] + summary["in_progress"] + summary["not_started"] == summary["items"]
    for item in overdue:  # only what the demo's own figures leave short, explained
        assert item["value_source"] == "computed" and item["met"] is False
        assert item["last_report"]["review"] == "accepted"
        assert item["last_report"]["percent"] is not None
    for number, level in (("9", "national"), ("10", "provincial")):  # 示范单位: titles held
        held = region_coverage(demo, "450300", demo_workplans.YEAR, "demonstration_unit",
                               level=level, by_child=False)[0]["titles_held"]
        item = next(i for i in items if i["item_no"] == number)
        assert item["value_source"] == "computed" and item["value"] == held
    pue = next(i for i in items if i["item_no"] == "5")
    assert pue["value_source"] == "computed" and pue["value"] is not None
    case = next(i for i in items if i["item_no"] == "12-450321")
    history = get_item(demo, WHO, int(case["id"]))["reports"]
    assert sorted(r["review"] for r in history) == ["accepted", "returned"]
    assert any(r["review_reason"] for r in history if r["review"] == "returned")
    assert case["status"] == "done"
    returned = [i for i in items if (i["last_report"] or {}).get("review") == "returned"]
    assert returned == []  # sent again and accepted
    training = next(i for i in items if i["item_no"] == "13-450321")
    files = get_item(demo, WHO, int(training["id"]))["reports"][0]["files"]
    assert files and files[0]["file_name"].endswith(".pdf")


def test_the_current_year_is_in_progress(demo: Engine) -> None:
    today = chinatime.today()
    got = _current(demo)
    items = got["items"]
    statuses = {i["status"] for i in items}
    assert {"done", "in_progress"} <= statuses
    if demo_workplans.current_deadline("overdue", 9, 30, today) < today:
        assert [i["item_no"] for i in items if i["status"] == "overdue"] == ["1"]
    waiting = [i for i in items if i["pending_reports"]]
    assert [i["item_no"] for i in waiting] == ["13-450321"]
    returned = [i["item_no"] for i in items
                if (i["last_report"] or {}).get("review") == "returned"]
    assert returned == ["12-450321"]  # the browser test sends it again
    assert sum(1 for i in items if i["status"] == "in_progress"
               and (i["last_report"] or {}).get("percent")) >= 5
    assert all(i["deadline"].year == today.year if isinstance(i["deadline"], date)
               else str(i["deadline"]).startswith(str(today.year)) for i in items)
    assert any(str(i["deadline"]) >= today.isoformat() for i in items)


@pytest.mark.parametrize("today", [date(2031, 1, 1), date(2031, 3, 10), date(2031, 12, 31)])
def test_current_deadlines_stay_in_the_year(today: date) -> None:
    for _number, month, day, role in demo_workplans.CURRENT:
        due = demo_workplans.current_deadline(role, month, day, today)
        assert due.year == today.year
        if role in ("progress", "open"):
            assert due >= today
        if role == "overdue" and today > date(today.year, 1, 1):
            assert due < today
    sheet = demo_workplans.current_sheet(demo_workplans.seed_sheet(), today)
    assert "2024" not in sheet and "2023年度" not in sheet
    assert len(sheet.splitlines()) == len(demo_workplans.CURRENT) + 1


def test_a_second_call_adds_nothing(demo: Engine, tmp_path: Path) -> None:
    before = len(list_plans(demo, WHO, region_code="450300"))
    assert demo_workplans.seed(demo, "450300", tmp_path) == {}
    assert len(list_plans(demo, WHO, region_code="450300")) == before
