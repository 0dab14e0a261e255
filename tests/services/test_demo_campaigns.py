"""The demo city's campaigns (services.demo_campaigns): the shipped schemes installed,
the fleet register, a 示范单位 round scored from the statistics, a 节约型机关 round of
阳朔县 carried from self-assessment to award and 回头看 — all through the services, and
a second call adds nothing (idempotent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from jieneng.core.caller import command_line_user
from jieneng.core.campaigns.shipped import SHIPPED
from jieneng.services import demo_campaigns
from jieneng.services.campaigns import checks, rechecks, rounds
from jieneng.services.campaigns.schemes import list_schemes
from jieneng.services.fleet import fleet_summary

pytestmark = pytest.mark.xdist_group("demo_services")
WHO = command_line_user()


def _round(demo: Engine, scheme: str, region: str,
           year: int = demo_campaigns.YEAR) -> dict:  # type: ignore[type-arg]
    found = [r for r in rounds.list_rounds(demo, WHO, scheme_code=scheme, region_code=region,
                                           year=year)
             if str(r["region_code"]).strip() == region]
    assert len(found) == 1, found
    return found[0]


def test_schemes_installed(demo: Engine) -> None:
    stored = {s["code"] for s in list_schemes(demo) if s["stored"]}
    assert stored == set(SHIPPED)


def test_fleet_register(demo: Engine) -> None:
    got = fleet_summary(demo, WHO, region_code="450300", year=demo_campaigns.YEAR)
    v = got["vehicles"]
    assert v["fleet"] > 50 and v["bought"] > 0 and 0 < v["bought_nev"] < v["bought"]
    fuels = {f["fuel"] for f in v["by_fuel"]}
    assert len(fuels) >= 4
    assert got["charging"]["parking_spaces"] > 0 and got["charging"]["share"] is not None
    assert got["coal"]["not_cleared"] >= 1
    assert any(r["equipment"] > 0 for r in got["coal"]["list"])


def test_demonstration_round_scored_from_statistics(demo: Engine) -> None:
    found = _round(demo, "demonstration_unit", "450300")
    members = rounds.round_members(demo, WHO, int(found["id"]))
    assert len(members) > 100
    assert any(m["total"] for m in members)  # computed bands scored


def test_finished_organ_round_through_award_and_recheck(demo: Engine) -> None:
    found = _round(demo, "conservation_organ", demo_campaigns.ORGAN_REGION,
                   demo_campaigns.YEAR - 1)
    round_id = int(found["id"])
    states = [m["state"] for m in rounds.round_members(demo, WHO, round_id)]
    assert "awarded" in states and found["state"] == "closed"
    drawn = checks.round_checks(demo, WHO, round_id)
    assert drawn["draw"]["seed"] == demo_campaigns.SEED and drawn["sample"]
    assert all(s["verdict"] for s in drawn["sample"])
    assert drawn["publicity"] is not None
    again = rechecks.list_rechecks(demo, WHO, region_code=demo_campaigns.ORGAN_REGION)
    assert {r["state"] for r in again} >= {"passed", "rectifying"}


def test_open_organ_round_reviewed_level_by_level(demo: Engine) -> None:
    found = _round(demo, "conservation_organ", "450300", demo_campaigns.YEAR)
    members = rounds.round_members(demo, WHO, int(found["id"]), region_code="450321")
    states = sorted(m["state"] for m in members if m["state"] != "invited")
    assert states == ["recommended", "recommended", "returned", "self_assessing",
                      "submitted", "under_review"]
    waiting = [m for m in members if m["state"] == "under_review"]
    assert str(waiting[0]["review_region"]).strip() == "450300"  # at the city, the 2nd level
    assert checks.round_checks(demo, WHO, int(found["id"]))["draw"] is not None


def test_a_second_call_adds_nothing(demo: Engine, tmp_path: Path) -> None:
    assert demo_campaigns.seed(demo, "450300", tmp_path) == {}
