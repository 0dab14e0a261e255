"""The project registry on both databases: register (one owner or a packaged project),
region defaults and refusals, unique codes, scope (an institution sees its own, a
county its subtree), roles, the first lifecycle event, the audit."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.core.projects.spec import MeasureSpec, ProjectSpec, project_spec
from jieneng.services.projects.registry import (
    add_measure,
    create_project,
    get_project,
    list_projects,
    update_project,
)
from jieneng.storage import projects as p
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def spec(code: str = "P-1", owners: tuple[str, ...] = (SCHOOL,), kind: str = "能源费用托管",
         **rest: Any) -> ProjectSpec:
    sub = rest.pop("subtype_text", "能源费用托管型" if kind in ("能源费用托管",) else None)
    type_text = "合同能源管理" if kind == "能源费用托管" else kind
    return project_spec(code=code, name=f"项目{code}", type_text=type_text, owners=owners,
                        year=rest.pop("year", 2026), subtype_text=sub,
                        **rest)


def test_register_one_owner_starts_declared_with_an_event_and_an_audit(
        engine: Engine, ids: dict[str, int]) -> None:
    made = create_project(engine, ADMIN, spec(
        area_m2=12000.0, investment_yuan=3.5e6, esco_name="某节能公司",
        measures=(MeasureSpec("LED", "electricity", 2e5, 1.2e5, 14.7, 9e4),)))
    assert made["state"] == "declared" and made["state_zh"] == "征集/申报"
    assert made["type_zh"] == "合同能源管理" and made["subtype_zh"] == "能源费用托管型"
    assert made["region_code"] == "450321" and made["owners"][0]["credit_code"] == SCHOOL
    full = get_project(engine, ADMIN, "P-1")
    assert full["measures"][0]["expected_tce"] == 14.7
    assert [e["to"] for e in full["events"]] == ["declared"]
    assert [m["to"] for m in full["moves"]] == ["approval", "terminated"]
    with engine.connect() as conn:
        actions = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert "projects.create" in actions


def test_a_packaged_project_is_counted_in_the_lowest_region_holding_its_owners(
        engine: Engine, ids: dict[str, int]) -> None:
    made = create_project(engine, ADMIN, spec(owners=(ORGAN, SCHOOL), kind="分布式光伏",
                                              pv_kwp=300.0))
    assert made["region_code"] == "450300"
    assert [o["credit_code"] for o in made["owners"]] == [ORGAN, SCHOOL]
    with pytest.raises(ValidationFailed) as err:
        create_project(engine, ADMIN, spec("P-2", owners=(ORGAN, SCHOOL), kind="热泵",
                                           region_code="450321"))
    assert err.value.code == "project_region_not_holding_owners"
    assert "450302" in err.value.message_zh


def test_codes_are_unique_and_specs_checked(engine: Engine, ids: dict[str, int]) -> None:
    create_project(engine, ADMIN, spec())
    with pytest.raises(Conflict) as err:
        create_project(engine, ADMIN, spec())
    assert err.value.code == "project_code_taken"
    with pytest.raises(ValidationFailed) as bad:
        spec("P-3", kind="合同能源管理", subtype_text=None)
    assert bad.value.code == "project_subtype_required"
    with pytest.raises(ValidationFailed) as neg:
        spec("P-3", kind="分布式光伏", pv_kwp=-1.0)
    assert neg.value.code == "project_figure_invalid" and "pv_kwp" in neg.value.message_en
    with pytest.raises(ValidationFailed) as order:
        spec("P-3", kind="热泵", planned_start=date(2026, 5, 1), planned_end=date(2026, 1, 1))
    assert order.value.code == "project_dates_order"


def test_scope_an_institution_sees_its_own_a_county_its_subtree(
        engine: Engine, ids: dict[str, int]) -> None:
    create_project(engine, ADMIN, spec("P-S", owners=(SCHOOL,)))
    create_project(engine, ADMIN, spec("P-O", owners=(ORGAN,), kind="热泵",
                                       heat_pumps=3))
    create_project(engine, ADMIN, spec("P-B", owners=(ORGAN, SCHOOL), kind="分布式光伏",
                                       pv_kwp=100.0))
    school = user(Role.INSTITUTION, "450321", ids[SCHOOL], uid=2)
    county = user(Role.REGION, "450321", uid=3)
    silent = user(Role.INSTITUTION, "450321", ids[SILENT], uid=4)
    assert [r["code"] for r in list_projects(engine, school)] == ["P-B", "P-S"]
    assert [r["code"] for r in list_projects(engine, county)] == ["P-B", "P-S"]
    assert list_projects(engine, silent) == []
    assert len(list_projects(engine, ADMIN)) == 3
    assert [r["code"] for r in list_projects(engine, ADMIN, types=["heat_pump"])] == ["P-O"]
    assert [r["code"] for r in list_projects(engine, ADMIN, region_code="450302")] == [
        "P-B", "P-O"]
    with pytest.raises(NotFound):
        get_project(engine, school, "P-O")
    with pytest.raises(NotFound) as err:  # an institution registers only its own projects
        create_project(engine, school, spec("P-X", owners=(ORGAN,)))
    assert err.value.code == "project_owner_not_found"
    made = create_project(engine, school, spec("P-Y", owners=(SCHOOL,)))
    assert made["created_by"] == "institution2"


def test_a_viewer_reads_but_registers_nothing(engine: Engine, ids: dict[str, int]) -> None:
    viewer = user(Role.VIEWER, "450300", uid=5)
    with pytest.raises(NotPermitted):
        create_project(engine, viewer, spec())
    create_project(engine, ADMIN, spec())
    assert [r["code"] for r in list_projects(engine, viewer)] == ["P-1"]
    with engine.connect() as conn:
        assert len(conn.execute(select(p.project_owner)).all()) == 1


def test_update_and_measures_are_checked_and_audited(engine: Engine,
                                                     ids: dict[str, int]) -> None:
    create_project(engine, ADMIN, spec())
    done = update_project(engine, ADMIN, "P-1", {"area_m2": 15000.0, "name": "新名称"})
    assert (done["area_m2"], done["name"], done["subtype"]) == (15000.0, "新名称", "trusteeship")
    with pytest.raises(ValidationFailed) as err:
        update_project(engine, ADMIN, "P-1", {"type": "pv"})
    assert err.value.code == "project_field_not_editable"
    with pytest.raises(ValidationFailed) as neg:
        update_project(engine, ADMIN, "P-1", {"pv_kwp": -3.0})
    assert neg.value.code == "project_figure_invalid"
    add_measure(engine, ADMIN, "P-1", MeasureSpec("变频水泵", "electricity", 5e4, 3e4, 3.7))
    assert [m["name"] for m in get_project(engine, ADMIN, "P-1")["measures"]] == ["变频水泵"]
    with engine.connect() as conn:
        actions = set(conn.execute(select(t.audit_log.c.action)).scalars())
    assert {"projects.update", "projects.measure"} <= actions
