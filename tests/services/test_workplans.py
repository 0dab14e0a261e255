"""services.workplans on both databases: import all or nothing, assignment down the
tree, progress reports and review with evidence, indicators computed for all regions at
once (coverage through the adapter, fleet, projects), completion per child region,
reminders once a day, scope."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import ImportRejected, NotFound, ValidationFailed
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.services.fleet import import_fleet
from jieneng.services.workplans.assign import assign_item
from jieneng.services.workplans.imports import import_plan
from jieneng.services.workplans.items import add_item, get_item
from jieneng.services.workplans.plans import create_plan, get_plan, list_plans
from jieneng.services.workplans.progress import (
    plan_progress,
    plan_review,
    region_plan_completion,
)
from jieneng.services.workplans.reminders import remind_overdue
from jieneng.services.workplans.review import get_evidence, report_progress, review_report
from jieneng.storage import workplan_figures
from jieneng.storage import workplans as store
from tests.sample import ORGAN, SCHOOL, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION, "450300", uid=2)
YANGSHUO = user(Role.REGION, "450321", uid=3)
XIUFENG = user(Role.REGION, "450302", uid=4)
VIEWER = user(Role.VIEWER, "450300", uid=5)
HEADERS = ["序号", "上级序号", "事项", "责任地区", "完成时限", "指标", "指标范围", "比较",
           "目标值", "单位"]
PDF = b"%PDF-1.4 evidence"


def _seed(name: str) -> Path:
    return Path(str(resources.files("jieneng.data.workplans").joinpath(name)))


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(store.work_plan_item))
                   .scalar_one())


def test_import_seed_dry_run_then_stored(engine: Engine, world: dict[str, int]) -> None:
    checked = import_plan(engine, CITY, _seed("guilin_2024.csv"), region_code="450300",
                          year=2024, title="2024年全市公共机构节能工作安排", dry_run=True)
    assert (checked.items, checked.dry_run, checked.plan_id) == (15, True, None)
    assert _count(engine) == 0
    done = import_plan(engine, CITY, _seed("guilin_2024.csv"), region_code="450300",
                       year=2024, title="2024年全市公共机构节能工作安排",
                       document_no="市管局〔2024〕4号")
    plan = get_plan(engine, CITY, int(done.plan_id or 0))
    assert len(plan["items"]) == 15 and plan["document_no"] == "市管局〔2024〕4号"
    retrofit = next(i for i in plan["items"] if i["indicator_code"] == "retrofit_area_m2")
    assert retrofit["target_value"] == pytest.approx(180_000.0)
    assert retrofit["comparison"] == ">=" and retrofit["target_unit"] == "m2"
    assert "18 万平方米" in retrofit["source_quote"]
    assert [p["id"] for p in list_plans(engine, YANGSHUO)] == [done.plan_id]


def test_bad_sheet_names_every_problem_and_stores_nothing(
        engine: Engine, world: dict[str, int], tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", HEADERS, [
        ["1", "", "未知指标", "", "2024-12-31", "no_such_thing", "", "", "", ""],
        ["2", "", "目标不是数", "", "2024-12-31", "pv_projects", "", ">=", "五个", ""],
        ["3", "", "时限出年", "", "2025-01-31", "", "", "", "", ""],
        ["3", "", "重复序号", "", "2024-06-30", "", "", "", "", ""],
        ["4", "9", "上级缺失", "", "2024-06-30", "", "", "", "", ""]])
    with pytest.raises(ImportRejected) as err:
        import_plan(engine, CITY, bad, region_code="450300", year=2024)
    found = {(i.row, i.code) for i in err.value.issues}
    assert found >= {(2, "workplans.import.unknown_indicator"),
                     (3, "workplans.import.target_not_number"),
                     (4, "workplans.import.deadline_outside_year"),
                     (5, "workplans.import.duplicate_item"),
                     (6, "workplans.import.parent_missing")}
    issue = next(i for i in err.value.issues if i.row == 3)
    assert issue.column == "目标值" and "五个" in issue.message_zh and "not a number" in \
        issue.message_en
    outside = write_csv(tmp_path / "outside.csv", HEADERS, [
        ["1", "", "区外", "450100", "2024-12-31", "", "", "", "", ""]])
    with pytest.raises(ImportRejected) as err2:
        import_plan(engine, CITY, outside, region_code="450300", year=2024)
    assert [i.code for i in err2.value.issues] == ["workplans.import.region_outside"]
    assert _count(engine) == 0
    with engine.connect() as conn:
        assert store.list_plans(conn) == []


def _plan(engine: Engine) -> int:
    plan = create_plan(engine, CITY, region_code="450300", year=2024, title="测试工作安排")
    return int(plan["id"])


def test_assign_report_review_history(engine: Engine, world: dict[str, int]) -> None:
    plan_id = _plan(engine)
    item = add_item(engine, CITY, plan_id, {
        "item_no": "1", "text": "宣传活动参与人次", "deadline": "2024-12-31",
        "indicator": "publicity_participants", "target": "2000", "comparison": "超"})
    assert item["comparison"] == ">" and item["target_value"] == 2000
    children = assign_item(engine, CITY, item["id"], regions=["450302", "450321"],
                           targets={"450302": 800, "450321": 1200})
    by_region = {c["responsible_region"]: c for c in children}
    assert by_region["450321"]["item_no"] == "1-450321"
    assert by_region["450321"]["target_value"] == 1200
    ys = by_region["450321"]["id"]
    with pytest.raises(NotFound):
        report_progress(engine, XIUFENG, ys, state="done", comment="不是我的")
    with pytest.raises(ValidationFailed) as bad:
        report_progress(engine, YANGSHUO, ys, state="done", comment="x",
                        evidence=[("a.pdf", b"not a pdf")])
    assert bad.value.code == "evidence_content" and bad.value.details["field"] == "evidence"
    for name, content in (("a.exe", b"MZ"), ("a.ofd", b"PK\x03\x04")):
        with pytest.raises(ValidationFailed) as wrong:
            report_progress(engine, YANGSHUO, ys, state="done", comment="x",
                            evidence=[(name, content)])
        assert wrong.value.code == "evidence_type" and ".xls," in wrong.value.message_en
    first = report_progress(engine, YANGSHUO, ys, state="in_progress", comment="节能宣传周",
                            value=700, evidence=[("照片.pdf", PDF)])
    with pytest.raises(CapabilityRequired):
        review_report(engine, VIEWER, first["id"], accept=True)
    with pytest.raises(NotFound):
        review_report(engine, YANGSHUO, first["id"], accept=True)  # not the plan's owner
    with pytest.raises(ValidationFailed):
        review_report(engine, CITY, first["id"], accept=False)
    returned = review_report(engine, CITY, first["id"], accept=False, reason="缺少签到表")
    assert returned["review"] == "returned"
    second = report_progress(engine, YANGSHUO, ys, state="done", comment="补充签到表",
                             value=1300, evidence=[("签到表.pdf", PDF)])
    review_report(engine, CITY, second["id"], accept=True)
    shown = get_item(engine, YANGSHUO, ys)
    assert shown["state"] == "done"
    assert [r["review"] for r in shown["reports"]] == ["accepted", "returned"]
    assert shown["reports"][1]["review_reason"] == "缺少签到表"
    file_id = shown["reports"][0]["files"][0]["id"]
    assert get_evidence(engine, CITY, file_id)["content"] == PDF
    with pytest.raises(NotFound):
        get_evidence(engine, XIUFENG, file_id)
    progress = plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1))
    rows = {i["item_no"]: i for i in progress["items"]}
    assert rows["1-450321"]["value"] == 1300 and rows["1-450321"]["status"] == "done"
    assert rows["1-450321"]["value_source"] == "reported"
    # the parent = the sum of its children (only one has an accepted value)
    assert rows["1"]["value"] == 1300 and rows["1"]["value_source"] == "children"
    assert rows["1"]["share"] == pytest.approx(1300 / 2000)
    assert rows["1"]["status"] == "in_progress" and rows["1-450302"]["status"] == "not_started"
    # a county sees only its own items of the city plan
    mine = plan_progress(engine, YANGSHUO, plan_id, as_of=date(2024, 7, 1))
    assert [i["item_no"] for i in mine["items"]] == ["1-450321"]
    late = plan_progress(engine, CITY, plan_id, as_of=date(2025, 1, 5))
    assert {i["item_no"]: i["status"] for i in late["items"]} == {
        "1": "overdue", "1-450302": "overdue", "1-450321": "done"}
    from jieneng.storage import tables as t

    with engine.connect() as conn:
        actions = set(conn.execute(select(t.audit_log.c.action)).scalars())
    assert {"workplans.create", "workplans.item_add", "workplans.assign", "workplans.report",
            "workplans.review"} <= actions
    review = plan_review(engine, CITY, plan_id, stage="midyear")
    assert review["as_of"] == "2024-06-30"
    assert next(i for i in review["items"] if i["item_no"] == "1-450321")["comment"] == \
        "补充签到表"


def _coverage(rows: dict[str, dict[str, Any]]) -> Any:
    def fn(engine: Engine, region: str, year: int, scheme: str, *, user: Any = None,
           by_child: bool = True) -> list[dict[str, Any]]:
        del engine, year, user, by_child
        assert scheme == "conservation_organ"
        return [{"region_code": code, **row} for code, row in rows.items()
                if code == region or (region.endswith("00") and code[:4] == region[:4])]
    return fn


def test_computed_indicators_and_completion(engine: Engine, world: dict[str, int],
                                            tmp_path: Path) -> None:
    plan_id = _plan(engine)
    rate = add_item(engine, CITY, plan_id, {
        "item_no": "1", "text": "节约型机关创建达标", "deadline": "2024-12-31",
        "indicator": "创建达标率", "indicator_param": "scheme=conservation_organ",
        "target": "85%"})
    assign_item(engine, CITY, rate["id"])
    add_item(engine, CITY, plan_id, {
        "item_no": "2", "text": "充电车位占比", "deadline": "2024-06-30",
        "indicator": "charging_space_share", "target": "8", "unit": "%"})
    import_fleet(engine, ADMIN, write_csv(
        tmp_path / "parking.csv", ["统一社会信用代码", "年度", "停车位数", "充电车位数"],
        [[ORGAN, 2024, 60, 6], [SCHOOL, 2024, 40, 1]]))
    adapter = _coverage({"450300": {"compliance_rate": 0.9},
                         "450302": {"compliance_rate": 1.0},
                         "450321": {"compliance_rate": 0.5}})
    found = plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1), adapter=adapter)
    rows = {i["item_no"]: i for i in found["items"]}
    assert rows["1"]["value"] == pytest.approx(90.0) and rows["1"]["status"] == "done"
    assert rows["1-450302"]["status"] == "done"
    assert rows["1-450321"]["value"] == pytest.approx(50.0)
    assert rows["1-450321"]["share"] == pytest.approx(50 / 85)
    assert rows["1-450321"]["target"]["value"] == 85  # a rate: each county the same bar
    assert rows["2"]["value"] == pytest.approx(7.0) and rows["2"]["status"] == "overdue"
    assert found["summary"]["done"] == 2 and found["summary"]["overdue"] == 1
    # without the coverage service: not available, no value
    absent = plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1),
                           adapter=lambda *a, **k: (_ for _ in ()).throw(LookupError()))
    assert {i["item_no"]: i["value"] for i in absent["items"]}["1"] is None
    table = region_plan_completion(engine, "450300", 2024, as_of=date(2024, 7, 1),
                                   adapter=adapter)
    by_code = {r["region_code"]: r for r in table}
    assert table[0]["region_code"] == "450300"
    assert (by_code["450300"]["items"], by_code["450300"]["done"],
            by_code["450300"]["overdue"]) == (2, 1, 1)
    assert by_code["450321"]["completion_rate"] == 0.0 and by_code["450321"]["on_track"] == 1
    assert by_code["450302"]["completion_rate"] == 1.0
    with pytest.raises(NotFound):
        region_plan_completion(engine, "450300", 2024, user=YANGSHUO)


def test_reminders_once_a_day(engine: Engine, world: dict[str, int]) -> None:
    plan_id = _plan(engine)
    add_item(engine, CITY, plan_id, {"item_no": "1", "text": "报送实施方案",
                                     "deadline": "2024-03-26"})
    dry = remind_overdue(engine, as_of=date(2024, 4, 1), dry_run=True)
    assert dry["overdue"] == 1 and dry["dry_run"]
    done = remind_overdue(engine, as_of=date(2024, 4, 1))
    assert done["overdue"] == 1
    assert remind_overdue(engine, as_of=date(2024, 4, 1))["overdue"] == 0
    assert remind_overdue(engine, as_of=date(2024, 4, 2))["overdue"] == 1


def test_capabilities_and_scope(engine: Engine, world: dict[str, int]) -> None:
    with pytest.raises(CapabilityRequired):
        create_plan(engine, VIEWER, region_code="450300", year=2024, title="x")
    with pytest.raises(NotFound):
        create_plan(engine, YANGSHUO, region_code="450300", year=2024, title="x")
    plan_id = _plan(engine)
    with pytest.raises(NotFound):
        get_plan(engine, user(Role.REGION, "450100", uid=9), plan_id)
    with pytest.raises(ImportRejected):
        add_item(engine, CITY, plan_id, {"item_no": "1", "text": "x",
                                         "deadline": "2023-12-31"})


def test_real_coverage_service(engine: Engine, world: dict[str, int]) -> None:
    """Against R2's coverage service itself: a known scheme gives figures (or None
    where nothing is eligible), an unknown one is not available."""
    plan_id = _plan(engine)
    add_item(engine, CITY, plan_id, {
        "item_no": "1", "text": "创建达标", "deadline": "2024-12-31",
        "indicator": "campaign_compliance_rate", "indicator_param": "scheme=conservation_organ",
        "target": "85"})
    add_item(engine, CITY, plan_id, {
        "item_no": "2", "text": "未知方案", "deadline": "2024-12-31",
        "indicator": "campaign_compliance_rate", "indicator_param": "scheme=no_such_scheme",
        "target": "85"})
    found = plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1))
    rows = {i["item_no"]: i for i in found["items"]}
    assert rows["1"]["available"] is True and rows["1"]["value_source"] == "computed"
    assert rows["2"]["value"] is None


def test_projects_and_statistics_sources(engine: Engine, world: dict[str, int],
                                         files: Files) -> None:
    """Projects counted by type in the plan year (registered; terminated never) and the
    statistics totals as the overview gives them, per responsible region."""
    from jieneng.core.projects.spec import project_spec
    from jieneng.core.scope import Scope
    from jieneng.services.entry.imports import import_file
    from jieneng.services.projects.registry import create_project
    from jieneng.services.statistics.overview import overview

    import_file(engine, "profiles", files.profiles)
    import_file(engine, "consumption", files.consumption)
    for code, owner, kind, kwp in (("PV-1", ORGAN, "分布式光伏", 100.0),
                                   ("PV-2", SCHOOL, "分布式光伏", 50.0),
                                   ("HP-1", SCHOOL, "热泵", None)):
        create_project(engine, ADMIN, project_spec(code=code, name=code, type_text=kind,
                                                   owners=(owner,), year=2025, pv_kwp=kwp))
    plan = create_plan(engine, CITY, region_code="450300", year=2025, title="2025")
    pv = add_item(engine, CITY, int(plan["id"]), {
        "item_no": "1", "text": "光伏", "deadline": "2025-12-31", "indicator": "pv_projects",
        "target": "5"})
    assign_item(engine, CITY, pv["id"], regions=["450321"], targets={"450321": 1})
    add_item(engine, CITY, int(plan["id"]), {
        "item_no": "2", "text": "装机", "deadline": "2025-12-31",
        "indicator": "pv_capacity_kwp", "target": "100"})
    add_item(engine, CITY, int(plan["id"]), {
        "item_no": "3", "text": "能耗总量", "deadline": "2025-12-31",
        "indicator": "energy_tce", "target": "1000000"})
    found = plan_progress(engine, CITY, int(plan["id"]), as_of=date(2025, 6, 30))
    rows = {i["item_no"]: i for i in found["items"]}
    assert rows["1"]["value"] == 2 and rows["1-450321"]["value"] == 1
    assert rows["1-450321"]["status"] == "done" and rows["1"]["share"] == pytest.approx(0.4)
    assert rows["2"]["value"] == pytest.approx(150.0)
    expected = overview(engine, Scope.everything(), region_code="450300", year=2025)
    assert rows["3"]["value"] is not None
    assert rows["3"]["value"] == pytest.approx(expected["energy_tce"])
    assert rows["3"]["status"] == "in_progress"  # under the cap mid-year: on track


def test_institution_reports_only_on_items_naming_it(engine: Engine,
                                                     world: dict[str, int]) -> None:
    school = user(Role.INSTITUTION, None, world[SCHOOL], uid=7)
    plan_id = _plan(engine)
    named = add_item(engine, CITY, plan_id, {
        "item_no": "1", "text": "学校建成示范点", "deadline": "2024-12-31",
        "responsible_region": "450321", "institution": SCHOOL})
    assert named["institution_id"] == world[SCHOOL]
    region_item = add_item(engine, CITY, plan_id, {
        "item_no": "2", "text": "全县宣传", "deadline": "2024-12-31",
        "responsible_region": "450321"})
    done = report_progress(engine, school, named["id"], state="in_progress", comment="建设中")
    assert done["review"] == "pending"
    with pytest.raises(NotFound):
        report_progress(engine, school, region_item["id"], state="done", comment="x")
    with pytest.raises(ImportRejected) as err:
        add_item(engine, CITY, plan_id, {"item_no": "3", "text": "x", "deadline": "2024-12-31",
                                         "responsible_region": "450302",
                                         "institution": SCHOOL})
    assert [i.code for i in err.value.issues] == ["workplans.import.institution_outside"]


def test_coverage_cached_until_a_campaign_write(engine: Engine, world: dict[str, int]) -> None:
    """The coverage rows are kept by the result cache; a campaign write (here a title)
    changes the fingerprint of the campaign tables, so the next page computes again."""
    from datetime import date as day

    from jieneng.services import result_cache
    from jieneng.storage.campaign_rounds import campaign_title

    plan_id = _plan(engine)
    add_item(engine, CITY, plan_id, {
        "item_no": "1", "text": "创建", "deadline": "2024-12-31",
        "indicator": "campaign_titles", "indicator_param": "scheme=conservation_organ",
        "target": "1"})
    first = plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1))
    assert first["items"][0]["value"] == 0
    with engine.connect() as conn:
        before = workplan_figures.campaign_fingerprint(conn)
    hits = result_cache.stats(engine)["hits"]
    plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1))
    assert result_cache.stats(engine)["hits"] > hits
    with engine.begin() as conn:
        conn.execute(campaign_title.insert().values(
            institution_id=world[ORGAN], scheme_code="conservation_organ", level="city",
            awarded_on=day(2024, 3, 1), state="held"))
    with engine.connect() as conn:
        assert workplan_figures.campaign_fingerprint(conn) != before
    again = plan_progress(engine, CITY, plan_id, as_of=date(2024, 7, 1))
    assert again["items"][0]["value"] == 1 and again["items"][0]["status"] == "done"


def test_reminders_reach_the_office_and_its_channels(engine: Engine,
                                                     world: dict[str, int]) -> None:
    """An overdue item of 阳朔: an in-app notification to 阳朔's office account and one
    digest queued in the outbox for 阳朔's channel (no new channel)."""
    from jieneng.core.caller import Actor
    from jieneng.services.accounts.accounts import create_user
    from jieneng.services.notifications import channels
    from jieneng.storage import tables as t

    office = create_user(engine, Actor.cli(), username="yangshuo-office",
                         password="Yangshuo#Office2024", role="region", region_code="450321")
    channels.create_channel(engine, actor=Actor.cli(), region_code="450321", kind="wecom",
                            target="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    plan_id = _plan(engine)
    add_item(engine, CITY, plan_id, {"item_no": "1", "text": "阳朔报送方案",
                                     "responsible_region": "450321",
                                     "deadline": "2024-03-26"})
    done = remind_overdue(engine, as_of=date(2024, 3, 28))
    assert (done["overdue"], done["users"], done["channels"]) == (1, 1, 1)
    with engine.connect() as conn:
        notes = conn.execute(select(t.notification.c.user_id, t.notification.c.body)).all()
        queued = conn.execute(select(func.count()).select_from(t.notify_outbox)).scalar_one()
    assert [n.user_id for n in notes] == [office.id] and "逾期 2 天" in notes[0].body
    assert queued == 1
