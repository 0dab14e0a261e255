"""Lifecycle moves, boundary and contract on both databases: moves audited with who and
why, capabilities from the permission table, the contract checked on entry (Beijing
rules refused with their article), a boundary meter or account of another institution
refused naming both."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.core.projects.contracts import Contract
from jieneng.core.projects.spec import project_spec
from jieneng.services.metering.registry import MeterSpec, add_meter, bind_account
from jieneng.services.projects.boundary import add_boundary
from jieneng.services.projects.contracts import set_contract
from jieneng.services.projects.lifecycle import move_project
from jieneng.services.projects.registry import create_project, get_project
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    found = load(engine, files)
    create_project(engine, ADMIN, project_spec(
        code="TG-1", name="阳朔一中能源费用托管", type_text="合同能源管理", owners=[SCHOOL],
        subtype_text="能源费用托管型", year=2026, area_m2=20000.0))
    return found


def contract(**kw: object) -> Contract:
    values: dict[str, object] = dict(
        term_start=date(2026, 1, 1), term_end=date(2031, 1, 1), base_start=date(2024, 1, 1),
        base_end=date(2026, 1, 1), price_mode="base_year", fee_base_yuan=1.5e6,
        guaranteed_rate=0.12, carbon_rights="owner", om_scope="空调、照明、供热")
    return Contract(**(values | kw))  # type: ignore[arg-type]


def test_moves_are_audited_and_need_the_roles_capability(
        engine: Engine, ids: dict[str, int]) -> None:
    school = user(Role.INSTITUTION, "450321", ids[SCHOOL], uid=2)
    county = user(Role.REGION, "450321", uid=3)
    done = move_project(engine, school, "TG-1", "审批")
    assert (done["from"], done["to"], done["actor"]) == ("declared", "approval", "institution2")
    with pytest.raises(NotPermitted) as err:  # an institution does not approve its own
        move_project(engine, school, "TG-1", "procurement")
    assert err.value.code == "capability_required"
    move_project(engine, county, "TG-1", "申报", reason="材料不全")
    move_project(engine, school, "TG-1", "approval")
    move_project(engine, county, "TG-1", "procurement")
    with pytest.raises(ValidationFailed) as no_contract:
        move_project(engine, school, "TG-1", "contracted")
    assert no_contract.value.code == "project_contract_required"
    set_contract(engine, school, "TG-1", contract())
    move_project(engine, school, "TG-1", "contracted")
    with pytest.raises(ValidationFailed) as skip:
        move_project(engine, school, "TG-1", "monitoring")
    assert skip.value.code == "project_move_not_allowed"
    full = get_project(engine, school, "TG-1")
    assert [(e["from"], e["to"], e["actor"]) for e in full["events"]] == [
        (None, "declared", "admin1"), ("declared", "approval", "institution2"),
        ("approval", "declared", "region3"), ("declared", "approval", "institution2"),
        ("approval", "procurement", "region3"), ("procurement", "contracted", "institution2")]
    assert full["events"][2]["reason"] == "材料不全"
    assert {m["to"]: m["allowed"] for m in full["moves"]} == {"baseline": True,
                                                            "terminated": False}
    with pytest.raises(ValidationFailed):
        move_project(engine, county, "TG-1", "terminated")
    move_project(engine, county, "TG-1", "终止", reason="业主撤并")
    with engine.connect() as conn:
        moves = conn.execute(select(t.audit_log.c.action).where(
            t.audit_log.c.action == "projects.move")).all()
    assert len(moves) == 6
    silent = user(Role.INSTITUTION, "450321", ids[SILENT], uid=4)
    with pytest.raises(NotFound):
        move_project(engine, silent, "TG-1", "closed")


def test_the_contract_is_checked_on_entry_with_the_rule_set_and_its_sources(
        engine: Engine, ids: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed) as err:
        set_contract(engine, ADMIN, "TG-1", contract(term_end=date(2030, 1, 1)),
                     rule_set="beijing-2022-21")
    assert err.value.code == "project_contract_rule_failed"
    assert "第四条" in err.value.message_zh and "京机管发〔2022〕21号" in err.value.message_zh
    assert "given 4" in err.value.message_en and "required 5–10" in err.value.message_en
    assert err.value.details["failed"] == ["term_years"]
    with pytest.raises(ValidationFailed) as cut:
        set_contract(engine, ADMIN, "TG-1", contract(guaranteed_rate=0.08),
                     rule_set="beijing-2022-21")
    assert cut.value.details["failed"] == ["intensity_cut"]
    stored = set_contract(engine, ADMIN, "TG-1", contract(), rule_set="beijing-2022-21")
    assert stored["rule_set"] == "beijing-2022-21" and stored["fee_base_yuan"] == 1.5e6
    assert all(r["passed"] for r in stored["check_result"])
    assert {r["article"] for r in stored["check_result"]} >= {"第四条", "第六条", "第八条"}
    again = set_contract(engine, ADMIN, "TG-1", contract(fee_base_yuan=1.4e6))  # replaced
    assert again["rule_set"] is None and again["fee_base_yuan"] == 1.4e6
    with pytest.raises(ValidationFailed) as national:
        set_contract(engine, ADMIN, "TG-1", contract(fee_base_yuan=None))
    assert national.value.details["failed"] == ["fee_base"]


def test_a_boundary_meter_or_account_of_another_institution_is_refused_naming_both(
        engine: Engine, ids: dict[str, int]) -> None:
    for code, number in ((SCHOOL, "0300000001"), (ORGAN, "0300000002")):
        bind_account(engine, ADMIN, credit_code=code, carrier_text="电", number=number,
                     valid_from=date(2025, 1, 1))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("S-1", "electricity"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("O-1", "electricity"))
    made = add_boundary(engine, ADMIN, "TG-1", kind="account", carrier="电",
                        account="0300000001")
    assert (made["kind"], made["institution"], made["account"]) == (
        "account", SCHOOL, "0300000001")
    assert add_boundary(engine, ADMIN, "TG-1", kind="meter", meter="S-1")["meter"] == "S-1"
    with pytest.raises(Conflict) as acc:
        add_boundary(engine, ADMIN, "TG-1", kind="account", carrier="电", account="0300000002")
    assert acc.value.code == "project_boundary_other_institution"
    assert "秀峰区演示机关事务服务中心" in acc.value.message_zh
    assert "阳朔县演示第一中学" in acc.value.message_zh and "TG-1" in acc.value.message_zh
    with pytest.raises(Conflict) as met:
        add_boundary(engine, ADMIN, "TG-1", kind="meter", meter="O-1")
    assert "秀峰区演示机关事务服务中心" in met.value.message_en
    assert "meter O-1 belongs to" in met.value.message_en
    county = user(Role.REGION, "450321", uid=3)  # the organ lies outside the county
    with pytest.raises(NotFound):
        add_boundary(engine, county, "TG-1", kind="meter", meter="O-1")
    with pytest.raises(Conflict) as hidden:
        add_boundary(engine, county, "TG-1", kind="account", carrier="电",
                     account="0300000002")
    assert "秀峰区" not in hidden.value.message_zh and "不在您的范围内" in hidden.value.message_zh
    with pytest.raises(Conflict) as twice:
        add_boundary(engine, ADMIN, "TG-1", kind="meter", meter="S-1")
    assert twice.value.code == "project_boundary_twice"
    system = add_boundary(engine, ADMIN, "TG-1", kind="system", description="教学楼中央空调")
    assert system["institution"] == SCHOOL
    full = get_project(engine, ADMIN, "TG-1")
    assert [b["kind"] for b in full["boundary"]] == ["account", "meter", "system"]
