"""The monthly entry form, its checks, saving as revisions, and the scoped import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.caller import Actor
from jieneng.core.exceptions import ImportRejected, NotFound, NotPermitted, ValidationFailed
from jieneng.core.scope import Scope, ScopeKind
from jieneng.services.directory.records import institution_history
from jieneng.services.entry.entry import check_entry, entry_form, save_entry
from jieneng.services.entry.entry_checks import EntryValue
from jieneng.services.entry.imports import import_file, import_for_scope
from jieneng.services.statistics.indicators import IndicatorQuery, compute
from jieneng.storage.institutions import get_institution
from jieneng.storage.tables import consumption_record
from tests.sample import ORGAN, SCHOOL, Files, write_csv

COUNTY = Scope.region("450321")


@pytest.fixture
def loaded(engine: Engine, files: Files) -> Engine:
    for kind, path in (("regions", files.regions), ("institutions", files.institutions),
                       ("profiles", files.profiles), ("consumption", files.consumption)):
        import_file(engine, kind, path)
    return engine


def records(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(consumption_record)).scalar_one())


def the_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        row = get_institution(conn, code)
    assert row is not None
    return row.id


def test_form_shows_previous_month_and_last_year(loaded: Engine) -> None:
    save_entry(loaded, Scope.everything(), ORGAN, 2024, 2,
               [EntryValue("electricity", "9,000", "千瓦时", 6300)], actor=Actor(None, "clerk"))
    form = entry_form(loaded, Scope.everything(), ORGAN, 2025, 2)
    assert form["previous_period"] == {"year": 2025, "month": 1}
    assert form["last_year_period"] == {"year": 2024, "month": 2}
    assert [f["carrier"] for f in form["fields"]][:2] == ["electricity", "water"]
    assert len(form["fields"]) == 12
    electricity = form["fields"][0]
    assert electricity["unit"] == "kWh" and "万kWh" in electricity["accepted_units"]
    assert electricity["value"] is None and electricity["quantity"] is None
    assert electricity["previous_month"]["quantity"] == 10000
    assert electricity["previous_month"]["cost_yuan"] == 7000
    assert electricity["same_month_last_year"]["quantity"] == 9000
    assert electricity["same_month_last_year"]["entered_value"] == "9,000"
    water = form["fields"][1]
    assert water["previous_month"]["quantity"] == 300 and water["same_month_last_year"] is None
    january = entry_form(loaded, Scope.everything(), ORGAN, 2025, 1)
    assert january["previous_period"] == {"year": 2024, "month": 12}
    stored = january["fields"][0]
    assert (stored["quantity"], stored["cost_yuan"], stored["revision"]) == (10000, 7000, 1)
    assert stored["value"] == "10,000" and stored["recorded_at"]


def test_check_entry_findings(loaded: Engine) -> None:
    save_entry(loaded, Scope.everything(), ORGAN, 2024, 2,
               [EntryValue("electricity", 10000)], actor=Actor(None, "clerk"))
    findings = check_entry(loaded, Scope.everything(), ORGAN, 2025, 2, [
        EntryValue("electricity", 16000),  # +60 % vs January and vs 2024-02
        EntryValue("water", -5),
        EntryValue("natural_gas", 100, "吨"),
        EntryValue("lpg", 3, "桶"),
        EntryValue("heat", "abc"),
        EntryValue("coal", None, None, 50),
        EntryValue("nuclear", 1),
        EntryValue("gasoline_vehicle", 200, "升", -1),
    ])
    by_field = {(f.code, f.field) for f in findings}
    assert by_field == {
        ("entry.jump_mom", "electricity.value"), ("entry.jump_yoy", "electricity.value"),
        ("entry.negative", "water.value"), ("entry.unit_mismatch", "natural_gas.unit"),
        ("entry.unknown_unit", "lpg.unit"), ("entry.not_a_number", "heat.value"),
        ("entry.cost_without_quantity", "coal.value"), ("entry.unknown_carrier", "nuclear"),
        ("entry.negative", "gasoline_vehicle.cost_yuan"),
    }
    jump = next(f for f in findings if f.code == "entry.jump_mom")
    assert jump.severity == "warning"
    assert jump.details["change"] == pytest.approx(0.6)
    assert "上月" in jump.message_zh and "previous month" in jump.message_en
    assert next(f for f in findings if f.code == "entry.negative").severity == "error"
    assert jump.to_dict()["severity"] == "warning"
    # thresholds are parameters; a unit is converted before comparing
    quiet = check_entry(loaded, Scope.everything(), ORGAN, 2025, 2,
                        [EntryValue("electricity", 1.6, "万千瓦时")],
                        mom_threshold=0.7, yoy_threshold=0.7)
    assert quiet == []
    small = check_entry(loaded, Scope.everything(), ORGAN, 2025, 2,
                        [EntryValue("electricity", "1.05", "万kWh")])
    assert [f.code for f in small] == []  # +5 %: under both thresholds
    yoy_only = check_entry(loaded, Scope.everything(), ORGAN, 2025, 2,
                           [EntryValue("electricity", 11500)])
    assert [f.code for f in yoy_only] == ["entry.jump_yoy"]


def test_save_entry_refuses_errors_and_stores_nothing(loaded: Engine) -> None:
    before = records(loaded)
    with pytest.raises(ValidationFailed) as caught:
        save_entry(loaded, Scope.everything(), ORGAN, 2025, 2, [
            EntryValue("electricity", 5000), EntryValue("water", -1)], actor=Actor(None, "clerk"))
    fields = caught.value.details["fields"]
    assert [(f["code"], f["field"]) for f in fields if f["severity"] == "error"] == [
        ("entry.negative", "water.value")]
    assert records(loaded) == before


def test_save_entry_creates_a_revision_on_change(loaded: Engine) -> None:
    result = save_entry(loaded, COUNTY, SCHOOL, 2025, 1, [
        EntryValue("electricity", "2.5", "万千瓦时", 17500), EntryValue("water", 1000)],
        actor=Actor(None, "clerk"))
    assert (result["inserted"], result["revised"], result["unchanged"]) == (0, 1, 1)
    assert result["user"] == "clerk"
    history = institution_history(loaded, SCHOOL, carrier="electricity")
    assert [(h["revision"], h["quantity"], h["is_current"], h["source"]) for h in history] == [
        (2, 25000.0, True, "manual"), (1, 20000.0, False, "file")]
    assert history[0]["entered_unit"] == "万千瓦时" and history[0]["cost_yuan"] == 17500
    total = compute(loaded, IndicatorQuery(region_code="450321", year=2025))
    assert total["energy_tce"] == pytest.approx(25000 * 0.1229 / 1000)
    again = save_entry(loaded, COUNTY, SCHOOL, 2025, 1,
                       [EntryValue("electricity", 25000, "kWh", 17500)], actor=Actor(None, "clerk"))
    assert (again["inserted"], again["revised"], again["unchanged"]) == (0, 0, 1)
    new = save_entry(loaded, COUNTY, SCHOOL, 2025, 2, [EntryValue("electricity", 21000)],
                     actor=Actor(None, "clerk"))
    assert new["inserted"] == 1 and new["warnings"] == []


def test_entry_scope(loaded: Engine) -> None:
    with pytest.raises(NotFound):
        entry_form(loaded, COUNTY, ORGAN, 2025, 1)
    with pytest.raises(NotFound):
        check_entry(loaded, Scope.institution(the_id(loaded, SCHOOL)), ORGAN, 2025, 1, [])
    before = records(loaded)
    with pytest.raises(NotFound):
        save_entry(loaded, COUNTY, ORGAN, 2025, 2, [EntryValue("electricity", 1)],
                   actor=Actor(None, "x"))
    with pytest.raises(NotPermitted):
        save_entry(loaded, Scope(ScopeKind.PUBLIC), SCHOOL, 2025, 2,
                   [EntryValue("electricity", 1)], actor=Actor(None, "x"))
    assert records(loaded) == before
    own = Scope.institution(the_id(loaded, SCHOOL))
    assert entry_form(loaded, own, SCHOOL, 2025, 1)["institution"]["credit_code"] == SCHOOL
    with pytest.raises(ValidationFailed):
        entry_form(loaded, own, SCHOOL, 2025, 13)


def test_import_for_scope_refuses_outside_rows(loaded: Engine, tmp_path: Path) -> None:
    mixed = write_csv(tmp_path / "mixed.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"],
                      [[SCHOOL, 2025, 3, 100], [ORGAN, 2025, 3, 200]])
    before = records(loaded)
    with pytest.raises(ImportRejected, match=r"mixed\.csv") as caught:
        import_for_scope(loaded, COUNTY, "consumption", mixed)
    issues = caught.value.issues
    assert [(i.row, i.code, i.value) for i in issues] == [(3, "import.out_of_scope", ORGAN)]
    assert "权限范围" in issues[0].message_zh
    assert records(loaded) == before
    mine = write_csv(tmp_path / "mine.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"],
                     [[SCHOOL, 2025, 3, 100]])
    dry = import_for_scope(loaded, COUNTY, "consumption", mine, dry_run=True)
    assert dry.dry_run and records(loaded) == before
    report = import_for_scope(loaded, COUNTY, "consumption", mine)
    assert report.counts["inserted"] == 1
    # an institution account may import only its own figures
    own = Scope.institution(the_id(loaded, SCHOOL))
    with pytest.raises(ImportRejected):
        import_for_scope(loaded, own, "consumption", mixed)
    profiles = write_csv(tmp_path / "p.csv", ["统一社会信用代码", "年", "用能人数"],
                         [[ORGAN, 2025, 60]])
    with pytest.raises(ImportRejected) as refused:
        import_for_scope(loaded, own, "profiles", profiles)
    assert refused.value.issues[0].code == "import.out_of_scope"


def test_import_for_scope_directory_and_regions(
    loaded: Engine, files: Files, tmp_path: Path
) -> None:
    header = ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别",
              "主管部门统一社会信用代码", "重点用能单位", "状态"]
    moved = write_csv(tmp_path / "moved.csv", header,
                      [[ORGAN, "秀峰区演示机关事务服务中心", "450321", "01", "", "否", "在用"]])
    with pytest.raises(ImportRejected) as caught:
        import_for_scope(loaded, COUNTY, "institutions", moved)
    assert [(i.code, i.value) for i in caught.value.issues] == [("import.out_of_scope", ORGAN)]
    elsewhere = write_csv(tmp_path / "elsewhere.csv", header,
                          [[SCHOOL, "阳朔县演示第一中学", "450302", "021", "", "否", "在用"]])
    with pytest.raises(ImportRejected) as caught:
        import_for_scope(loaded, COUNTY, "institutions", elsewhere)
    assert [(i.row, i.code) for i in caught.value.issues] == [(2, "import.out_of_scope")]
    renamed = write_csv(tmp_path / "renamed.csv", header,
                        [[SCHOOL, "阳朔县演示第一中学（新校区）", "450321", "021", "", "否",
                          "在用"]])
    assert import_for_scope(loaded, COUNTY, "institutions", renamed).counts == {
        "inserted": 0, "updated": 1}
    with pytest.raises(NotPermitted):
        import_for_scope(loaded, Scope.institution(the_id(loaded, SCHOOL)), "institutions",
                         moved)
    with pytest.raises(NotPermitted):
        import_for_scope(loaded, COUNTY, "regions", files.regions)
    assert import_for_scope(loaded, Scope.everything(), "regions", files.regions).counts == {
        "inserted": 0, "updated": 0}
