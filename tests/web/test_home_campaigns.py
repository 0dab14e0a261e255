"""The home page names the next thing to do for the issue-14 work: the unit's open
self-assessment (returned first, with its reason and due date), the members waiting at
the office's review level, the unit's 回头看 rectification (overdue marked) and the
office's re-checks to act on, the work-plan items due within 30 days or overdue and the
reports waiting for the plan owner; and a round's state moves on the round page."""

from __future__ import annotations

from datetime import date
from typing import Any

from jieneng.services.campaigns import rechecks, rounds
from jieneng.services.workbench.next_things import next_things
from jieneng.services.workplans.items import add_item
from jieneng.services.workplans.plans import create_plan
from jieneng.services.workplans.review import report_progress
from jieneng.storage import title_awards
from tests.web.conftest import NAMES, SCHOOL, World, csrf


def _sections(world: World, role: str, today: date | None = None) -> dict[str, Any]:
    found = next_things(world.engine, world.users[role], today or date.today())
    return {s["key"]: s for s in found}


def _next(client: Any) -> dict[str, Any]:
    got = client.get("/api/v1/workbench")
    assert got.status_code == 200, got.text
    return {s["key"]: s for s in got.json()["next"]}


def test_round_on_the_home_pages_and_its_state_on_the_web(world: World) -> None:
    made = rounds.open_round(world.engine, world.users["region"], "demonstration_unit",
                             "450321", 2025, title="阳朔示范单位", due=date(2026, 1, 31),
                             eval_year=2025, eval_month=2)
    rid = int(made["id"])
    unit = world.login("institution")
    mine = _next(unit)["self_assessments"]
    assert mine["total"] == 1 and mine["items"][0]["due"] == "2026-01-31"
    assert mine["items"][0]["state"] == "invited"
    assert mine["items"][0]["href"] == f"/campaigns/rounds/{rid}/members/{SCHOOL}"
    home = unit.get("/")
    assert 'data-next="self_assessments"' in home.text and "阳朔示范单位" in home.text
    assert 'data-next="self_assessments"' in unit.get("/?lang=en").text

    base = f"/campaigns/rounds/{rid}/members/{SCHOOL}"
    sent = unit.post(base, data={"csrf_token": csrf(unit), "score.management": "25",
                                 "score.water": "8", "score.green": "6", "score.extra": "0",
                                 "action": "submit"})
    assert sent.status_code == 303, sent.text
    assert "self_assessments" not in _next(unit)

    office = world.login("region")
    waiting = _next(office)["round_reviews"]
    assert waiting["total"] == 1 and waiting["items"][0]["title"] == NAMES[SCHOOL]
    assert 'data-next="round_reviews"' in office.get("/").text
    back = office.post(f"{base}/review", data={"csrf_token": csrf(office),
                                               "decision": "return", "reason": "佐证不全"})
    assert back.status_code == 303
    assert "round_reviews" not in _next(office)
    again = _next(unit)["self_assessments"]["items"][0]
    assert again["state"] == "returned" and again["reason"] == "佐证不全"
    assert "佐证不全" in unit.get("/").text

    # the round's state on the web: only for whoever runs rounds; refused → kept, message
    page = office.get(f"/campaigns/rounds/{rid}")
    assert 'id="state-form"' in page.text
    assert 'id="state-form"' not in unit.get(f"/campaigns/rounds/{rid}").text
    denied = unit.post(f"/campaigns/rounds/{rid}/state",
                       data={"csrf_token": csrf(unit), "state": "reviewing"})
    assert denied.status_code == 403
    bad = office.post(f"/campaigns/rounds/{rid}/state",
                      data={"csrf_token": csrf(office), "state": "bogus"})
    assert bad.status_code == 422 and 'id="state-form"' in bad.text
    moved = office.post(f"/campaigns/rounds/{rid}/state",
                        data={"csrf_token": csrf(office), "state": "reviewing"})
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=state")
    shown = office.get(moved.headers["location"])
    assert 'id="round-state-done"' in shown.text
    # the form offers only the moves round_transitions.csv allows from 审核中
    assert '<option value="open">' in shown.text and '<option value="checking">' in shown.text
    assert '<option value="publicity"' not in shown.text
    assert '<option value="reviewing"' not in shown.text
    jump = office.post(f"/campaigns/rounds/{rid}/state",
                       data={"csrf_token": csrf(office), "state": "publicity"})
    assert jump.status_code == 409 and 'id="state-form"' in jump.text
    assert "审核中" in jump.text and "公示中" in jump.text
    refused = office.post(f"/api/v1/campaigns/rounds/{rid}/state", json={"state": "publicity"},
                          headers={"X-CSRF-Token": csrf(office)})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "round_state_not_allowed"
    assert "self_assessments" not in _next(unit)  # the round no longer takes self-assessments
    twin = office.post(f"/api/v1/campaigns/rounds/{rid}/state", json={"state": "open"},
                       headers={"X-CSRF-Token": csrf(office)})
    assert twin.status_code == 200 and twin.json()["state"] == "open"
    assert _next(unit)["self_assessments"]["total"] == 1
    # a round of the city above: the county office reads it, does not move it
    city = rounds.open_round(world.engine, world.users["admin"], "demonstration_unit",
                             "450300", 2025, title="桂林示范单位", eval_year=2025, eval_month=2)
    above = office.get(f"/campaigns/rounds/{city['id']}")
    assert above.status_code == 200 and 'id="state-form"' not in above.text
    assert office.post(f"/campaigns/rounds/{city['id']}/state", data={
        "csrf_token": csrf(office), "state": "closed"}).status_code == 404


def test_rectification_and_rechecks_on_the_home_pages(world: World) -> None:
    with world.engine.begin() as conn:
        title_awards.award_titles(conn, [{
            "institution_id": world.ids[SCHOOL], "scheme_code": "conservation_organ",
            "round_id": None, "level": "county", "awarded_on": date(2024, 6, 1),
            "valid_until": None}])
    office = world.users["region"]
    rechecks.select_rechecks(world.engine, office, "conservation_organ", "450321",
                             year=2025, awarded_before=date(2025, 1, 1))
    assert _sections(world, "region")["rechecks_to_act"]["items"][0]["state"] == "pending"
    rid = rechecks.list_rechecks(world.engine, office, year=2025)[0]["id"]
    rechecks.record_result(world.engine, office, rid, passed=False, finding="制度未更新",
                           checked_on=date(2025, 3, 1), deadline=date(2025, 4, 1))
    before = _sections(world, "institution", date(2025, 3, 20))["rectifications"]
    assert before["items"][0]["overdue"] is False and before["items"][0]["days_left"] == 12
    late = _sections(world, "institution", date(2025, 4, 5))["rectifications"]["items"][0]
    assert late["overdue"] is True and late["due"] == "2025-04-01"
    assert late["title"] and late["detail"] == "制度未更新"
    assert "rechecks_to_act" not in _sections(world, "region", date(2025, 3, 20))
    act = _sections(world, "region", date(2025, 4, 5))["rechecks_to_act"]["items"][0]
    assert act["state"] == "to_conclude"
    assert "rectifications" not in _sections(world, "department")  # another unit
    assert 'data-next="rectifications"' in world.login("institution").get("/").text


def test_work_plan_items_and_reviews_on_the_home_pages(world: World) -> None:
    office = world.users["region"]
    plan = create_plan(world.engine, office, region_code="450321", year=2025, title="阳朔要点")
    pid = int(plan["id"])
    add_item(world.engine, office, pid, {"item_no": "1", "text": "制定实施方案",
                                         "deadline": "2025-06-10"})
    add_item(world.engine, office, pid, {"item_no": "2", "text": "年底总结",
                                         "deadline": "2025-12-31"})
    unit_item = add_item(world.engine, office, pid, {
        "item_no": "3", "text": "学校垃圾分类", "deadline": "2025-06-10",
        "institution": SCHOOL})
    # the office answers for its region's items without a unit; the unit for its own
    mine = _sections(world, "region", date(2025, 6, 1))["plan_items"]
    assert mine["total"] == 1 and mine["items"][0]["days_left"] == 9
    assert "制定实施方案" in mine["items"][0]["title"]
    late = _sections(world, "region", date(2026, 1, 2))["plan_items"]
    assert late["total"] == 2 and all(i["overdue"] for i in late["items"])
    assert "plan_items" not in _sections(world, "region", date(2025, 1, 1))
    unit = world.login("institution")
    ours = _next(unit)["plan_items"]
    assert ours["total"] == 1 and ours["items"][0]["href"].endswith(f"/items/{unit_item['id']}")
    report_progress(world.engine, world.users["institution"], unit_item["id"],
                    state="done", comment="已完成分类")
    owner = _next(world.login("region"))["plan_reviews"]
    assert owner["total"] == 1 and owner["items"][0]["state"] == "claimed_done"
    assert "plan_reviews" not in _next(world.login("viewer"))
