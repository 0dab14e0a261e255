"""Bulk binding from a spreadsheet on both databases: all or nothing, dry run, the
registry's checks per row (scope, an account bound elsewhere, a meter already there,
a parent in the file or registered), set-based writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import ImportRejected
from jieneng.core.permissions import Role
from jieneng.services.metering.imports import import_meters
from jieneng.services.metering.listing import institution_registry
from jieneng.services.metering.registry import MeterSpec, add_meter, bind_account
from jieneng.storage import metering as m
from tests.sample import ORGAN, SCHOOL, SILENT, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
HEADER = ["统一社会信用代码", "能源品种", "户号", "供电公司", "绑定日期", "表号", "分项编码",
          "倍率", "上级表号"]


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(tb)).scalar_one())
                     for tb in (m.metering_account, m.metering_binding, m.metering_meter))


def good(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "bind.csv", HEADER, [
        [ORGAN, "电", "0301", "广西电网", "2026-01-01", "TOTAL", "01000", "4000", ""],
        [ORGAN, "电", "0301", "", "", "AC", "01B00", "", "TOTAL"],
        [ORGAN, "水", "W-1", "桂林水务", "2026-01-01", "", "", "", ""],
        [SCHOOL, "电", "0302", "", "2026-01-01", "S1", "", "", ""],
    ])


def test_dry_run_stores_nothing_then_the_import_stores_everything(
    engine: Engine, ids: dict[str, int], tmp_path: Path
) -> None:
    path = good(tmp_path)
    dry = import_meters(engine, ADMIN, path, dry_run=True)
    assert (dry.bindings, dry.meters, dry.dry_run) == (3, 3, True)
    assert counts(engine) == (0, 0, 0)
    done = import_meters(engine, ADMIN, path)
    assert (done.bindings, done.meters) == (3, 3)
    assert counts(engine) == (3, 3, 3)
    organ = institution_registry(engine, ADMIN, ORGAN)
    assert {(a["carrier"], a["number"]) for a in organ["accounts"]} == {
        ("electricity", "0301"), ("water", "W-1")}
    meters = {x["number"]: x for x in organ["meters"]}
    assert meters["AC"]["parent"] == "TOTAL" and meters["TOTAL"]["multiplier"] == 4000
    assert meters["AC"]["account"] == "0301"


def test_registry_conflicts_reject_the_whole_file(
    engine: Engine, ids: dict[str, int], tmp_path: Path
) -> None:
    bind_account(engine, ADMIN, credit_code=SILENT, carrier_text="电", number="0999",
                 valid_from=date(2025, 1, 1))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("OLD", "electricity"))
    before = counts(engine)
    path = write_csv(tmp_path / "bad.csv", HEADER, [
        [ORGAN, "电", "0301", "", "", "NEW", "", "", ""],       # fine on its own
        [ORGAN, "电", "0999", "", "", "", "", "", ""],          # bound to SILENT
        [ORGAN, "电", "", "", "", "OLD", "", "", ""],           # already registered
        [ORGAN, "电", "", "", "", "X", "", "", "NOPE"],         # unknown parent
        [ORGAN, "电", "", "", "", "P", "", "", "Q"],            # a loop of parents
        [ORGAN, "电", "", "", "", "Q", "", "", "P"],
    ])
    with pytest.raises(ImportRejected) as err:
        import_meters(engine, ADMIN, path)
    got = [(i.row, i.column, i.code) for i in err.value.issues]
    assert (3, "户号", "metering.registry.account_bound_elsewhere") in got
    assert (4, "表号", "metering.registry.meter_exists") in got
    assert (5, "上级表号", "metering.registry.parent_missing") in got
    assert (None, "上级表号", "metering.parent_cycle") in got
    bound = next(i for i in err.value.issues if i.row == 3)
    assert "阳朔县演示第二中学" in bound.message_zh and bound.file == "bad.csv"
    assert counts(engine) == before


def test_a_school_imports_only_for_itself(engine: Engine, ids: dict[str, int],
                                          tmp_path: Path) -> None:
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=7)
    path = write_csv(tmp_path / "s.csv", HEADER, [
        [SCHOOL, "电", "0302", "", "", "S1", "", "", ""],
        [ORGAN, "电", "0301", "", "", "", "", "", ""],
    ])
    with pytest.raises(ImportRejected) as err:
        import_meters(engine, school, path)
    assert [(i.row, i.code) for i in err.value.issues] == [
        (3, "metering.registry.out_of_scope")]
    assert counts(engine) == (0, 0, 0)
    ok = write_csv(tmp_path / "s2.csv", HEADER, [[SCHOOL, "电", "0302", "", "", "S1", "", "",
                                                  ""]])
    assert import_meters(engine, school, ok).meters == 1
