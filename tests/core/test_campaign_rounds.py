"""The rules of a round: the review chain up the region tree, hand scores against the
items' maxima (named in both languages), the evidence kinds a round accepts, the final hand
score, what submit needs."""

from __future__ import annotations

import math

import pytest

from jieneng.core.campaigns.rounds import (
    check_scores,
    evidence_types,
    final_hand,
    missing_for_submit,
    next_reviewer,
    parse_score,
    review_chain,
)
from jieneng.core.campaigns.shipped import shipped
from jieneng.core.exceptions import ValidationFailed


def test_review_chain_and_next_level() -> None:
    lineage = ["450321", "450300", "450000"]  # county, city, province (nearest first)
    assert review_chain(lineage, "450300") == ["450321", "450300"]
    assert review_chain(lineage, "450000") == lineage
    assert review_chain(["450300", "450000"], "450300") == ["450300"]
    assert review_chain(["450302", "450300"], "450321") == []
    chain = review_chain(lineage, "450000")
    assert next_reviewer(chain, None) == "450321"
    assert next_reviewer(chain, "450321") == "450300"
    assert next_reviewer(chain, "450000") is None


def test_hand_scores_checked_against_the_maximum() -> None:
    unit = shipped("demonstration_unit")
    assert check_scores(unit, {"management": 29, "water": None}) == {"management": 29.0,
                                                                     "water": None}
    with pytest.raises(ValidationFailed) as over:
        check_scores(unit, {"management": 29.5})
    assert over.value.code == "round_score_over_maximum"
    assert "29" in over.value.message_zh and "management" in over.value.message_en
    assert over.value.details["field"] == "score.management"
    for bad in ({"management": -1}, {"management": math.nan}, {"energy.per_area": 7},
                {"nothing": 1}):
        with pytest.raises(ValidationFailed):
            check_scores(unit, bad)
    with pytest.raises(ValidationFailed):
        parse_score("management", "七")
    assert parse_score("management", " ") is None and parse_score("water", "8，5") == 8.5


def test_submit_needs_every_checklist_item() -> None:
    unit = shipped("demonstration_unit")
    lacking = missing_for_submit(unit, {"management": 20})
    assert lacking == ["water", "green", "extra"]  # building is an on-site item
    assert missing_for_submit(unit, {"management": 1, "water": 0, "green": 0, "extra": 0}) == []


def test_final_hand_score_and_evidence_types() -> None:
    assert final_hand({"self": 20, "review": 18}) == (18, "review")
    assert final_hand({"self": 20, "review": 18, "inspection": 15}) == (15, "inspection")
    assert final_hand({}) == (None, None)
    assert {t.suffix for t in evidence_types()} == {".pdf", ".jpg", ".jpeg", ".png", ".docx",
                                                     ".xlsx"}
    assert evidence_types()[0].media_type == "application/pdf"
