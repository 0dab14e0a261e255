"""NY202 / NY203 on both databases: import (good, bad, revisions), entry, PUE from
the form and from bound sub-meters, region summary, rooms above target, scope."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import Conflict, ImportRejected, NotFound, ValidationFailed
from jieneng.core.forms_ny import PueTargets
from jieneng.core.permissions import Role
from jieneng.services.forms_ny.entry import (
    add_room,
    bind_room_meter,
    institution_forms,
    save_heating,
    save_room_figures,
)
from jieneng.services.forms_ny.imports import import_form
from jieneng.services.forms_ny.summaries import month_starts, summary
from jieneng.services.metering.registry import MeterSpec, add_meter
from jieneng.storage import forms_ny as store
from jieneng.storage.meter_readings import write_rollups
from tests.sample import ORGAN, SCHOOL, SILENT, Files, write_csv
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
DC_HEADERS = ["统一社会信用代码", "年", "月", "机房编号", "机房名称", "机房状态",
              "机房建筑面积(平方米)", "机柜总数", "预留机柜数", "机房总用电量(千瓦时)",
              "IT设备用电量(千瓦时)"]


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def datacentre_file(tmp_path: Path, rows: list[list[object]], name: str = "dc.csv") -> Path:
    return write_csv(tmp_path / name, DC_HEADERS, rows)


GOOD = [
    [ORGAN, 2025, 1, "R1", "主机房", "既有", 120, 20, 2, 1_500_000, 1_000_000],
    [ORGAN, 2025, 1, "R2", "新机房", "新建", 60, 10, 0, 1_250_000, 1_000_000],
    [SCHOOL, 2025, 1, "S1", "校园网机房", "", 40, 6, 1, 170_000, 100_000],
]


def test_import_then_summary_pue_weighted_and_above_target(
        engine: Engine, ids: dict[str, int], tmp_path: Path) -> None:
    path = datacentre_file(tmp_path, GOOD)
    dry = import_form(engine, "datacentre", path, dry_run=True)
    assert dry.records == 3 and dry.batch_id is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store.datacentre_room)).scalar() == 0
    report = import_form(engine, "datacentre", path)
    assert report.counts == {"inserted": 3, "revised": 0, "unchanged": 0}
    out = summary(engine, ADMIN, region_code=None, year=2025, month=1)
    pues = {r["room_code"]: (round(r["pue"], 4), r["pue_source"], r["target"], r["above"])
            for r in out["rooms"]}
    assert pues == {"R1": (1.5, "form", 1.6, False), "R2": (1.25, "form", 1.3, False),
                    "S1": (1.7, "form", 1.6, True)}
    assert out["totals"]["rooms"] == 3
    assert out["totals"]["pue"] == pytest.approx(2_920_000 / 2_100_000)
    assert [r["room_code"] for r in out["above"]] == ["S1"]
    stricter = summary(engine, ADMIN, region_code=None, year=2025, month=1,
                       targets=PueTargets(new=1.2, existing=1.6))
    assert [r["room_code"] for r in stricter["above"]] == ["R2", "S1"]
    # a second file revises one room, leaves the others
    again = datacentre_file(tmp_path, [GOOD[0], [*GOOD[1][:9], 1_300_000, 1_000_000]], "b.csv")
    assert import_form(engine, "datacentre", again).counts == {
        "inserted": 0, "revised": 1, "unchanged": 1}
    with engine.connect() as conn:
        rows = conn.execute(select(store.datacentre_record.c.revision,
                                   store.datacentre_record.c.is_current)).all()
    assert sorted(rows) == [(1, False), (1, True), (1, True), (2, True)]


def test_a_bad_file_is_refused_whole_with_row_and_column(
        engine: Engine, ids: dict[str, int], tmp_path: Path) -> None:
    path = datacentre_file(tmp_path, [
        GOOD[0],
        [ORGAN, 2025, 13, "R2", "x", "旧", 10, 5, 6, 100, 200],
        [SCHOOL, 2025, 1, "S1", "y", "", -5, 1, 0, "abc", 10],
    ])
    with pytest.raises(ImportRejected) as err:
        import_form(engine, "datacentre", path)
    found = {(i.row, i.column, i.code) for i in err.value.issues}
    assert (3, "月", "import.bad_period_month") in found
    assert (3, "机房状态", "import.bad_room_status") in found
    assert (3, "机房总用电量(千瓦时)", "import.form_check") in found
    assert (3, "机柜总数", "import.form_check") in found
    assert (4, "机房建筑面积(平方米)", "import.out_of_bounds") in found
    assert (4, "机房总用电量(千瓦时)", "import.not_a_number") in found
    issue = next(i for i in err.value.issues if i.code == "import.form_check")
    assert "IT" in issue.message_zh and "IT" in issue.message_en and issue.file == "dc.csv"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(
            store.datacentre_record)).scalar() == 0


def test_entry_rooms_figures_and_checks(engine: Engine, ids: dict[str, int]) -> None:
    add_room(engine, ADMIN, ORGAN, code="A", name="机房A", status="new")
    with pytest.raises(Conflict):
        add_room(engine, ADMIN, ORGAN, code="A", name="again")
    counts = save_room_figures(engine, ADMIN, ORGAN, room_code="A", year=2025, month=0,
                               values={"area": 50.0, "elec_total": 900.0, "elec_it": 600.0})
    assert counts["inserted"] == 1
    with pytest.raises(ValidationFailed) as err:
        save_room_figures(engine, ADMIN, ORGAN, room_code="A", year=2025, month=0,
                          values={"area": 50.0, "elec_total": 500.0, "elec_it": 600.0})
    assert err.value.details["check"] == "it_le_total"
    save_heating(engine, ADMIN, ORGAN, year=2025, month=0, values={
        "heated_area": 1000.0, "area_independent": 1000.0, "heating_days": 120,
        "natural_gas": 10_000.0, "electricity": 5_000.0})
    forms = institution_forms(engine, ADMIN, ORGAN, year=2025, month=0)
    (room,) = forms["rooms"]
    assert (room["room_code"], room["pue"], room["above"]) == ("A", 1.5, True)
    assert forms["heating"]["heating_energy"] == pytest.approx(10_000 * 1.33 + 5_000 * 0.1229)
    out = summary(engine, ADMIN, region_code=None, year=2025, month=0)
    assert out["heating"]["energy_per_m2"] == pytest.approx((13_300 + 614.5) / 1000)


def test_pue_from_bound_meters_wins_over_the_form(engine: Engine, ids: dict[str, int],
                                                  tmp_path: Path) -> None:
    import_form(engine, "datacentre", datacentre_file(tmp_path, GOOD[:1]))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("DC-IT", "electricity", "01D00"))
    add_meter(engine, ADMIN, ORGAN, MeterSpec("DC-ALL", "electricity", "01D00"))
    bind_room_meter(engine, ADMIN, ORGAN, room_code="R1", role="it", meter_number="DC-IT")
    bind_room_meter(engine, ADMIN, ORGAN, room_code="R1", role="total", meter_number="DC-ALL")
    with pytest.raises(NotFound):
        bind_room_meter(engine, ADMIN, ORGAN, room_code="R1", role="it", meter_number="nope")
    with engine.connect() as conn:
        meters = dict(conn.execute(select(store.datacentre_room_meter.c.role,
                                          store.datacentre_room_meter.c.meter_id)).all())
    (start,) = month_starts(2025, 1)
    with engine.begin() as conn:
        write_rollups(conn, pl.DataFrame({
            "meter_id": [meters["it"], meters["total"]], "level": ["month", "month"],
            "start": [start, start], "energy": [800_000.0, 1_040_000.0],
            "present": [2976, 2976], "expected": [2976, 2976], "flags": [0, 0]}))
    out = summary(engine, ADMIN, region_code=None, year=2025, month=1)
    (room,) = out["rooms"]
    assert (room["pue_source"], room["pue"], room["pue_form"]) == ("meter", 1.3, 1.5)
    assert out["totals"]["pue"] == pytest.approx(1.3)
    forms = institution_forms(engine, ADMIN, ORGAN, year=2025, month=1)
    assert forms["rooms"][0]["meters"] == {"it": "DC-IT", "total": "DC-ALL"}
    # the annual report needs all twelve months metered: the form's figure then
    assert summary(engine, ADMIN, region_code=None, year=2025, month=0)["rooms"] == []
    # a metered month without a record of the form: the room is listed from its meters
    (start,) = month_starts(2025, 2)
    with engine.begin() as conn:
        write_rollups(conn, pl.DataFrame({
            "meter_id": [meters["it"], meters["total"]], "level": ["month", "month"],
            "start": [start, start], "energy": [500_000.0, 800_000.0],
            "present": [2688, 2688], "expected": [2688, 2688], "flags": [0, 0]}))
    (room,) = summary(engine, ADMIN, region_code=None, year=2025, month=2)["rooms"]
    assert (room["room_code"], room["pue"], room["pue_source"], room["elec_total"],
            room["above"]) == ("R1", 1.6, "meter", None, False)


def test_scope_limits_summary_entry_and_import(engine: Engine, ids: dict[str, int],
                                               tmp_path: Path) -> None:
    import_form(engine, "datacentre", datacentre_file(tmp_path, GOOD))
    xiufeng = user(Role.REGION, region="450302", uid=2)
    out = summary(engine, xiufeng, region_code=None, year=2025, month=1)
    assert {r["credit_code"] for r in out["rooms"]} == {ORGAN}
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=3)
    assert {r["room_code"] for r in summary(engine, school, region_code=None, year=2025,
                                            month=1)["rooms"]} == {"S1"}
    with pytest.raises(NotFound):
        institution_forms(engine, school, ORGAN, year=2025, month=1)
    with pytest.raises(NotFound):
        save_room_figures(engine, school, SILENT, room_code="x", year=2025, month=1,
                          values={})
    with pytest.raises(ImportRejected) as err:
        import_form(engine, "datacentre", datacentre_file(tmp_path, GOOD, "c.csv"),
                    scope=school.scope)
    assert {i.code for i in err.value.issues} == {"import.out_of_scope"}


def test_demo_room_bound_to_the_demo_meters_idempotently(engine: Engine,
                                                          ids: dict[str, int]) -> None:
    from jieneng.services.forms_ny.demo import seed_rooms

    assert seed_rooms(engine, "450300") == 0
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("JF-01", "electricity", "01D00"))
    add_meter(engine, ADMIN, SCHOOL, MeterSpec("JF-IT", "electricity", "01D00"))
    assert seed_rooms(engine, "450300") == seed_rooms(engine, "450300") == 1
    (room,) = institution_forms(engine, ADMIN, SCHOOL, year=2025, month=0)["rooms"]
    assert (room["room_code"], room["meters"], round(room["pue"], 2), room["revision"]) == (
        "JF-01", {"it": "JF-IT", "total": "JF-01"}, 1.55, 1)
