"""Correcting and withdrawing carbon records on both databases: an event's details and
activity rows, an offset, a ledger entry — a reason required, audited before → after,
a withdrawn record kept but out of every list, total and leaderboard (and not brought
back by re-importing its file); another institution's account cannot touch them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.services.carbon.corrections import (
    correct_entry,
    correct_event,
    correct_offset,
    ledger_entries,
    withdraw_entry,
    withdraw_event,
    withdraw_offset,
    withdrawn_events,
    withdrawn_of_event,
)
from jieneng.services.carbon.events import (
    EventSpec,
    add_offset,
    create_event,
    get_event,
    list_events,
)
from jieneng.services.carbon.points import import_points, leaderboards
from jieneng.storage import carbon as store
from jieneng.storage import tables as t
from tests.sample import ORGAN, SCHOOL, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def ids(engine: Engine, files: Files) -> dict[str, int]:
    return load(engine, files)


def meeting(**lines: float) -> EventSpec:
    return EventSpec(credit_code=SCHOOL, name="节能工作会", start_date=date(2024, 6, 13),
                     end_date=date(2024, 6, 14), attendees=120, place="阳朔", lines=lines)


def _audit(engine: Engine, action: str) -> list[dict[str, object]]:
    a = t.audit_log
    with engine.connect() as conn:
        return [{"before": json.loads(r.before) if r.before else None,
                 "after": json.loads(r.after) if r.after else None, "who": r.username}
                for r in conn.execute(select(a).where(a.c.action == action))]


def test_an_event_is_corrected_with_a_reason_and_audited(engine: Engine,
                                                         ids: dict[str, int]) -> None:
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    made = create_event(engine, school, meeting(venue_electricity=2000))
    event_id = int(made["event"]["id"])
    fixed = EventSpec(credit_code=SCHOOL, name="节能工作会（更正）", start_date=date(2024, 6, 13),
                      end_date=date(2024, 6, 14), attendees=100,
                      lines={"venue_electricity": 1000, "catering_lpg": 40})
    with pytest.raises(ValidationFailed) as refused:
        correct_event(engine, school, event_id, fixed, "  ")
    assert refused.value.code == "carbon_reason_required"
    assert refused.value.message_zh.startswith("请填写理由")
    assert get_event(engine, school, event_id)["total_t"] == pytest.approx(made["total_t"])
    after = correct_event(engine, school, event_id, fixed, "电表读数抄错")
    assert after["event"]["name"] == "节能工作会（更正）" and after["event"]["attendees"] == 100
    assert {x["code"] for x in after["lines"]} == {"venue_electricity", "catering_lpg"}
    assert after["by_category"]["venue"] == pytest.approx(made["by_category"]["venue"] / 2)
    with pytest.raises(ValidationFailed) as missing:  # the new rows checked as a new event's
        correct_event(engine, school, event_id, EventSpec(**{
            **fixed.__dict__, "lines": {"travel_hsr": 100}}), "高铁")
    assert missing.value.code == "carbon_factor_missing"
    [entry] = _audit(engine, "carbon.event_correct")
    assert entry["who"] == school.actor.username
    assert entry["before"]["lines"] == {"venue_electricity": 2000.0}  # type: ignore[index]
    assert entry["after"]["reason"] == "电表读数抄错"  # type: ignore[index]
    assert entry["after"]["lines"] == {"venue_electricity": 1000.0,  # type: ignore[index]
                                       "catering_lpg": 40.0}


def test_a_withdrawn_event_leaves_every_list_and_is_kept(engine: Engine,
                                                         ids: dict[str, int]) -> None:
    made = create_event(engine, ADMIN, meeting(venue_electricity=2000))
    event_id = int(made["event"]["id"])
    other = create_event(engine, ADMIN, meeting(venue_electricity=10))
    done = withdraw_event(engine, ADMIN, event_id, "重复登记")
    assert done["withdrawn"] is True and done["withdrawn_reason"] == "重复登记"
    assert [e["id"] for e in list_events(engine, ADMIN)] == [other["event"]["id"]]
    with pytest.raises(NotFound):
        get_event(engine, ADMIN, event_id)
    with pytest.raises(NotFound):  # nor corrected, nor withdrawn again, nor offset
        withdraw_event(engine, ADMIN, event_id, "again")
    with pytest.raises(NotFound):
        add_offset(engine, ADMIN, event_id, kind="ccer", quantity_t=1)
    [gone] = withdrawn_events(engine, ADMIN)
    assert gone["id"] == event_id and gone["withdrawn_by"] == ADMIN.actor.username
    with engine.connect() as conn:  # the row is kept
        kept = conn.execute(select(store.carbon_event.c.name).where(
            store.carbon_event.c.id == event_id)).scalar()
    assert kept == "节能工作会"
    [entry] = _audit(engine, "carbon.event_withdraw")
    assert entry["before"]["name"] == "节能工作会"  # type: ignore[index]


def test_offsets_are_corrected_and_withdrawn(engine: Engine, ids: dict[str, int]) -> None:
    made = create_event(engine, ADMIN, meeting(venue_electricity=2000))
    event_id = int(made["event"]["id"])
    first = add_offset(engine, ADMIN, event_id, kind="forestry", quantity_t=1.0,
                       file_name="c.pdf", content=b"%PDF-1.4 x")
    second = add_offset(engine, ADMIN, event_id, kind="ccer", quantity_t=0.5)
    fixed = correct_offset(engine, ADMIN, event_id, int(first["id"]), kind="ccer",
                           quantity_t=made["total_t"] + 1, description="证书号更正",
                           reason="证书数量录错")
    assert fixed["quantity_t"] == made["total_t"] + 1
    assert get_event(engine, ADMIN, event_id)["neutral"] is True
    with pytest.raises(ValidationFailed) as refused:
        withdraw_offset(engine, ADMIN, event_id, int(first["id"]), "")
    assert refused.value.code == "carbon_reason_required"
    withdraw_offset(engine, ADMIN, event_id, int(first["id"]), "证书作废")
    now = get_event(engine, ADMIN, event_id)
    assert now["offsets_t"] == pytest.approx(0.5) and now["neutral"] is False
    assert [o["id"] for o in now["offsets"]] == [second["id"]]
    [gone] = withdrawn_of_event(engine, ADMIN, event_id)
    assert gone["id"] == first["id"] and gone["withdrawn_reason"] == "证书作废"
    assert gone["file_name"] == "c.pdf"  # kept with its evidence
    with pytest.raises(ValidationFailed) as again:
        correct_offset(engine, ADMIN, event_id, int(first["id"]), kind="ccer",
                       quantity_t=1, description="", reason="x")
    assert again.value.code == "carbon_withdrawn"
    with pytest.raises(NotFound):  # an offset of another event
        withdraw_offset(engine, ADMIN, event_id + 99, int(second["id"]), "x")
    assert [e["before"]["kind"] for e in _audit(engine,  # type: ignore[index]
                                                 "carbon.offset_correct")] == ["forestry"]
    assert len(_audit(engine, "carbon.offset_withdraw")) == 1
    assert list_events(engine, ADMIN)[0]["offsets_t"] == pytest.approx(0.5)


def _csv(tmp_path: Path, rows: list[str], name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text("统一社会信用代码,员工编号,显示名,日期,行为,数量\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def test_ledger_entries_are_corrected_and_withdrawn(engine: Engine, ids: dict[str, int],
                                                    tmp_path: Path) -> None:
    rows = [f"{SCHOOL},S1,张,2024-05-06,光盘行动,2", f"{SCHOOL},S1,张,2024-05-07,recycling,5",
            f"{SCHOOL},S2,李,2024-05-06,office_electricity_saved,10"]
    file = _csv(tmp_path, rows)
    import_points(engine, ADMIN, file)
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    listed = ledger_entries(engine, school, start=date(2024, 5, 1), end=date(2024, 5, 31))
    assert len(listed) == 3 and {r["rule_version"] for r in listed} == {0}
    meals = next(r for r in listed if r["action"] == "clean_plate")
    power = next(r for r in listed if r["action"] == "office_electricity_saved")
    fixed = correct_entry(engine, school, int(meals["id"]), 9, "餐次记错")
    assert fixed["counted"] == 3 and fixed["points"] == 3  # the daily cap of 3 meals
    more = correct_entry(engine, school, int(power["id"]), 20, "电表复核")
    assert more["co2_kg"] == pytest.approx(2 * float(power["co2_kg"]))  # the grid factor
    withdraw_entry(engine, school, int(meals["id"]), "非本人行为")
    board = leaderboards(engine, school, year=2024)
    assert board["totals"]["points"] == pytest.approx(5 * 2 + 20 * 0.1)
    assert {s["staff_code"]: s["entries"] for s in board["staff"]} == {"S1": 1, "S2": 1}
    assert sum(m["entries"] for m in board["months"]) == 2
    again = import_points(engine, ADMIN, file)  # the withdrawn entry stays withdrawn
    assert again.added == 0 and again.skipped == 3
    assert leaderboards(engine, school, year=2024)["totals"] == board["totals"]
    with pytest.raises(ValidationFailed) as refused:
        correct_entry(engine, school, int(meals["id"]), 1, "x")
    assert refused.value.code == "carbon_withdrawn"
    with pytest.raises(ValidationFailed) as no_reason:
        withdraw_entry(engine, school, int(power["id"]), "")
    assert no_reason.value.code == "carbon_reason_required"
    marked = {r["id"]: r for r in ledger_entries(engine, school, start=date(2024, 5, 1),
                                                 end=date(2024, 5, 31))}
    assert marked[meals["id"]]["withdrawn_reason"] == "非本人行为"
    [fix1, fix2] = _audit(engine, "carbon.entry_correct")
    assert fix1["before"]["quantity"] == 2 and fix1["after"]["points"] == 3  # type: ignore
    assert fix2["after"]["reason"] == "电表复核"  # type: ignore[index]
    assert len(_audit(engine, "carbon.entry_withdraw")) == 1


def test_another_institution_cannot_touch_them(engine: Engine, ids: dict[str, int],
                                               tmp_path: Path) -> None:
    school = user(Role.INSTITUTION, institution_id=ids[SCHOOL], uid=5)
    organ = user(Role.INSTITUTION, institution_id=ids[ORGAN], uid=6)
    made = create_event(engine, school, meeting(venue_electricity=2000))
    event_id = int(made["event"]["id"])
    offset = add_offset(engine, school, event_id, kind="ccer", quantity_t=1)
    import_points(engine, school, _csv(tmp_path, [f"{SCHOOL},S1,张,2024-05-06,光盘行动,2"]))
    [entry] = ledger_entries(engine, school, start=date(2024, 5, 1), end=date(2024, 5, 31))
    attempts: list[Callable[[], object]] = [
        lambda: correct_event(engine, organ, event_id, meeting(venue_electricity=1), "x"),
        lambda: withdraw_event(engine, organ, event_id, "x"),
        lambda: correct_offset(engine, organ, event_id, int(offset["id"]), kind="ccer",
                               quantity_t=9, description="", reason="x"),
        lambda: withdraw_offset(engine, organ, event_id, int(offset["id"]), "x"),
        lambda: correct_entry(engine, organ, int(entry["id"]), 1, "x"),
        lambda: withdraw_entry(engine, organ, int(entry["id"]), "x"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert ledger_entries(engine, organ, start=date(2024, 5, 1), end=date(2024, 5, 31)) == []
    viewer = user(Role.VIEWER, "450300", uid=8)
    with pytest.raises(NotPermitted):
        withdraw_entry(engine, viewer, int(entry["id"]), "x")
    after = get_event(engine, school, event_id)
    assert after["total_t"] == pytest.approx(made["total_t"]) and after["offsets_t"] == 1
    assert leaderboards(engine, school, year=2024)["totals"]["points"] == 2
    for action in ("carbon.event_correct", "carbon.event_withdraw", "carbon.offset_correct",
                   "carbon.offset_withdraw", "carbon.entry_correct",
                   "carbon.entry_withdraw"):
        assert _audit(engine, action) == []
