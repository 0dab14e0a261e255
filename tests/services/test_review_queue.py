"""The review queue at scale and the enforced review chain (issue 11 §1): county →
city (区县初审) and 主管部门先审 in the service, the queue's filters, each row's figures
and 同比 (reference values), and one query per page whatever its size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from jieneng.core.exceptions import Conflict, ValidationFailed
from jieneng.services.entry.imports import import_file
from jieneng.services.workflow import periods as workflow_periods
from jieneng.services.workflow import review as workflow_review
from jieneng.services.workflow import tasks as workflow_tasks
from jieneng.storage.tables import reporting_task
from tests.sample import write_csv
from tests.services.test_reporting import (
    ADMIN,
    CITY,
    COUNTY,
    EDU,
    ORGAN,
    SCHOOL,
    SILENT,
    XIUFENG,
    department,
    task_of,
    world,
)

__all__ = ["world"]


def _submitted(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(reporting_task).values(state="submitted"))


def _ids(queue: dict[str, Any]) -> set[str]:
    return {t["institution"]["credit_code"] for t in queue["items"]}


def test_city_cannot_approve_before_the_county(engine: Engine, world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12",
                                 region_step=True)
    _submitted(engine)
    organ, school = (int(task_of(engine, world, c)["id"]) for c in (ORGAN, SCHOOL))
    assert _ids(workflow_review.review_queue(engine, CITY)) == set()  # all wait for counties
    assert _ids(workflow_review.review_queue(engine, COUNTY)) == {EDU, SCHOOL, SILENT}
    assert _ids(workflow_review.review_queue(engine, XIUFENG)) == {ORGAN}
    with pytest.raises(Conflict) as err:
        workflow_tasks.act(engine, CITY, school, "approve")
    assert err.value.code == "reporting.earlier_step_first"
    refused = workflow_review.bulk_review(engine, CITY, "approve", [(school, None)])
    assert refused["moved"] == [] and refused["refused"][0]["code"] == (
        "reporting.earlier_step_first")
    with pytest.raises(ValidationFailed):  # a county's return needs its reason too
        workflow_review.bulk_review(engine, COUNTY, "return", [(school, None)])
    moved = workflow_review.bulk_review(engine, COUNTY, "approve", [(school, None)])
    assert moved["moved"] == [school]
    assert task_of(engine, world, SCHOOL)["state"] == "region_approved"
    assert _ids(workflow_review.review_queue(engine, CITY)) == {SCHOOL}
    assert SCHOOL not in _ids(workflow_review.review_queue(engine, COUNTY))
    workflow_tasks.act(engine, XIUFENG, organ, "region_approve")
    detail = workflow_tasks.task_detail(engine, CITY, school)
    assert detail["region_step"] and detail["actions"] == ["approve", "return"]
    done = workflow_review.bulk_review(engine, CITY, "approve", [(school, None), (organ, None)])
    assert done["moved"] == sorted([school, organ])
    assert task_of(engine, world, SCHOOL)["state"] == "approved"


def test_department_then_county_then_city(engine: Engine, world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12",
                                 department_step=True, region_step=True)
    _submitted(engine)
    school = int(task_of(engine, world, SCHOOL)["id"])
    dept = department(world)
    assert _ids(workflow_review.review_queue(engine, dept)) == {SCHOOL}
    assert SCHOOL not in _ids(workflow_review.review_queue(engine, COUNTY))
    for reviewer, action in ((CITY, "approve"), (COUNTY, "region_approve")):
        with pytest.raises(Conflict):  # neither the city nor the county before the department
            workflow_tasks.act(engine, reviewer, school, action)
    workflow_tasks.act(engine, dept, school, "dept_approve")
    with pytest.raises(Conflict):  # nor the city before the county
        workflow_tasks.act(engine, CITY, school, "approve")
    assert SCHOOL in _ids(workflow_review.review_queue(engine, COUNTY))
    # the administrator's bulk decision takes the step the task waits for
    assert workflow_review.bulk_review(engine, ADMIN, "approve", [(school, None)])["moved"]
    assert task_of(engine, world, SCHOOL)["state"] == "region_approved"
    workflow_tasks.act(engine, CITY, school, "approve")
    assert task_of(engine, world, SCHOOL)["state"] == "approved"


def test_without_steps_the_city_decides_as_before(engine: Engine,
                                                  world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")
    _submitted(engine)
    assert _ids(workflow_review.review_queue(engine, CITY)) == {ORGAN, EDU, SCHOOL, SILENT}
    # without a county step a county office decides on its units as before
    assert _ids(workflow_review.review_queue(engine, COUNTY)) == {EDU, SCHOOL, SILENT}


def _figures(engine: Engine, tmp_path: Path) -> None:
    header = ["统一社会信用代码", "年", "月", "电(千瓦时)", "水(立方米)"]
    file = write_csv(tmp_path / "c.csv", header,
                     [[SCHOOL, 2024, 12, 10000, 50], [SCHOOL, 2023, 12, 8000, 0],
                      [SCHOOL, 2024, 11, 9000, 40],
                      [SILENT, 2024, 12, 500, 10]])
    import_file(engine, "consumption", file)


def test_rows_carry_figures_and_yoy(engine: Engine, world: dict[str, int],
                                    tmp_path: Path) -> None:
    _figures(engine, tmp_path)
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    _submitted(engine)
    rows = {t["institution"]["credit_code"]: t["totals"]
            for t in workflow_review.review_queue(engine, COUNTY)["items"]}
    school = rows[SCHOOL]
    # 当量值 0.1229 kgce/kWh (pi-published): 10,000 kWh = 1.229 tce; 8,000 kWh = 0.9832 tce
    assert school["energy_tce"] == pytest.approx(1.229)
    assert school["previous_energy_tce"] == pytest.approx(0.9832)
    assert school["yoy_energy_tce"] == pytest.approx(0.25)
    assert school["yoy_electricity_kwh"] == pytest.approx(0.25)
    assert school["water_m3"] == 50 and school["previous_water_m3"] == 0
    assert school["yoy_water_m3"] is None  # the one change rule: no change against zero
    assert rows[SILENT]["previous_energy_tce"] is None and rows[SILENT]["yoy_energy_tce"] is None
    assert rows[EDU]["energy_tce"] is None


def test_task_page_shows_last_month_and_last_year(engine: Engine, world: dict[str, int],
                                                  tmp_path: Path) -> None:
    _figures(engine, tmp_path)
    workflow_periods.open_period(engine, COUNTY, region_code="450321", period="2024-12")
    detail = workflow_tasks.task_detail(engine, COUNTY, int(task_of(engine, world, SCHOOL)["id"]))
    figures = {f["carrier"]: f for f in detail["figures"]}
    assert figures["electricity"]["quantity"] == 10000
    assert figures["electricity"]["previous_month"] == 9000
    assert figures["electricity"]["last_year"] == 8000
    assert figures["electricity"]["yoy"] == pytest.approx(0.25)
    assert figures["water"]["last_year"] == 0 and figures["water"]["yoy"] is None


def test_filters(engine: Engine, world: dict[str, int], tmp_path: Path) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")
    _submitted(engine)
    from tests.services.test_reporting import finding
    finding(engine, world[SILENT], severity="error")
    queue = workflow_review.review_queue
    assert _ids(queue(engine, CITY, region="450321")) == {EDU, SCHOOL, SILENT}
    assert _ids(queue(engine, CITY, region="450302")) == {ORGAN}
    assert _ids(queue(engine, CITY, department=EDU)) == {SCHOOL}
    assert _ids(queue(engine, CITY, category="021")) == {SCHOOL, SILENT}
    assert _ids(queue(engine, CITY, category="02")) == {SCHOOL, SILENT}
    assert _ids(queue(engine, CITY, findings="errors")) == {SILENT}
    assert _ids(queue(engine, CITY, findings="warnings")) == set()
    assert _ids(queue(engine, CITY, state="dept_approved")) == set()
    options = queue(engine, CITY)["options"]
    assert {r["code"] for r in options["regions"]} >= {"450300", "450321", "450302"}
    assert [d["credit_code"] for d in options["departments"]] == [EDU]
    with pytest.raises(ValidationFailed):
        queue(engine, CITY, findings="some")
    with pytest.raises(ValidationFailed):
        queue(engine, CITY, state="approved")


def test_one_query_per_page(engine: Engine, world: dict[str, int]) -> None:
    workflow_periods.open_period(engine, CITY, region_code="450300", period="2024-12")
    _submitted(engine)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    def page_queries(per_page: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            workflow_review.review_queue(engine, CITY, per_page=per_page)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return sum(1 for s in statements if "reporting_task" in s and "consumption" in s)

    assert page_queries(1) == page_queries(4) == 1
