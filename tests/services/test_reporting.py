"""The reporting workflow: periods, tasks, review, optimistic locking, locked figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update

from jieneng.core.caller import User
from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.core.scope import Filters
from jieneng.services.entry.entry import save_entry
from jieneng.services.entry.entry_checks import EntryValue
from jieneng.services.entry.imports import import_file
from jieneng.services.workflow import periods as workflow_periods
from jieneng.services.workflow import questions as workflow_questions
from jieneng.services.workflow import review as workflow_review
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.storage import reporting as store
from jieneng.storage.institutions import get_institution
from jieneng.storage.tables import (
    audit_log,
    consumption_record,
    quality_finding,
    reporting_task,
    task_transition,
)
from tests.sample import make_files, write_csv

ORGAN = make_credit_code("11", "450302", 1001)
EDU = make_credit_code("11", "450321", 3001)
SCHOOL = make_credit_code("12", "450321", 3002)
SILENT = make_credit_code("12", "450321", 3003)
LATER = make_credit_code("12", "450321", 3004)
HEADER = ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
          "重点用能单位", "状态"]
ROWS = [
    [ORGAN, "秀峰区演示机关事务服务中心", "450302", "01", "", "否", "在用"],
    [EDU, "阳朔县演示教育局", "450321", "01", "", "否", "在用"],
    [SCHOOL, "阳朔县演示第一中学", "450321", "021", EDU, "否", "在用"],
    [SILENT, "阳朔县演示第二中学", "450321", "021", "", "否", "在用"],
]


def user(role: Role, *, uid: int = 1, region: str | None = None,
         institution: int | None = None) -> User:
    return User(id=uid, username=f"{role.value}{uid}", display_name="", role=role,
                region_code=region, institution_id=institution, is_locked=False,
                locked_until=None, created_at=None)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> dict[str, int]:
    files = make_files(tmp_path)
    directory = write_csv(tmp_path / "dir.csv", HEADER, ROWS)
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", directory)
    with engine.connect() as conn:
        ids = {}
        for code in (ORGAN, EDU, SCHOOL, SILENT):
            row = get_institution(conn, code)
            assert row is not None
            ids[code] = row.id
    return ids


ADMIN = user(Role.ADMIN, uid=1)
CITY = user(Role.REGION, uid=2, region="450300")
COUNTY = user(Role.REGION, uid=3, region="450321")
XIUFENG = user(Role.REGION, uid=4, region="450302")


def clerk(ids: dict[str, int], code: str = SCHOOL) -> User:
    return user(Role.INSTITUTION, uid=10, institution=ids[code])


def department(ids: dict[str, int]) -> User:
    return user(Role.DEPARTMENT, uid=11, institution=ids[EDU])


def task_of(engine: Engine, ids: dict[str, int], code: str) -> dict[str, Any]:
    with engine.connect() as conn:
        rows, _ = store.task_page(conn, Filters(institution_ids=[ids[code]]), limit=5)
    assert len(rows) == 1
    found: dict[str, Any] = rows[0]
    return found


def finding(engine: Engine, institution_id: int, *, severity: str, month: int = 12,
            state: str = "open", rule: str = "negative") -> None:
    with engine.begin() as conn:
        conn.execute(insert(quality_finding).values(
            institution_id=institution_id, year=2024, month=month, carrier="electricity",
            rule=rule, severity=severity, state=state, found_at=datetime.now(UTC)))


def test_open_period_creates_one_task_per_active_institution_and_syncs(
    engine: Engine, world: dict[str, int], tmp_path: Path,
) -> None:
    opened = workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")
    assert opened["created"] and opened["tasks_added"] == 4
    again = workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")
    assert not again["created"] and again["tasks_added"] == 0 and again["id"] == opened["id"]
    later = write_csv(tmp_path / "later.csv", HEADER,
                      [*ROWS, [LATER, "阳朔县演示第三中学", "450321", "021", "", "否", "在用"]])
    import_file(engine, "institutions", later)
    assert workflow_periods.open_period(engine, CITY, region_code="450300",
                                        period="2024-12")["tasks_added"] == 1
    tasks = workflow_tasks.list_tasks(engine, COUNTY)
    assert tasks["total"] == 4 and {t["state"] for t in tasks["items"]} == {"not_started"}
    assert workflow_tasks.list_tasks(engine, clerk(world))["total"] == 1
    periods = workflow_periods.list_periods(engine, COUNTY)
    assert [p["period"] for p in periods] == ["2024-12"] and periods[0]["tasks"] == 4
    with engine.connect() as conn:
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert {"reporting.open", "reporting.sync"} <= actions


def test_only_offices_open_periods_inside_their_scope(engine: Engine,
                                                      world: dict[str, int]) -> None:
    with pytest.raises(NotPermitted):
        workflow_periods.open_period(engine, clerk(world), region_code="450321", period="2024-12")
    with pytest.raises(NotPermitted):
        workflow_periods.open_period(engine, department(world), region_code="450321", period="2024")
    with pytest.raises(NotFound):
        workflow_periods.open_period(engine, COUNTY, region_code="450302", period="2024-12")
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    with pytest.raises(Conflict):  # the city's period would overlap the county's
        workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")


def test_a_clerk_cannot_submit_with_an_error_finding(engine: Engine,
                                                     world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    me = clerk(world, SILENT)
    save_entry(engine, me.scope, SILENT, 2024, 12, [EntryValue("electricity", 100)],
               actor=me.actor)
    task = task_of(engine, world, SILENT)
    assert task["state"] == "in_progress"  # the save started the report
    finding(engine, world[SILENT], severity="error")
    with pytest.raises(ValidationFailed, match="错误"):
        workflow_tasks.act(engine, me, int(task["id"]), "submit")
    with engine.begin() as conn:
        conn.execute(update(quality_finding).values(severity="warning"))
    with pytest.raises(ValidationFailed, match="说明"):
        workflow_tasks.act(engine, me, int(task["id"]), "submit")
    with engine.begin() as conn:
        conn.execute(update(quality_finding).values(state="explained", explanation="换表"))
    moved = workflow_tasks.act(engine, me, int(task["id"]), "submit")
    assert moved["state"] == "submitted"
    detail = workflow_tasks.task_detail(engine, me, int(task["id"]))
    assert [h["action"] for h in detail["history"]] == ["save", "submit"]
    assert detail["actions"] == ["withdraw"]


def test_a_reviewer_cannot_approve_outside_scope(engine: Engine, world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")
    task = task_of(engine, world, SILENT)
    with engine.begin() as conn:
        conn.execute(update(reporting_task).where(reporting_task.c.id == task["id"])
                     .values(state="submitted"))
    with pytest.raises(NotFound):
        workflow_tasks.act(engine, XIUFENG, int(task["id"]), "approve")
    with pytest.raises(NotFound):
        workflow_tasks.task_detail(engine, clerk(world, ORGAN), int(task["id"]))
    with pytest.raises(NotPermitted):  # the institution's own clerk does not review
        workflow_tasks.act(engine, clerk(world, SILENT), int(task["id"]), "approve")
    result = workflow_review.bulk_review(engine, XIUFENG, "approve", [(int(task["id"]), None)])
    assert result["moved"] == [] and result["refused"][0]["kind"] == "not_found"
    assert result["refused"][0]["code"] == "workflow.task_not_found"
    assert workflow_tasks.act(engine, COUNTY, int(task["id"]), "approve")["state"] == "approved"


def test_concurrent_changes_are_detected(engine: Engine, world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    me = clerk(world, SILENT)
    save_entry(engine, me.scope, SILENT, 2024, 12, [EntryValue("electricity", 100)],
               actor=me.actor)
    task = task_of(engine, world, SILENT)
    version = int(task["version"])
    workflow_tasks.act(engine, me, int(task["id"]), "submit", version=version)
    with pytest.raises(Conflict):  # a second tab read the same version
        workflow_tasks.act(engine, COUNTY, int(task["id"]), "return", version=version,
                           reason="电量偏高")
    with engine.begin() as conn:  # the lock itself: 0 rows for a stale version
        assert not store.move_task(conn, int(task["id"]), read_version=version,
                                   to_state="returned", at=datetime.now(UTC))
    with pytest.raises(ValidationFailed):  # a return needs a reason
        workflow_tasks.act(engine, COUNTY, int(task["id"]), "return", version=version + 1)
    assert workflow_tasks.act(engine, COUNTY, int(task["id"]), "return", version=version + 1,
                              reason="电量偏高")["state"] == "returned"


def test_locked_figures_refuse_entry_and_import(engine: Engine, world: dict[str, int],
                                                tmp_path: Path) -> None:
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    me = clerk(world, SILENT)
    save_entry(engine, me.scope, SILENT, 2024, 12, [EntryValue("electricity", 100)],
               actor=me.actor)
    task = task_of(engine, world, SILENT)
    workflow_tasks.act(engine, me, int(task["id"]), "submit")
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(consumption_record)).scalar_one()
    with pytest.raises(Conflict, match="已锁定") as err:
        save_entry(engine, me.scope, SILENT, 2024, 12, [EntryValue("electricity", 200)],
                   actor=me.actor)
    assert "阳朔县演示第二中学" in err.value.message_zh and "已上报" in err.value.message_zh
    file = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"],
                     [[SCHOOL, 2024, 12, 50], [SILENT, 2024, 12, 300]])
    with pytest.raises(Conflict, match="2024年12月"):
        import_file(engine, "consumption", file)
    with pytest.raises(Conflict):
        import_file(engine, "consumption", file, dry_run=True)
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(consumption_record)).scalar_one()
    assert after == before
    # another month is not locked; withdrawing unlocks
    save_entry(engine, me.scope, SILENT, 2024, 11, [EntryValue("electricity", 90)],
               actor=me.actor)
    workflow_tasks.act(engine, me, int(task["id"]), "withdraw")
    import_file(engine, "consumption", file)
    assert task_of(engine, world, SCHOOL)["state"] == "in_progress"
    with engine.connect() as conn:
        saves = conn.execute(select(func.count()).select_from(task_transition)
                             .where(task_transition.c.action == "save")).scalar_one()
    assert saves == 2  # SILENT's first save and SCHOOL's import; in_progress stays put


def test_annual_period_locks_every_month_and_counts_findings_of_the_year(
    engine: Engine, world: dict[str, int], tmp_path: Path,
) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024")
    task = task_of(engine, world, ORGAN)
    finding(engine, world[ORGAN], severity="warning", month=3)
    finding(engine, world[ORGAN], severity="error", month=0, rule="missing_month")
    detail = workflow_tasks.task_detail(engine, CITY, int(task["id"]))
    assert detail["errors"] == 1 and detail["unexplained_warnings"] == 1
    assert len(detail["findings"]) == 2
    with engine.begin() as conn:
        conn.execute(update(reporting_task).values(state="approved"))
    file = write_csv(tmp_path / "c.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"],
                     [[ORGAN, 2024, 5, 50]])
    with pytest.raises(Conflict, match="年报"):
        import_file(engine, "consumption", file)


def test_department_step_and_bulk_review(engine: Engine, world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12",
                                 department_step=True)
    tasks = {code: task_of(engine, world, code) for code in (EDU, SCHOOL, SILENT)}
    with engine.begin() as conn:
        conn.execute(update(reporting_task).values(state="submitted"))
    dept = department(world)
    queue = workflow_review.review_queue(engine, dept)
    assert [t["institution"]["credit_code"] for t in queue["items"]] == [SCHOOL]
    office = workflow_review.review_queue(engine, COUNTY)
    assert {t["institution"]["credit_code"] for t in office["items"]} == {EDU, SILENT}
    school = int(tasks[SCHOOL]["id"])
    with pytest.raises(Conflict):  # the office cannot skip the department
        workflow_tasks.act(engine, COUNTY, school, "approve")
    moved = workflow_review.bulk_review(engine, dept, "approve", [(school, None)])
    assert moved["moved"] == [school]
    assert {t["id"] for t in workflow_review.review_queue(engine, COUNTY)["items"]} == {
        school, int(tasks[EDU]["id"]), int(tasks[SILENT]["id"])}
    edu, silent = int(tasks[EDU]["id"]), int(tasks[SILENT]["id"])
    with pytest.raises(ValidationFailed):
        workflow_review.bulk_review(engine, COUNTY, "return", [(edu, None)])  # no reason
    result = workflow_review.bulk_review(engine, COUNTY, "approve",
                                         [(school, None), (edu, None), (silent, 99)])
    assert result["moved"] == sorted([school, edu])
    assert [(r["id"], r["kind"]) for r in result["refused"]] == [(silent, "conflict")]
    assert result["refused"][0]["code"] == "workflow.task_changed"
    with engine.connect() as conn:
        rows = conn.execute(select(reporting_task.c.id, reporting_task.c.state)).all()
        states = {int(r[0]): str(r[1]) for r in rows}
        history = conn.execute(select(func.count()).select_from(task_transition)).scalar_one()
    assert states[school] == states[edu] == "approved" and states[silent] == "submitted"
    assert history == 3
    reopened = workflow_tasks.act(engine, COUNTY, school, "reopen", reason="抽查发现差错")
    assert reopened["state"] == "in_progress"


def test_questions_are_asked_by_reviewers_and_answered_by_the_filer(
    engine: Engine, world: dict[str, int],
) -> None:
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    task = int(task_of(engine, world, SILENT)["id"])
    me = clerk(world, SILENT)
    with pytest.raises(NotPermitted):
        workflow_questions.ask(engine, me, task, month=12, carrier="electricity", question="?")
    with pytest.raises(ValidationFailed):
        workflow_questions.ask(engine, COUNTY, task, month=11, carrier="electricity", question="?")
    asked = workflow_questions.ask(engine, COUNTY, task, month=12, carrier="electricity",
                                   question="12月电量为何翻倍？")
    with pytest.raises(ValidationFailed) as unknown:  # a carrier of the form, not free text
        workflow_questions.ask(engine, COUNTY, task, month=12, carrier="电费", question="?")
    assert unknown.value.code == "carriers.unknown_carrier_code"
    workflow_questions.answer(engine, me, task, asked["id"], text="新增空调")
    detail = workflow_tasks.task_detail(engine, me, task)
    shown = detail["questions"][0]
    assert shown["answer"] == "新增空调" and shown["carrier"] == "electricity"
    # the callers here have no stored account: no username to show, the times still
    assert "asked_by" in shown and shown["asked_at"] and shown["answered_at"]


def test_a_reviewer_opening_a_submitted_task_reruns_the_rules(
    engine: Engine, world: dict[str, int],
) -> None:
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    me = clerk(world, SILENT)
    save_entry(engine, me.scope, SILENT, 2024, 12, [EntryValue("electricity", 100)],
               actor=me.actor)
    task = task_of(engine, world, SILENT)
    workflow_tasks.act(engine, me, int(task["id"]), "submit")
    # a stale finding (the figure is positive): the filer still sees it, a reviewer
    # opening the task gets the rules run again and it is gone
    finding(engine, world[SILENT], severity="warning", rule="negative_value")
    rules = {f["rule"] for f in workflow_tasks.task_detail(engine, me, int(task["id"]))["findings"]}
    assert "negative_value" in rules
    detail = workflow_tasks.task_detail(engine, COUNTY, int(task["id"]))
    rules = {f["rule"] for f in detail["findings"]}
    assert "negative_value" not in rules
