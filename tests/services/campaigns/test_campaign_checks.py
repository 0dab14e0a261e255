"""Spot checks, 公示, award and 回头看 of a round on both databases: the draw by the
scheme's rule (below the rate refused, nothing stored; recorded; further batches in the
year never re-draw a member and count toward the rule's minimum; the next year prefers
the members not checked), on-site scores (over the maximum refused) and
verdicts, publicity with an upheld objection, the award with its titles, a re-check
failed and revoked, the overdue reminder, and the coverage figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.permissions import CapabilityRequired, Role
from jieneng.services.campaigns import checks, publicity, rechecks
from jieneng.services.campaigns.coverage import COVERAGE_KEYS, RATE_KEYS, region_coverage
from jieneng.services.campaigns.rounds import open_round
from jieneng.services.campaigns.schemes import install_shipped
from jieneng.services.entry.imports import import_file
from jieneng.storage import campaign_rounds as rounds_store
from jieneng.storage import campaign_titles as store
from jieneng.storage import tables as t
from jieneng.storage import title_awards
from tests.sample import write_csv
from tests.services.metering_world import user

ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION, "450300", uid=2)
COUNTY = user(Role.REGION, "450321", uid=3)
COUNTIES = ("450302", "450321")
#: 10 organs (category 01) in each of two counties, 2 schools
ORGANS = [make_credit_code("11", c, 3000 + k) for c in COUNTIES for k in range(10)]
SCHOOLS = [make_credit_code("12", "450321", 4000 + k) for k in range(2)]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
    from importlib import resources

    regions = tmp_path / "regions.csv"
    regions.write_bytes(resources.files("jieneng.data.regions").joinpath("guilin.csv")
                        .read_bytes())
    rows: list[list[object]] = [[code, f"演示机关{k}", code[2:8], "01", "", "否", "在用"]
            for k, code in enumerate(ORGANS)]
    rows += [[code, f"演示学校{k}", "450321", "021", "", "否", "在用"]
             for k, code in enumerate(SCHOOLS)]
    institutions = write_csv(tmp_path / "institutions.csv",
                             ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别",
                              "主管部门统一社会信用代码", "重点用能单位", "状态"], rows)
    import_file(engine, "regions", regions)
    import_file(engine, "institutions", institutions)
    install_shipped(engine, ADMIN)
    return engine


def _ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {str(c).strip(): int(i) for c, i in conn.execute(
            select(t.institution.c.credit_code, t.institution.c.id))}


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _recommend(engine: Engine, round_id: int, codes: list[str]) -> None:
    ids = _ids(engine)
    with engine.begin() as conn:
        rounds_store.set_members_state(conn, round_id, [ids[c] for c in codes], "recommended",
                                       at=datetime.now(UTC))


def test_draw_by_the_rule_reproducible_and_recorded(world: Engine) -> None:
    opened = open_round(world, CITY, "canteen_food_waste", "450300", 2025, title="食堂评估")
    rid = int(opened["id"])
    assert opened["members"] == 20  # the organs only (coverage_population.csv)
    with pytest.raises(ValidationFailed) as below:
        checks.draw_sample(world, CITY, rid, rate=0.2, seed=5)
    assert below.value.code == "check_rate_below_rule"
    assert "0.35" in below.value.message_en and "canteen_food_waste" in below.value.message_en
    assert _count(world, store.campaign_spot_check) == 0
    with pytest.raises(NotFound):  # the county office does not run the city's round
        checks.draw_sample(world, COUNTY, rid, seed=5)
    with pytest.raises(CapabilityRequired):
        checks.draw_sample(world, user(Role.INSTITUTION, None, _ids(world)[ORGANS[0]], uid=9),
                           rid, seed=5)
    drawn = checks.draw_sample(world, CITY, rid, seed=5)
    assert drawn["rate"] == 0.35 and drawn["sample_size"] == 7 and drawn["population"] == 20
    assert drawn["seed"] == 5 and drawn["drawn_by"] == CITY.username
    assert len(drawn["sample"]) == 7 and drawn["preferred"] == 7
    # the next year: the seven checked are not drawn again while others remain
    nxt = open_round(world, CITY, "canteen_food_waste", "450300", 2026, title="食堂评估")
    again = checks.draw_sample(world, CITY, int(nxt["id"]), rate=0.5, seed=5)
    assert again["sample_size"] == 10 and not set(again["sample"]) & set(drawn["sample"])
    view = checks.round_checks(world, CITY, rid)
    assert view["rule"] == {"scheme": "canteen_food_waste", "rate": 0.35,
                            "full_coverage_years": 3}
    condition = view["items"][0]  # a 0-point condition: 1 = met, 2 refused
    assert condition["points"] == 0 and condition["maximum"] == 1
    code = view["sample"][0]["credit_code"]
    with pytest.raises(ValidationFailed):
        checks.inspect_member(world, CITY, rid, code, scores={condition["code"]: 2})
    checks.inspect_member(world, CITY, rid, code, scores={condition["code"]: 1},
                          verdict="pass")
    assert checks.round_checks(world, CITY, rid)["inspected"] == 1
    assert len(view["sample"]) == 7 and view["draw"]["seed"] == 5
    county_view = checks.round_checks(world, COUNTY, rid)  # the county sees its own
    assert {s["region_code"] for s in county_view["sample"]} <= {"450321"}


def test_further_draws_in_the_year(world: Engine) -> None:
    """A second batch later in the year: its own record (seed, fingerprint, who, when),
    never a member already drawn, the rule's minimum on the year's total; inspection and
    the 公示 see every batch; refused once everybody is drawn."""
    rid = int(open_round(world, CITY, "canteen_food_waste", "450300", 2025,
                         title="食堂评估")["id"])
    first = checks.draw_sample(world, CITY, rid, seed=5)
    assert first["batch"] == 1 and first["drawn_total"] == 7 and first["total_rate"] == 0.35
    second = checks.draw_sample(world, CITY, rid, rate=0.2, seed=8)
    assert second["batch"] == 2 and second["sample_size"] == 4
    assert not set(second["sample"]) & set(first["sample"])
    assert second["population_sha256"] == first["population_sha256"]
    assert second["drawn_total"] == 11 and second["total_rate"] == 0.55
    view = checks.round_checks(world, CITY, rid)
    assert [d["batch"] for d in view["draws"]] == [1, 2] and view["draw"]["seed"] == 8
    assert [d["seed"] for d in view["draws"]] == [5, 8]
    assert view["drawn_total"] == 11 and view["undrawn"] == 9 and view["members"] == 20
    assert len(view["sample"]) == 11
    assert {s["batch"] for s in view["sample"]} == {1, 2}
    # a member of the first batch is still inspected after the second draw
    ids = _ids(world)
    by_id = {v: k for k, v in ids.items()}
    early = by_id[first["sample"][0]]
    checks.inspect_member(world, CITY, rid, early, verdict="pass")
    assert next(s for s in checks.round_checks(world, CITY, rid)["sample"]
                if s["credit_code"] == early)["verdict"] == "pass"
    with pytest.raises(ValidationFailed) as waiting:  # ten of the eleven not inspected
        publicity.start_publicity(world, CITY, rid, starts_on=date(2026, 1, 6))
    assert waiting.value.code == "check_sample_not_inspected"
    assert waiting.value.details["count"] == 10
    rest = checks.draw_sample(world, CITY, rid, rate=1, seed=3)
    assert rest["sample_size"] == 9 and rest["drawn_total"] == 20
    with pytest.raises(Conflict) as none_left:
        checks.draw_sample(world, CITY, rid, rate=0.1, seed=4)
    assert none_left.value.code == "check_all_drawn"
    assert _count(world, store.campaign_spot_check) == 3
    with world.connect() as conn:
        drawn_by = set(conn.execute(select(store.campaign_spot_check.c.drawn_by)).scalars())
    assert drawn_by == {CITY.username}


def test_a_later_batch_is_refused_below_the_years_minimum(world: Engine) -> None:
    """The first batch reaches the minimum alone; a rate that leaves the year short is
    refused naming the earlier share, the total and the minimum, nothing stored."""
    rid = int(open_round(world, CITY, "canteen_food_waste", "450300", 2025,
                         title="食堂评估")["id"])
    with pytest.raises(ValidationFailed) as below:
        checks.draw_sample(world, CITY, rid, rate=0.2, seed=5)
    assert below.value.code == "check_rate_below_rule"
    checks.draw_sample(world, CITY, rid, rate=0.35, seed=5)
    checks.draw_sample(world, CITY, rid, rate=0.05, seed=6)  # the year already reaches it
    assert _count(world, store.campaign_spot_check) == 2


def test_inspection_publicity_award_and_recheck(world: Engine) -> None:
    opened = open_round(world, CITY, "conservation_organ", "450300", 2024, title="节约型机关")
    rid = int(opened["id"])
    ids = _ids(world)
    by_id = {v: k for k, v in ids.items()}
    drawn = checks.draw_sample(world, CITY, rid, rate=0.2, seed=11)
    sampled = [by_id[i] for i in drawn["sample"]]
    assert len(sampled) == 4
    item = next(c["code"] for c in checks.round_checks(world, CITY, rid)["items"])
    with pytest.raises(ValidationFailed) as over:
        checks.inspect_member(world, CITY, rid, sampled[0], scores={item: 1000},
                              verdict="pass")
    assert over.value.code == "check_score_out_of_range"
    not_sampled = next(c for c in ORGANS if c not in sampled)
    with pytest.raises(ValidationFailed):
        checks.inspect_member(world, CITY, rid, not_sampled, verdict="pass")
    for code in sampled[:3]:
        checks.inspect_member(world, CITY, rid, code, scores={item: 90}, verdict="pass")
    with pytest.raises(ValidationFailed):  # a failing verdict needs its finding
        checks.inspect_member(world, CITY, rid, sampled[3], verdict="fail")
    checks.inspect_member(world, CITY, rid, sampled[3], verdict="fail", note="台账缺失")
    recommended = [c for c in ORGANS if c != sampled[3]][:6]
    _recommend(world, rid, recommended)
    start = date(2024, 6, 1)
    pub = publicity.start_publicity(world, CITY, rid, starts_on=start)
    assert pub["days"] == 7 and pub["ends_on"] == "2024-06-07" and pub["members"] == 6
    with pytest.raises(ValidationFailed):  # outside the period
        publicity.raise_objection(world, CITY, rid, recommended[0], "浪费", raised_on=date(
            2024, 6, 9))
    objection = publicity.raise_objection(world, CITY, rid, recommended[0], "食堂浪费严重",
                                          raised_on=date(2024, 6, 3))
    with pytest.raises(ValidationFailed) as running:
        publicity.award(world, CITY, rid, awarded_on=date(2024, 6, 7))
    assert running.value.code == "check_publicity_running"
    with pytest.raises(ValidationFailed):  # an objection still open
        publicity.award(world, CITY, rid, awarded_on=date(2024, 6, 10))
    publicity.resolve_objection(world, CITY, rid, objection["id"], upheld=True,
                                note="经核实属实")
    publicity.reject_member(world, CITY, rid, recommended[1], "材料不实")
    awarded = publicity.award(world, CITY, rid, awarded_on=date(2024, 6, 10))
    assert awarded["awarded"] == 4 and awarded["level"] == "city"
    assert awarded["valid_until"] is None  # the scheme states no validity
    with world.connect() as conn:
        member = rounds_store.get_member(conn, rid, ids[recommended[0]])
        assert member is not None and member["state"] == "rejected"
        assert member["reason"] == "经核实属实"
        held = title_awards.titles_held(conn, "conservation_organ", date(2024, 12, 31))
    assert len(held) == 4

    # 回头看 in 2025: all the titles; one fails, is not rectified in time, revoked
    chosen = rechecks.select_rechecks(world, CITY, "conservation_organ", "450300", year=2025,
                                      awarded_before=date(2025, 1, 1))
    assert chosen["selected"] == 4
    listed = rechecks.list_rechecks(world, CITY, year=2025)
    first, second = listed[0], listed[1]
    rechecks.record_result(world, CITY, first["id"], passed=True, checked_on=date(2025, 3, 1))
    for not_rectifying in (first, listed[3]):  # passed; not checked yet: nothing to conclude
        with pytest.raises(ValidationFailed):
            rechecks.conclude(world, CITY, not_rectifying["id"], on=date(2025, 4, 5))
    failed = rechecks.record_result(world, CITY, second["id"], passed=False,
                                    finding="分类不到位", checked_on=date(2025, 3, 1))
    assert failed["deadline"] == (date(2025, 3, 1) + timedelta(days=30)).isoformat()
    with pytest.raises(ValidationFailed):  # not yet due, not answered
        rechecks.conclude(world, CITY, second["id"], on=date(2025, 3, 20))
    reminded = rechecks.remind_overdue(world, today=date(2025, 4, 5))
    assert reminded["overdue"] == 1
    assert rechecks.remind_overdue(world, today=date(2025, 4, 5))["overdue"] == 0  # once a day
    done = rechecks.conclude(world, CITY, second["id"], on=date(2025, 4, 5))
    assert done["state"] == "revoked"
    with world.connect() as conn:
        after = title_awards.titles_held(conn, "conservation_organ", date(2025, 12, 31))
    assert len(after) == 3
    # a third fails and rectifies in time: passes
    third = listed[2]
    rechecks.record_result(world, CITY, third["id"], passed=False, finding="制度未更新",
                           checked_on=date(2025, 3, 1), deadline=date(2025, 4, 1))
    unit = user(Role.INSTITUTION, None, int(third["institution_id"]), uid=7)
    with pytest.raises(NotFound):  # another unit does not see it
        rechecks.answer_rectification(world, user(Role.INSTITUTION, None,
                                                  int(first["institution_id"]), uid=8),
                                      third["id"], "已整改")
    rechecks.answer_rectification(world, unit, third["id"], "已修订制度",
                                  on=date(2025, 3, 25))
    assert rechecks.conclude(world, CITY, third["id"], on=date(2025, 4, 2))["state"] == \
        "rectified"

    rows = region_coverage(world, "450300", 2025, "conservation_organ")
    assert set(COVERAGE_KEYS) <= set(rows[0])
    city = rows[0]
    assert city["region_code"] == "450300" and city["eligible"] == 20
    assert city["titles_held"] == 3 and city["compliance_rate"] == pytest.approx(3 / 20)
    assert city["rechecked"] == 3 and city["recheck_passed"] == 2
    assert city["recheck_pass_rate"] == pytest.approx(2 / 3)
    assert city["target"] == pytest.approx(0.8)
    children = {r["region_code"]: r for r in rows[1:]}
    assert sum(r["eligible"] for r in children.values()) == 20
    assert sum(r["titles_held"] for r in children.values()) == 3
    y2024 = region_coverage(world, "450300", 2024, "conservation_organ", by_child=False)
    assert len(y2024) == 1 and y2024[0]["members"] == 20 and y2024[0]["spot_checked"] == 4
    assert y2024[0]["spot_check_rate"] == pytest.approx(0.2)
    assert y2024[0]["awarded"] == 4 and y2024[0]["creation_rate"] == pytest.approx(1.0)
    assert all(k in y2024[0] for k in RATE_KEYS)
    with pytest.raises(NotFound):
        region_coverage(world, "450300", 2024, "conservation_organ", user=COUNTY)
    with pytest.raises(NotFound):
        region_coverage(world, "450300", 2024, "no_such_scheme")
