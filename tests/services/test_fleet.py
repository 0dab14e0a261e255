"""services.fleet on both databases: imports all or nothing in scope, the region's NEV
shares (fleet, purchases) against 30 %, the charging-space share against the region's
target (8 % by default), and coal clearance from NY201 and the equipment register."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import ImportRejected, NotFound, ValidationFailed
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.ingest.fleet import plate_key
from jieneng.services.entry.imports import import_file
from jieneng.services.fleet import (
    fleet_summary,
    import_fleet,
    list_fleet,
    set_charging_target,
)
from jieneng.services.forms_ny.imports import import_form
from jieneng.storage import fleet as store
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
COUNTY = user(Role.REGION, "450321", uid=2)
VIEWER = user(Role.VIEWER, "450300", uid=3)
PARKING = ["统一社会信用代码", "年度", "停车位数", "充电车位数"]


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def _vehicles(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "vehicles.csv",
                     ["统一社会信用代码", "车牌号", "燃料类型", "购置年份", "状态", "处置年份"],
                     [[ORGAN, "桂C·00001", "汽油", 2018, "在用", ""],
                      [ORGAN, "桂C·00002", "汽油", 2016, "已处置", 2024],
                      [ORGAN, "桂C·00003", "纯电动", 2024, "在用", ""],
                      [SCHOOL, "桂C·00004", "柴油", 2024, "在用", ""],
                      [SCHOOL, "桂C·00005", "插电混动", 2022, "在用", ""],
                      [SILENT, "桂C·00006", "汽油", 2024, "在用", ""]])


def test_import_then_summary(engine: Engine, world: dict[str, int], files: Files,
                             tmp_path: Path) -> None:
    import_file(engine, "profiles", files.profiles)
    done = import_fleet(engine, ADMIN, _vehicles(tmp_path))
    assert (done.kind, done.stored, done.dry_run) == ("vehicles", 6, False)
    parking = write_csv(tmp_path / "parking.csv", PARKING,
                        [[ORGAN, 2024, 60, 6], [SCHOOL, 2024, 40, 2]])
    import_fleet(engine, ADMIN, parking)
    found = fleet_summary(engine, ADMIN, region_code="450300", year=2024)
    v = found["vehicles"]
    # in service at the end of 2024: 00001, 00003, 00004, 00005, 00006 (00002 disposed)
    assert (v["fleet"], v["fleet_nev"]) == (5, 2)
    assert v["fleet_share"] == pytest.approx(0.4)
    # bought in 2024: 00003 (NEV), 00004, 00006 → 1/3 ≥ 30 %
    assert (v["bought"], v["bought_nev"]) == (3, 1)
    assert v["purchase_share"] == pytest.approx(1 / 3) and v["meets_target"] is True
    assert {f["fuel"]: f["count"] for f in v["by_fuel"]} == {
        "gasoline": 2, "diesel": 1, "bev": 1, "phev": 1}
    # the sample's NY201 profile: 2 petrol cars and 1 NEV in 2025 (none for 2024)
    assert found["statistics"]["total"] == 0 and found["statistics"]["nev_share"] is None
    stats = fleet_summary(engine, ADMIN, region_code="450300", year=2025)["statistics"]
    assert (stats["gasoline"], stats["nev"], stats["total"]) == (2, 1, 3)
    assert stats["nev_share"] == pytest.approx(1 / 3)
    c = found["charging"]
    assert (c["parking_spaces"], c["charging_spaces"]) == (100, 8)
    assert c["share"] == pytest.approx(0.08) and c["target"] == pytest.approx(0.08)
    assert c["meets_target"] is True and c["target_region"] is None
    # 2023: the disposed car was still there; nothing bought
    earlier = fleet_summary(engine, ADMIN, region_code="450300", year=2023)["vehicles"]
    assert (earlier["fleet"], earlier["bought"], earlier["purchase_share"]) == (3, 0, None)
    # the county sees its own institutions only
    county = fleet_summary(engine, COUNTY, region_code=None, year=2024)["vehicles"]
    assert (county["fleet"], county["bought"], county["bought_nev"]) == (3, 2, 0)
    assert county["meets_target"] is False
    with pytest.raises(NotFound):
        fleet_summary(engine, COUNTY, region_code="450302", year=2024)
    listed = list_fleet(engine, COUNTY, "vehicles")
    assert {r["credit_code"] for r in listed} == {SCHOOL, SILENT}
    assert plate_key("桂C·00004") in {r["vehicle_no"] for r in listed}


def test_reimport_replaces_and_a_bad_file_stores_nothing(
        engine: Engine, world: dict[str, int], tmp_path: Path) -> None:
    import_fleet(engine, ADMIN, _vehicles(tmp_path))
    again = write_csv(tmp_path / "again.csv", ["信用代码", "车牌号", "燃料类型", "购置年份"],
                      [[ORGAN, "桂C·00001", "纯电动", 2018]])
    assert import_fleet(engine, ADMIN, again, dry_run=True).stored == 1
    import_fleet(engine, ADMIN, again)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.fleet_vehicle)).scalar() == 6
        fuel = conn.execute(select(store.fleet_vehicle.c.fuel).where(
            store.fleet_vehicle.c.vehicle_no == plate_key("桂C·00001"))).scalar()
    assert fuel == "bev"
    # the county may not import for the city district's organ: all or nothing
    mixed = write_csv(tmp_path / "mixed.csv", ["信用代码", "车辆编号", "燃料类型", "购置年份"],
                      [[SCHOOL, "S-9", "纯电动", 2024], [ORGAN, "O-9", "纯电动", 2024]])
    with pytest.raises(ImportRejected) as caught:
        import_fleet(engine, COUNTY, mixed)
    issue = caught.value.issues[0]
    assert (issue.row, issue.code) == (3, "fleet.import.out_of_scope")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.fleet_vehicle)).scalar() == 6
        batches = conn.execute(select(func.count()).select_from(t.import_batch).where(
            t.import_batch.c.kind == "fleet_vehicles")).scalar()
    assert batches == 2
    with pytest.raises(CapabilityRequired):
        import_fleet(engine, VIEWER, mixed)


def test_charging_target_per_region(engine: Engine, world: dict[str, int],
                                    tmp_path: Path) -> None:
    parking = write_csv(tmp_path / "p.csv", PARKING,
                        [[SCHOOL, 2024, 100, 9]])
    import_fleet(engine, ADMIN, parking)
    set_charging_target(engine, ADMIN, "450300", 0.10)
    found = fleet_summary(engine, ADMIN, region_code="450321", year=2024)["charging"]
    assert found["target"] == pytest.approx(0.10) and found["target_region"] == "450300"
    assert found["meets_target"] is False
    with pytest.raises(ValidationFailed):
        set_charging_target(engine, ADMIN, "450300", 8)
    with pytest.raises(NotFound):
        set_charging_target(engine, COUNTY, "450302", 0.1)


def test_coal_not_cleared_from_figures_and_equipment(
        engine: Engine, world: dict[str, int], tmp_path: Path) -> None:
    figures = write_csv(tmp_path / "coal_figures.csv",
                        ["统一社会信用代码", "年", "月", "电(千瓦时)", "煤炭(吨)"],
                        [[ORGAN, 2024, 1, 1000, 2.5], [SCHOOL, 2024, 1, 1000, 0]])
    import_file(engine, "consumption", figures)
    equipment = write_csv(tmp_path / "equipment.csv",
                          ["统一社会信用代码", "设备编号", "设备类型", "状态", "拆除日期"],
                          [[SCHOOL, "B-1", "燃煤锅炉", "已拆除", "2023-06-30"],
                           [SILENT, "S-1", "燃煤灶具", "在用", ""],
                           [ORGAN, "H-1", "燃煤取暖炉", "已拆除", "2025-03-01"]])
    import_fleet(engine, ADMIN, equipment)
    heating = write_csv(tmp_path / "heating.csv",
                        ["统一社会信用代码", "年", "月", "采暖面积(平方米)", "煤炭(吨)"],
                        [[SCHOOL, 2025, 1, 500, 3], [SCHOOL, 2025, 2, 500, 4]])
    import_form(engine, "heating", heating)
    coal = fleet_summary(engine, ADMIN, region_code="450300", year=2024)["coal"]
    by_code = {r["credit_code"]: r for r in coal["list"]}
    assert set(by_code) == {ORGAN, SILENT}
    assert by_code[ORGAN]["coal_t"] == pytest.approx(2.5) and by_code[ORGAN]["equipment"] == 1
    assert by_code[SILENT]["coal_t"] == 0 and by_code[SILENT]["equipment"] == 1
    assert (coal["institutions"], coal["not_cleared"], coal["cleared"]) == (3, 2, 1)
    assert by_code[ORGAN]["heating_coal_t"] == 0
    later = fleet_summary(engine, ADMIN, region_code="450300", year=2025)["coal"]
    # 2025: the organ's heater went in March; the school burns coal for heating (NY203)
    later_by_code = {r["credit_code"]: r for r in later["list"]}
    assert set(later_by_code) == {SILENT, SCHOOL}
    assert later_by_code[SCHOOL]["heating_coal_t"] == pytest.approx(7)
    assert later_by_code[SCHOOL]["coal_t"] == 0 and later_by_code[SCHOOL]["equipment"] == 0
