"""What the notices count, per region and year, on both databases: area retrofitted, PV
kWp, heat pumps, EPC/托管 projects, data-centre retrofits, by type and state; terminated
projects left out of the totals; per region below; scope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from jieneng.core.permissions import Role
from jieneng.core.projects.spec import project_spec
from jieneng.services.projects.counts import region_counts
from jieneng.services.projects.lifecycle import move_project
from jieneng.services.projects.registry import create_project
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    found = load(engine, files)
    rows: list[tuple[str, str, str | None, list[str], int, dict[str, Any]]] = [
        ("T1", "合同能源管理", "能源费用托管型", [SCHOOL], 2026, {"area_m2": 20000.0}),
        ("E1", "合同能源管理", "节能效益分享型", [ORGAN], 2026, {"area_m2": 5000.0}),
        ("PV1", "分布式光伏", None, [ORGAN, SCHOOL], 2026, {"pv_kwp": 300.0}),
        ("HP1", "热泵", None, [SCHOOL], 2026, {"heat_pumps": 4, "heat_pump_kw": 400.0}),
        ("DC1", "数据中心改造", None, [ORGAN], 2026, {}),
        ("R1", "节能改造", None, [SCHOOL], 2025, {"area_m2": 1000.0}),
        ("X1", "节能改造", None, [SCHOOL], 2026, {"area_m2": 9999.0})]
    for code, kind, sub, owners, year, figures in rows:
        create_project(engine, ADMIN, project_spec(code=code, name=code, type_text=kind,
                                                   owners=owners, subtype_text=sub, year=year,
                                                   **figures))
    move_project(engine, ADMIN, "X1", "terminated", reason="取消")
    for state in ("approval", "procurement", "contracted", "baseline", "implementation",
                  "monitoring"):
        move_project(engine, ADMIN, "PV1", state)
    return found


def test_counts_per_year_type_and_state(engine: Engine, ids: dict[str, int]) -> None:
    got = region_counts(engine, ADMIN, region_code="450300", year=2026)
    reg = got["registered"]
    assert reg["projects"] == 5 and reg["area_m2"] == 25000.0 and reg["pv_kwp"] == 300.0
    assert (reg["heat_pumps"], reg["heat_pump_kw"]) == (4, 400.0)
    assert (reg["epc_projects"], reg["trusteeship_projects"], reg["datacentre_projects"]) == (
        2, 1, 1)
    assert got["in_operation"]["projects"] == 1 and got["in_operation"]["pv_kwp"] == 300.0
    assert got["by_type"]["retrofit"]["projects"] == 0  # the terminated one is left out
    assert got["by_state"]["terminated"]["projects"] == 1
    assert got["by_state"]["monitoring"]["projects"] == 1
    assert got["by_subtype"] == {"shared_savings": 1, "guaranteed_savings": 0,
                                 "trusteeship": 1}
    regions = {r["region_code"]: r["registered"]["projects"] for r in got["regions"]}
    assert regions == {"450300": 1, "450302": 2, "450321": 2}
    assert region_counts(engine, ADMIN, year=2025)["registered"]["area_m2"] == 1000.0


def test_counts_follow_the_scope(engine: Engine, ids: dict[str, int]) -> None:
    county = user(Role.REGION, "450321", uid=3)
    got = region_counts(engine, county, year=2026)
    assert got["region_code"] == "450321"
    assert got["registered"]["projects"] == 3  # T1, HP1 and the packaged PV1
    school = user(Role.INSTITUTION, "450321", ids[SCHOOL], uid=2)
    assert region_counts(engine, school)["registered"]["projects"] == 4
