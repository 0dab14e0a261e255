"""Rounds on both databases: open (members by the scheme's population, one INSERT …
SELECT), self-assessment (over the maximum / computed item refused, nothing stored),
submit (checklist items required), review up the chain county → city, return keeps
what was typed, scoring from the statistics and the hand scores, evidence rules."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.services.campaigns import assess, evidence, review, round_scoring, rounds
from jieneng.services.entry.imports import import_file
from jieneng.storage import campaign_rounds as store
from tests.sample import ORGAN, SCHOOL, SILENT, Files
from tests.services.metering_world import load, user

ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION, "450300", uid=2)
COUNTY = user(Role.REGION, "450321", uid=3)
OTHER_COUNTY = user(Role.REGION, "450302", uid=4)


@pytest.fixture
def world(engine: Engine, files: Files) -> dict[str, int]:
    ids = load(engine, files)
    import_file(engine, "profiles", files.profiles)
    import_file(engine, "consumption", files.consumption)
    return ids


def _unit(world: dict[str, int], code: str) -> User:
    return user(Role.INSTITUTION, None, world[code], uid=10)


def test_open_members_and_scope(engine: Engine, world: dict[str, int]) -> None:
    organ = rounds.open_round(engine, CITY, "conservation_organ", "450300", 2025,
                              title="2025 节约型机关")
    assert organ["members"] == 1  # only the 机关 (category 01)
    demo = rounds.open_round(engine, CITY, "demonstration_unit", "450300", 2025,
                             title="2025 示范单位", eval_year=2025, eval_month=2)
    assert demo["members"] == 3
    got = rounds.round_members(engine, COUNTY, demo["id"])
    assert sorted(m["credit_code"] for m in got) == sorted([SCHOOL, SILENT])
    assert {r["id"] for r in rounds.list_rounds(engine, COUNTY)} == {organ["id"], demo["id"]}
    with pytest.raises(NotFound):
        rounds.open_round(engine, COUNTY, "demonstration_unit", "450300", 2025, title="x")
    with pytest.raises(NotPermitted):
        rounds.open_round(engine, _unit(world, SCHOOL), "demonstration_unit",
                          "450321", 2025, title="x")


def test_self_assess_review_and_score(engine: Engine, world: dict[str, int]) -> None:
    rid = rounds.open_round(engine, CITY, "demonstration_unit", "450300", 2025,
                            title="示范单位", eval_year=2025, eval_month=2)["id"]
    school = _unit(world, SCHOOL)
    with pytest.raises(ValidationFailed) as over:
        assess.save_self_assessment(engine, school, rid, SCHOOL, {"management": 30})
    assert "29" in over.value.message_zh and "management" in over.value.message_en
    with pytest.raises(ValidationFailed):
        assess.save_self_assessment(engine, school, rid, SCHOOL, {"energy.per_area": 7})
    view = assess.member_view(engine, school, rid, SCHOOL)
    assert view["member"]["state"] == "invited" and view["can_assess"]
    assess.save_self_assessment(engine, school, rid, SCHOOL, {"management": 25, "water": 8},
                                {"management": "制度齐全"})
    with pytest.raises(ValidationFailed) as lacking:
        assess.submit_self_assessment(engine, school, rid, SCHOOL)
    assert "green" in lacking.value.message_en
    assess.save_self_assessment(engine, school, rid, SCHOOL, {"green": 6, "extra": 0})
    done = assess.submit_self_assessment(engine, school, rid, SCHOOL)
    assert done["member"]["state"] == "submitted"
    assert done["member"]["review_region"] == "450321"
    assert [m["credit_code"] for m in review.review_queue(engine, COUNTY)] == [SCHOOL]
    assert review.review_queue(engine, CITY) == []
    with pytest.raises(NotPermitted):
        review.approve_member(engine, CITY, rid, SCHOOL)
    with pytest.raises(Conflict):
        assess.save_self_assessment(engine, school, rid, SCHOOL, {"green": 5})
    back = review.return_member(engine, COUNTY, rid, SCHOOL, "请补充材料")
    assert back["member"]["state"] == "returned"
    assert next(i for i in back["items"] if i["code"] == "management")["scores"]["self"] == 25
    assess.submit_self_assessment(engine, school, rid, SCHOOL)
    up = review.approve_member(engine, COUNTY, rid, SCHOOL, scores={"management": 20},
                               notes={"management": "核减"})
    assert up["member"]["state"] == "under_review" and up["member"]["review_region"] == "450300"
    final = review.approve_member(engine, CITY, rid, SCHOOL)
    assert final["member"]["state"] == "recommended"
    summary = round_scoring.score_round(engine, CITY, rid)
    assert summary["members"] == 3
    b = round_scoring.member_breakdown(engine, CITY, rid, SCHOOL)
    items = {i["code"]: i for i in b["items"]}
    assert items["management"]["final"] == 20 and items["management"]["source"] == "review"
    assert items["energy.per_area"]["source"] == "computed"
    assert items["energy.per_area"]["value"] is not None
    member = b["member"]
    assert member["total"] == pytest.approx(sum(i["final"] or 0 for i in b["items"]))
    assert member["missing"] >= 1  # targets_2y: no institution target → missing
    silent = round_scoring.member_breakdown(engine, CITY, rid, SILENT)["member"]
    assert silent["total"] == 0 and silent["passed"] is False


def test_evidence_rules(engine: Engine, world: dict[str, int]) -> None:
    rid = rounds.open_round(engine, CITY, "conservation_organ", "450300", 2025,
                            title="节约型机关")["id"]
    organ = _unit(world, ORGAN)
    with pytest.raises(ValidationFailed) as wrong:
        evidence.add_evidence(engine, organ, rid, ORGAN, "operation.all",
                              file_name="a.exe", data=b"MZ")
    assert "a.exe" in wrong.value.message_zh and ".pdf" in wrong.value.message_en
    assert wrong.value.code == "evidence_type" and ".doc," not in wrong.value.message_en
    for name, data, code in (("big.pdf", b"%PDF" + b"x" * 7, "evidence_too_large"),
                             ("空.pdf", b"", "evidence_empty"),
                             ("制度.docx", b"%PDF-1.4", "evidence_content"),
                             ("旧.doc", b"\xd0\xcf\x11\xe0", "evidence_type")):
        with pytest.raises(ValidationFailed) as err:
            evidence.add_evidence(engine, organ, rid, ORGAN, "operation.all",
                                  file_name=name, data=data, max_bytes=10)
        assert err.value.code == code and name in err.value.message_zh
    made = evidence.add_evidence(engine, organ, rid, ORGAN, "operation.all",
                                 file_name="制度.pdf", data=b"%PDF-1.4")
    meta, content = evidence.evidence_content(engine, CITY, rid, ORGAN, made["id"])
    assert content == b"%PDF-1.4" and meta["content_type"] == "application/pdf"
    with pytest.raises(NotFound):
        evidence.evidence_content(engine, COUNTY, rid, ORGAN, made["id"])
    with engine.connect() as conn:
        assert len(store.list_evidence(conn, made["member_id"])) == 1


def test_round_state_moves_by_the_table(engine: Engine, world: dict[str, int]) -> None:
    """A round moves only as data/campaigns/round_transitions.csv says; any other move is
    refused naming both states (zh and en), nothing changed."""
    opened = rounds.open_round(engine, COUNTY, "demonstration_unit", "450321", 2025,
                               title="示范单位")
    rid = int(opened["id"])
    assert opened["next_states"] == ["reviewing", "checking", "closed"]
    with pytest.raises(Conflict) as jump:  # 公示 only by starting the publicity
        rounds.set_round_state(engine, COUNTY, rid, "publicity")
    assert jump.value.code == "round_state_not_allowed"
    assert "自评中" in jump.value.message_zh and "公示中" in jump.value.message_zh
    assert "self-assessment" in jump.value.message_en and "publicity" in jump.value.message_en
    assert rounds.get_round(engine, COUNTY, rid)["state"] == "open"
    with pytest.raises(Conflict):  # staying put is no move
        rounds.set_round_state(engine, COUNTY, rid, "open")
    moved = rounds.set_round_state(engine, COUNTY, rid, "reviewing")
    assert moved["state"] == "reviewing" and moved["next_states"] == ["open", "checking",
                                                                       "closed"]
    assert rounds.set_round_state(engine, COUNTY, rid, "checking")["next_states"] == [
        "reviewing", "closed"]
    closed = rounds.set_round_state(engine, COUNTY, rid, "closed")
    assert closed["closed_at"] is not None and closed["next_states"] == []
    with pytest.raises(Conflict) as ended:  # closed is the end
        rounds.set_round_state(engine, COUNTY, rid, "open")
    assert ended.value.code == "round_state_not_allowed" and "—" in ended.value.message_en
    with pytest.raises(ValidationFailed):
        rounds.set_round_state(engine, COUNTY, rid, "bogus")
