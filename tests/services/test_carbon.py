"""Event carbon and the carbon-points ledger (issue 14 §6) on both databases: the
result by source with the factor set's factors, refusal of a mode without a factor until
an administrator sets it, offsets with evidence checks, 碳中和, scope; the points import
(all or nothing, errors by row and column, re-import idempotent, a changed quantity
refused), daily caps, leaderboards per institution and per capita, monthly totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.exceptions import ImportRejected, NotFound, NotPermitted, ValidationFailed
from jieneng.core.factors.sets import factor_set
from jieneng.core.permissions import Role
from jieneng.services.carbon.events import (
    EventSpec,
    add_offset,
    create_event,
    get_event,
    list_events,
)
from jieneng.services.carbon.factors import set_factor
from jieneng.services.carbon.points import import_points, leaderboards
from jieneng.storage import carbon as store
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def meeting(**lines: float) -> EventSpec:
    return EventSpec(credit_code=SCHOOL, name="节能工作会", start_date=date(2024, 6, 13),
                     end_date=date(2024, 6, 14), attendees=120, place="阳朔", lines=lines)


def test_event_result_by_source_uses_the_factor_set(engine: Engine, ids: dict[str, int]
                                                    ) -> None:
    made = create_event(engine, ADMIN, meeting(venue_electricity=2000, venue_natural_gas=100,
                                               travel_car_gasoline=300,
                                               accommodation_electricity=1500,
                                               catering_lpg=40))
    fs = factor_set()
    grid = fs.co2_kg_per_unit("electricity", year=2024, province_code="450321")
    gas = fs.co2_kg_per_unit("natural_gas", year=2024).value
    petrol = fs.co2_kg_per_unit("gasoline_vehicle", year=2024).value
    lpg = fs.co2_kg_per_unit("lpg", year=2024).value
    assert grid.value is not None and gas and petrol and lpg
    venue = (2000 * grid.value + 100 * gas) / 1000
    assert made["by_category"]["venue"] == pytest.approx(venue)
    assert made["by_category"]["travel"] == pytest.approx(300 * petrol / 1000)
    assert made["by_category"]["accommodation"] == pytest.approx(1500 * grid.value / 1000)
    assert made["by_category"]["catering"] == pytest.approx(40 * lpg / 1000)
    assert made["total_t"] == pytest.approx(sum(made["by_category"].values()))
    line = next(x for x in made["lines"] if x["code"] == "venue_electricity")
    assert line["factor"]["source"].startswith("pi-published")
    assert "2023" in line["factor"]["source"] and line["factor"]["note"]  # 2024 → 2023
    assert made["neutral"] is False and made["offsets_t"] == 0


def test_a_mode_without_a_factor_is_refused_until_an_administrator_sets_it(
        engine: Engine, ids: dict[str, int]) -> None:
    with pytest.raises(ValidationFailed, match="高铁") as err:
        create_event(engine, ADMIN, meeting(travel_hsr=12000))
    assert err.value.code == "carbon_factor_missing"
    assert "administrator" in err.value.message_en
    with engine.connect() as conn:  # nothing half-stored
        assert conn.execute(select(func.count()).select_from(store.carbon_event)).scalar() == 0
    with pytest.raises(ValidationFailed, match="source"):
        set_factor(engine, ADMIN, "travel_hsr", 0.05, "")
    with pytest.raises(ValidationFailed) as from_set:
        set_factor(engine, ADMIN, "venue_electricity", 0.5, "x")
    assert from_set.value.code == "carbon_factor_from_set"
    with pytest.raises(NotPermitted):
        set_factor(engine, user(Role.REGION, "450300"), "travel_hsr", 0.05, "x")
    set_factor(engine, ADMIN, "travel_hsr", 0.05, "a published guideline, clause x")
    made = create_event(engine, ADMIN, meeting(travel_hsr=12000))
    assert made["total_t"] == pytest.approx(0.6)
    assert made["lines"][0]["factor"]["set_by"] == ADMIN.username


def test_offsets_evidence_and_neutrality(engine: Engine, ids: dict[str, int],
                                         tmp_path: Path) -> None:
    made = create_event(engine, ADMIN, meeting(venue_electricity=1000))
    event_id = int(made["event"]["id"])
    total = made["total_t"]
    for name, content, code in (("a.exe", b"MZ", "evidence_type"),
                                ("a.pdf", b"not a pdf", "evidence_content"),
                                ("a.pdf", b"", "evidence_empty"),
                                ("a.doc", b"\xd0\xcf\x11\xe0", "evidence_type"),
                                ("a.ofd", b"%PDF-1.4", "evidence_content"),
                                ("a.pdf", b"%PDF" + bytes(20 << 20), "evidence_too_large")):
        with pytest.raises(ValidationFailed) as err:
            add_offset(engine, ADMIN, event_id, kind="ccer", quantity_t=1, file_name=name,
                       content=content)
        assert err.value.code == code
    with pytest.raises(ValidationFailed, match="ccer"):
        add_offset(engine, ADMIN, event_id, kind="magic", quantity_t=1)
    add_offset(engine, ADMIN, event_id, kind="forestry", quantity_t=total / 2,
               file_name="cert.pdf", content=b"%PDF-1.4 certificate")
    assert get_event(engine, ADMIN, event_id)["neutral"] is False
    add_offset(engine, ADMIN, event_id, kind="ccer", quantity_t=total / 2)
    done = get_event(engine, ADMIN, event_id)
    assert done["neutral"] is True and done["net_t"] == pytest.approx(0, abs=1e-9)
    assert done["offsets"][0]["sha256"] and done["offsets"][0]["size_bytes"] == 20


def test_events_follow_the_scope(engine: Engine, ids: dict[str, int]) -> None:
    made = create_event(engine, ADMIN, meeting(venue_electricity=10))
    event_id = int(made["event"]["id"])
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    organ = user(Role.INSTITUTION, institution_id=ids[ORGAN], uid=6)
    assert get_event(engine, school, event_id)["event"]["id"] == event_id
    with pytest.raises(NotFound):
        get_event(engine, organ, event_id)
    assert list_events(engine, organ) == []
    with pytest.raises(NotFound):  # an organ cannot record an event of the school
        create_event(engine, organ, meeting(venue_electricity=10))
    with pytest.raises(NotPermitted):
        create_event(engine, user(Role.VIEWER, "450300"), meeting())
    county = user(Role.REGION, "450321", uid=7)
    assert [e["id"] for e in list_events(engine, county)] == [event_id]


def _csv(tmp_path: Path, rows: list[str], name: str = "points.csv") -> Path:
    path = tmp_path / name
    path.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def test_points_import_idempotent_capped_and_ranked(engine: Engine, ids: dict[str, int],
                                                    tmp_path: Path) -> None:
    rows = [f"{SCHOOL},S1,张老师,2024-05-06,光盘行动,5",          # cap 3 a day
            f"{SCHOOL},S1,张老师,2024-05-07,commute_public_transport,2",
            f"{SCHOOL},S2,李老师,2024-05-06,office_electricity_saved,20",
            f"{SILENT},T1,王医生,2024-06-01,recycling,4"]
    report = import_points(engine, ADMIN, _csv(tmp_path, rows))
    assert (report.added, report.skipped, report.staff_added) == (4, 0, 3)
    again = import_points(engine, ADMIN, _csv(tmp_path, rows))
    assert (again.added, again.skipped, again.staff_added) == (0, 4, 0)
    board = leaderboards(engine, ADMIN, year=2024)
    assert leaderboards(engine, ADMIN)["period"]["label"] == "2024"  # the latest with entries
    staff = {s["staff_code"]: s for s in board["staff"]}
    assert staff["S1"]["points"] == pytest.approx(3 + 2)
    grid = factor_set().co2_kg_per_unit("electricity", year=2024, province_code="450321")
    assert staff["S2"]["points"] == pytest.approx(2.0)
    assert staff["S2"]["co2_kg"] == pytest.approx(20 * float(grid.value or 0))
    units = {u["credit_code"]: u for u in board["institutions"]}
    assert units[SCHOOL]["staff"] == 2 and units[SCHOOL]["per_capita"] == pytest.approx(3.5)
    assert units[SILENT]["per_capita"] == pytest.approx(8.0)
    assert units[SILENT]["rank_per_capita"] == 1 and units[SCHOOL]["rank_total"] == 2
    assert [m["month"] for m in board["months"]] == ["2024-05", "2024-06"]
    may = leaderboards(engine, ADMIN, month="2024-05", institution_code=SCHOOL)
    assert {s["staff_code"] for s in may["staff"]} == {"S1", "S2"}
    organ = user(Role.INSTITUTION, institution_id=ids[ORGAN], uid=6)
    assert leaderboards(engine, organ, year=2024)["staff"] == []
    with pytest.raises(NotFound):
        leaderboards(engine, organ, year=2024, institution_code=SCHOOL)


def test_points_import_errors_by_row_and_column_nothing_stored(
        engine: Engine, ids: dict[str, int], tmp_path: Path) -> None:
    bad = [f"{SCHOOL},S1,张老师,2024-05-06,光盘行动,abc",
           f"{SCHOOL},S1,张老师,2024-13-06,光盘行动,1",
           f"{SCHOOL},S1,张老师,2024-05-06,跳舞,1",
           f"{SCHOOL},S2,,2024-05-06,光盘行动,1",
           f"{SCHOOL},S3,赵,2024-05-08,光盘行动,1",
           f"{SCHOOL},S3,赵,2024-05-08,clean_plate,2"]
    with pytest.raises(ImportRejected) as err:
        import_points(engine, ADMIN, _csv(tmp_path, bad))
    found = {(i.row, i.column, i.code) for i in err.value.issues}
    assert (2, "数量", "carbon_points_quantity") in found
    assert (3, "日期", "carbon_points_date") in found
    assert (4, "行为", "carbon_unknown_action") in found
    assert (5, "显示名", "import.missing_value") in found
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(
            store.carbon_points_entry)).scalar() == 0
    dup = _csv(tmp_path, [f"{SCHOOL},S3,赵,2024-05-08,光盘行动,1",
                          f"{SCHOOL},S3,赵,2024-05-08,clean_plate,2"], "dup.csv")
    with pytest.raises(ImportRejected) as dup_err:
        import_points(engine, ADMIN, dup)
    assert [i.code for i in dup_err.value.issues] == ["import.duplicate_key"]
    outside = _csv(tmp_path, [f"{ORGAN},O1,周,2024-05-08,光盘行动,1"], "outside.csv")
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    with pytest.raises(ImportRejected) as out_err:
        import_points(engine, school, outside)
    assert out_err.value.issues[0].code == "carbon_institution_not_found"
    import_points(engine, ADMIN, _csv(tmp_path, [f"{SCHOOL},S3,赵,2024-05-08,光盘行动,1"],
                                      "one.csv"))
    with pytest.raises(ImportRejected) as clash:
        import_points(engine, ADMIN, _csv(tmp_path, [f"{SCHOOL},S3,赵,2024-05-08,光盘行动,2"],
                                          "two.csv"))
    assert clash.value.issues[0].code == "carbon_points_conflict"
    assert clash.value.issues[0].row == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.audit_log).where(
            t.audit_log.c.action == "carbon.points_import")).scalar() == 1
