"""The demo's bell is not empty (issue 11 leftovers): once the demo accounts exist the
demo seeds a 催报, a reviewer's question and a return with its reason through the
ordinary services — each reaching whoever files for the unit — once per database."""

from __future__ import annotations

from datetime import date

from jieneng.core.caller import Actor, command_line_user
from jieneng.services import demo_notifications
from jieneng.services.accounts.accounts import create_user
from jieneng.services.notifications import notify
from jieneng.services.workflow import notices, periods
from tests.web.conftest import PASSWORD, SCHOOL, World


def test_the_demo_seeds_the_loop_once(world: World) -> None:
    assert not demo_notifications.seed(world.engine, region_code="450300", year=2025)
    city = create_user(world.engine, Actor.cli(), username="guilin", password=PASSWORD,
                       role="region", region_code="450300", display_name="管理机构 桂林市")
    periods.open_period(world.engine, command_line_user(), region_code="450300",
                        period="2025-12", deadline=date(2026, 1, 15))
    assert demo_notifications.seed(world.engine, region_code="450300", year=2025,
                                   today=date(2026, 2, 1))
    school = notify.user_notifications(world.engine, world.users["institution"].id)
    assert [n["kind"] for n in school["items"]] == ["returned", "question", "reminder"]
    returned = school["items"][0]
    assert demo_notifications.REASON in returned["body"]
    assert returned["link"] == f"/entry/{SCHOOL}/2025/12"
    # the 教育局 files for its own units (its account is pinned to it): a 催报 digest
    dept = notify.user_notifications(world.engine, world.users["department"].id)
    assert [n["kind"] for n in dept["items"]] == ["reminder"]
    assert notify.user_notifications(world.engine, city.id)["total"] == 0  # no alert here
    banner = notices.entry_notices(world.engine, world.users["institution"], SCHOOL, 2025, 12)
    assert banner[0]["returned"]["reason"] == demo_notifications.REASON
    assert banner[0]["questions"][0]["question"] == demo_notifications.QUESTION
    # once per database
    assert not demo_notifications.seed(world.engine, region_code="450300", year=2025)
    assert notify.user_notifications(world.engine, world.users["institution"].id)["total"] == 3
