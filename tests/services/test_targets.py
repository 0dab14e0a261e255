"""Targets: who may set them, decomposition preview and save, locked years."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jieneng.core.caller import Actor, User
from jieneng.core.exceptions import (
    Conflict,
    ImportRejected,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from jieneng.services.accounts.accounts import create_user
from jieneng.services.statistics.overview import overview
from jieneng.services.targets import targets
from jieneng.storage import tables as t
from jieneng.storage.consumption import write_consumption
from tests.storage._data import figures, load_directory


def _user(engine: Engine, name: str, role: str, region: str | None = None) -> User:
    return create_user(engine, Actor.cli(), username=name, password="Pass-Word-123",
                       role=role, region_code=region)


@pytest.fixture
def world(engine: Engine) -> dict[str, User]:
    with engine.begin() as conn:
        ids = load_directory(conn)
        write_consumption(conn, figures([
            (ids[2], 2024, 1, "electricity", 100_000.0, None),   # 330102 (杭州)
            (ids[4], 2024, 1, "electricity", 300_000.0, None),   # 330106 (杭州)
            (ids[5], 2024, 1, "electricity", 200_000.0, None),   # 330203 (宁波)
            (ids[1], 2024, 1, "electricity", 50_000.0, None),    # 330100 本级
        ]), source="manual", import_id=None)
    return {
        "admin": _user(engine, "admin1", "admin"),
        "province": _user(engine, "zj", "region", "330000"),
        "city": _user(engine, "hz", "region", "330100"),
        "ningbo": _user(engine, "nb", "region", "330200"),
        "viewer": _user(engine, "view", "viewer", "330000"),
    }


def test_who_may_set_a_target(engine: Engine, world: dict[str, User]) -> None:
    targets.set_target(engine, world["admin"], region_code="330000", year=2025,
                       metric="energy_tce", value=100.0)
    targets.set_target(engine, world["province"], region_code="330100", year=2025,
                       metric="energy_tce", value=60.0)
    with pytest.raises(NotPermitted):   # not its own target
        targets.set_target(engine, world["city"], region_code="330100", year=2025,
                           metric="energy_tce", value=1e9)
    with pytest.raises(NotPermitted):
        targets.set_target(engine, world["viewer"], region_code="330100", year=2025,
                           metric="energy_tce", value=1.0)
    with pytest.raises(NotFound):       # outside its scope
        targets.set_target(engine, world["ningbo"], region_code="330102", year=2025,
                           metric="energy_tce", value=1.0)
    listed = targets.list_for(engine, world["province"], region_code="330000", year=2025)
    assert {(i["region_code"], i["value"]) for i in listed["items"]} == {
        ("330000", 100.0), ("330100", 60.0)}


def test_reduction_targets_are_fractions(engine: Engine, world: dict[str, User]) -> None:
    row = targets.set_target(engine, world["admin"], region_code="330100", year=2025,
                             metric="energy_per_capita_kgce", value=0.011)
    assert row["kind"] == "reduction" and row["base_year"] == 2024
    for value in (1.5, float("nan")):
        with pytest.raises(ValidationFailed):
            targets.set_target(engine, world["admin"], region_code="330100", year=2025,
                               metric="energy_per_capita_kgce", value=value)
    with pytest.raises(ValidationFailed):
        targets.set_target(engine, world["admin"], region_code="330100", year=2025,
                           metric="energy_tce", value=-1.0)
    with pytest.raises(ValidationFailed):
        targets.set_target(engine, world["admin"], region_code="330100", year=2025,
                           metric="power", value=1.0)


def test_decomposition_preview_and_save(engine: Engine, world: dict[str, User]) -> None:
    province = world["province"]
    targets.set_target(engine, world["admin"], region_code="330000", year=2025,
                       metric="energy_tce", value=100.0)
    plan = targets.preview(engine, province, region_code="330000", year=2025,
                           metric="energy_tce")
    bases = {c["code"]: c["base"] for c in plan["children"] if not c["own_level"]}
    data = overview(engine, province.scope, region_code="330000", year=2024)
    by_child = {g["code"]: g["energy_tce"] for g in data["by_child_region"]}
    assert bases == pytest.approx({"330100": by_child["330100"] - by_child.get("330100", 0)
                                   + sum(v for k, v in by_child.items() if k == "330100"),
                                   "330200": by_child["330200"]})
    amounts = {c["code"]: Decimal(repr(c["amount"])) for c in plan["children"]}
    assert sum(amounts.values()) <= Decimal("100")
    assert amounts["330100"] > amounts["330200"]    # 杭州 consumed more in 2024
    # nothing saved by a preview
    with engine.connect() as conn:
        assert conn.execute(select(t.target).where(t.target.c.source == "decomposed")).first() \
            is None
    saved = targets.decompose(engine, province, region_code="330000", year=2025,
                              metric="energy_tce", overrides={"330200": 70.0})
    got = {c["code"]: c["amount"] for c in saved["children"]}
    assert got["330200"] == 70.0 and got["330100"] == pytest.approx(30.0)
    listed = targets.list_for(engine, province, region_code="330000", year=2025)
    assert {i["region_code"]: i["source"] for i in listed["items"]} == {
        "330000": "manual", "330100": "decomposed", "330200": "decomposed"}
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(t.audit_log.c.action))]
    assert "target.decompose" in actions


def test_overrides_above_the_cap_are_refused(engine: Engine, world: dict[str, User]) -> None:
    targets.set_target(engine, world["admin"], region_code="330000", year=2025,
                       metric="water_m3", value=1000.0)
    with pytest.raises(ValidationFailed) as err:
        targets.preview(engine, world["province"], region_code="330000", year=2025,
                        metric="water_m3", overrides={"330100": 800.0, "330200": 500.0})
    assert "300" in err.value.message_en
    with pytest.raises(NotFound):   # no parent cap for this metric
        targets.preview(engine, world["province"], region_code="330000", year=2025,
                        metric="co2_t")


def test_locked_year(engine: Engine, world: dict[str, User]) -> None:
    admin, province = world["admin"], world["province"]
    targets.lock(engine, province, region_code="330000", year=2025)
    with pytest.raises(Conflict):
        targets.set_target(engine, admin, region_code="330100", year=2025,
                           metric="energy_tce", value=1.0)
    with pytest.raises(NotPermitted):
        targets.reopen(engine, world["viewer"], region_code="330000", year=2025)
    targets.reopen(engine, province, region_code="330000", year=2025)
    targets.set_target(engine, admin, region_code="330100", year=2025, metric="energy_tce",
                       value=1.0)
    with pytest.raises(NotFound):
        targets.reopen(engine, province, region_code="330000", year=2025)
    with engine.connect() as conn:
        actions = {r.action for r in conn.execute(select(t.audit_log.c.action))}
    assert {"target.lock", "target.reopen", "target.set"} <= actions


def test_import_a_targets_sheet(engine: Engine, world: dict[str, User], tmp_path: Path) -> None:
    good = tmp_path / "targets.csv"
    good.write_text("行政区划代码,年份,指标,目标值,基准年\n"
                    "330100,2025,能源消费总量,91000,\n"
                    "330100,2025,人均综合能耗,0.9%,2024\n"
                    "330200,2025,water_m3,10400000,\n", encoding="utf-8")
    assert targets.import_targets(engine, world["province"], good)["rows"] == 3
    items = {(i["region_code"], i["metric"]): i for i in targets.list_for(
        engine, world["province"], region_code="330000", year=2025)["items"]}
    assert items[("330100", "energy_per_capita_kgce")]["value"] == pytest.approx(0.009)
    assert items[("330100", "energy_tce")]["source"] == "import"
    bad = tmp_path / "bad.csv"
    bad.write_text("行政区划代码,年份,指标,目标值\n"
                   "330100,2025,能耗,1\n"
                   "330100,2025,能源消费总量,-5\n"
                   "330100,2025,人均综合能耗,150%\n"
                   "330100,1850,用水总量,1\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as err:
        targets.import_targets(engine, world["province"], bad)
    codes = {(i.row, i.code) for i in err.value.issues}
    assert {(2, "import.unknown_target_metric"), (3, "import.bad_target_value"),
            (4, "import.bad_target_value"), (5, "import.bad_year")} <= codes
    outside = tmp_path / "outside.csv"
    outside.write_text("行政区划代码,年份,指标,目标值\n330102,2025,用水总量,1\n"
                       "330203,2025,用水总量,1\n", encoding="utf-8")
    with pytest.raises(NotFound):   # 宁波 is outside 杭州's scope: nothing is written
        targets.import_targets(engine, world["city"], outside)
    with engine.connect() as conn:
        assert conn.execute(select(t.target).where(t.target.c.region_code == "330102")
                            ).first() is None


def test_the_regions_own_units_are_one_of_the_children(engine: Engine,
                                                       world: dict[str, User]) -> None:
    """本级: the institutions registered at the parent itself get their share of the cap
    in proportion to their base, like the child regions (issue 11 §1)."""
    province = world["province"]
    targets.set_target(engine, world["admin"], region_code="330000", year=2025,
                       metric="energy_tce", value=100.0)
    plan = targets.preview(engine, province, region_code="330000", year=2025,
                           metric="energy_tce")
    own = plan["children"][0]
    assert own["own_level"] is True and own["code"] == "330000"
    assert own["name"].endswith("（本级）") and own["base"] == plan["own_level_base"]
    assert [c["own_level"] for c in plan["children"]].count(True) == 1
    fixed = targets.decompose(engine, province, region_code="330000", year=2025,
                              metric="energy_tce", overrides={"330000": 25.0},
                              factors={"330100": 2.0})
    got = {c["code"]: c["amount"] for c in fixed["children"]}
    assert got["330000"] == 25.0 and sum(got.values()) == pytest.approx(100.0)
    listed = targets.list_for(engine, province, region_code="330000", year=2025)
    assert listed["own_level"] == {"energy_tce": 25.0}
    assert listed["children"][0] == {"code": "330000", "name": own["name"], "own_level": True}
    assert {i["region_code"] for i in listed["items"]} == {"330000", "330100", "330200"}
    assert next(i for i in listed["items"] if i["region_code"] == "330000")["value"] == 100.0
