"""Spot checks on both databases: the population of approved reports, the stratified
reproducible sample, verified figures (audited), accuracy per region, scope and roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Role
from jieneng.core.sampling import draw_sample
from jieneng.core.scope import Scope
from jieneng.services.quality.spot_checks import (
    create_spot_check,
    get_spot_check,
    list_spot_checks,
    population,
    record_verified,
    within_tolerance,
)
from jieneng.storage import tables as t
from tests.services.spot_world import SpotWorld, add_period, add_tasks, electricity, load, user

ADMIN = user(Role.ADMIN)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> SpotWorld:
    return load(engine, tmp_path)


def approve_all(world: SpotWorld, region: str = "450300", year: int = 2025) -> None:
    period = add_period(world.engine, region, year)
    add_tasks(world.engine, period, {world.ids[c]: "approved" for c in world.codes()})


def test_population_rule_annual_then_monthly(world: SpotWorld) -> None:
    a, b, c, d, e = (world.ids[code] for code in world.codes("450302")[:5])
    annual = add_period(world.engine, "450302", 2025)
    add_tasks(world.engine, annual, {a: "approved", b: "submitted"})
    jan, feb = add_period(world.engine, "450302", 2025, 1), add_period(world.engine, "450302",
                                                                       2025, 2)
    # a monthly rejection does not matter when the annual task is approved
    add_tasks(world.engine, jan, {a: "returned", b: "approved", c: "approved", d: "approved"})
    add_tasks(world.engine, feb, {c: "approved", d: "submitted"})
    other_year = add_period(world.engine, "450302", 2024)
    add_tasks(world.engine, other_year, {e: "approved"})
    got = population(world.engine, Scope.everything(), region_code="450300", year=2025)
    assert set(got) == {a, c}
    assert got[a] == "01"


def test_create_is_stratified_reproducible_and_stores_reported_figures(
    world: SpotWorld,
) -> None:
    approve_all(world)
    check = create_spot_check(world.engine, ADMIN, region_code="450300", year=2025, seed=42)
    members = {world.ids[c]: world.categories[c] for c in world.codes()}
    expected = draw_sample(members, seed=42, share=0.05)
    sampled = sorted({i["institution_id"] for i in check["items"]})
    assert sampled == expected
    by_category: dict[str, int] = {}
    for iid in sampled:
        by_category[members[iid]] = by_category.get(members[iid], 0) + 1
    assert by_category == {"01": 1, "021": 1, "03": 1}  # ⌈5 % × n⌉, at least 1
    # again with the same seed: the same sample
    again = create_spot_check(world.engine, ADMIN, region_code="450300", year=2025, seed=42)
    assert sorted({i["institution_id"] for i in again["items"]}) == expected
    codes = world.codes()
    for item in check["items"]:
        n = codes.index(item["credit_code"])
        if item["carrier"] == "electricity":
            assert item["reported"] == pytest.approx(electricity(n))
        else:
            assert item["carrier"] == "water"
            assert item["reported"] == pytest.approx(10 * (n + 1))
    assert check["tolerance"] == 0.05 and check["share"] == 0.05 and check["seed"] == 42
    with world.engine.connect() as conn:
        log = conn.execute(select(t.audit_log.c.action)).scalars().all()
    assert log.count("spot_check.create") == 2


def test_larger_share_and_no_population(world: SpotWorld) -> None:
    with pytest.raises(ValidationFailed):
        create_spot_check(world.engine, ADMIN, region_code="450300", year=2025)
    approve_all(world)
    check = create_spot_check(world.engine, ADMIN, region_code="450302", year=2025, share=0.5,
                              seed=1)
    assert check["institutions"] == 5 + 3  # ⌈0.5 × 10⌉ organs, ⌈0.5 × 5⌉ schools
    with pytest.raises(ValidationFailed):
        create_spot_check(world.engine, ADMIN, region_code="450302", year=2025, share=0)


def test_verify_and_accuracy_per_region(world: SpotWorld) -> None:
    approve_all(world)
    check = create_spot_check(world.engine, ADMIN, region_code="450300", year=2025,
                              share=1.0, seed=3)
    assert check["institutions"] == 23
    items = check["items"]
    first: dict[int, dict[str, Any]] = {}
    for item in items:
        first.setdefault(item["institution_id"], item)
    accurate_ids = []
    for n, (iid, item) in enumerate(sorted(first.items())):
        if n >= 8:
            break
        # 4 within 5 %, 4 off by 10 %
        factor = 1.04 if n % 2 == 0 else 1.10
        record_verified(world.engine, ADMIN, spot_check_id=check["id"], institution_id=iid,
                        carrier_code=item["carrier"], verified=item["reported"] * factor)
        if n % 2 == 0:
            accurate_ids.append(iid)
    got = get_spot_check(world.engine, Scope.everything(), check["id"])
    total = got["accuracy"]["total"]
    assert (total["sampled"], total["verified"], total["accurate"]) == (23, 8, 4)
    assert total["accuracy_rate"] == pytest.approx(0.5)
    regions = {r["region_code"]: r for r in got["accuracy"]["regions"]}
    assert sum(r["verified"] for r in regions.values()) == 8
    assert regions["450302"]["sampled"] == 15 and regions["450321"]["sampled"] == 8
    # the ids sort by credit code order within a region: the first 8 are in 秀峰区
    assert regions["450302"]["accuracy_rate"] == pytest.approx(0.5)
    assert regions["450321"]["accuracy_rate"] is None
    # one bad carrier makes the whole report inaccurate
    iid = accurate_ids[0]
    water = next(i for i in items if i["institution_id"] == iid and i["carrier"] == "water")
    record_verified(world.engine, ADMIN, spot_check_id=check["id"], institution_id=iid,
                    carrier_code="water", verified=water["reported"] * 2)
    got = get_spot_check(world.engine, Scope.everything(), check["id"])
    assert got["accuracy"]["total"]["accurate"] == 3
    # clearing a verified value
    record_verified(world.engine, ADMIN, spot_check_id=check["id"], institution_id=iid,
                    carrier_code="water", verified=None)
    assert get_spot_check(world.engine, Scope.everything(),
                          check["id"])["accuracy"]["total"]["accurate"] == 4
    with world.engine.connect() as conn:
        rows = conn.execute(select(t.audit_log).where(
            t.audit_log.c.action == "spot_check.verify")).all()
    assert len(rows) == 10
    listed = list_spot_checks(world.engine, Scope.everything(), year=2025)["items"]
    assert [c["id"] for c in listed] == [check["id"]]
    assert listed[0]["accuracy_rate"] == pytest.approx(0.5)


def test_within_tolerance() -> None:
    assert within_tolerance(100.0, 105.0, 0.05)
    assert not within_tolerance(100.0, 105.1, 0.05)
    assert within_tolerance(0.0, 0.0, 0.05) and not within_tolerance(None, 1.0, 0.05)


def test_verify_rejects_bad_values_and_unknown_items(world: SpotWorld) -> None:
    approve_all(world)
    check = create_spot_check(world.engine, ADMIN, region_code="450300", year=2025, seed=5)
    item = check["items"][0]
    with pytest.raises(ValidationFailed):
        record_verified(world.engine, ADMIN, spot_check_id=check["id"],
                        institution_id=item["institution_id"], carrier_code=item["carrier"],
                        verified=-1.0)
    with pytest.raises(NotFound):
        record_verified(world.engine, ADMIN, spot_check_id=check["id"],
                        institution_id=item["institution_id"], carrier_code="coal",
                        verified=1.0)
    with pytest.raises(NotFound):
        get_spot_check(world.engine, Scope.everything(), 99999)


def test_roles_and_scope(world: SpotWorld) -> None:
    approve_all(world)
    county = user(Role.REGION, "450321", uid=2)
    for role in (Role.DEPARTMENT, Role.INSTITUTION, Role.VIEWER):
        someone = user(role, "450321", institution_id=world.ids[world.codes("450321")[0]])
        with pytest.raises(NotPermitted):
            create_spot_check(world.engine, someone, region_code="450321", year=2025)
    with pytest.raises(NotFound):  # outside the county's subtree, and above it
        create_spot_check(world.engine, county, region_code="450302", year=2025)
    with pytest.raises(NotFound):
        create_spot_check(world.engine, county, region_code="450300", year=2025)
    own = create_spot_check(world.engine, county, region_code="450321", year=2025, share=1.0)
    assert {i["credit_code"] for i in own["items"]} == set(world.codes("450321"))
    city = create_spot_check(world.engine, ADMIN, region_code="450300", year=2025, share=1.0)
    with pytest.raises(NotFound):  # the county does not see the city's check
        get_spot_check(world.engine, county.scope, city["id"])
    item = city["items"][0]
    with pytest.raises(NotFound):
        record_verified(world.engine, county, spot_check_id=city["id"],
                        institution_id=item["institution_id"], carrier_code=item["carrier"],
                        verified=1.0)
    listed = list_spot_checks(world.engine, county.scope)["items"]
    assert [c["id"] for c in listed] == [own["id"]]
    # an institution sees the county's check with its own items only
    school = world.ids[world.codes("450321")[0]]
    mine = get_spot_check(world.engine, Scope.institution(school), own["id"])
    assert {i["institution_id"] for i in mine["items"]} == {school}
    with pytest.raises(NotFound):
        list_spot_checks(world.engine, county.scope, region_code="450302")
