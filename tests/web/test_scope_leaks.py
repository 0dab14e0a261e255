"""The two scope leaks of issue 10 §2, named: alerts and the periods of the reporting rate.

Before the fix the alert list passed only the region part of the caller's scope to
storage (a 主管机构 or 公共机构 account got every alert of its county, or — asking
for the city — of every county, and the page then answered 404 on the first
foreign alert's history), and ``/reporting/rate?region=<city>`` listed the periods
of every county. The world is :mod:`tests.web.scope_world` (sibling institution,
sibling department, sibling county with its own period).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.templates import register_seed
from tests.web.conftest import EDU, ORGAN, OTHER, SCHOOL, SILENT, World, csrf
from tests.web.scope_world import (
    CLINIC,
    HEALTH,
    Siblings,
    add_siblings,
    build_with_siblings,
    seeded_siblings,
)

# the world and its siblings are one template (built once per worker and backend)
register_seed("siblings", Path(__file__), build_with_siblings)


@pytest.fixture
def siblings(request: pytest.FixtureRequest, world: World, tmp_path: Path) -> Siblings:
    return seeded_siblings(request) or add_siblings(world, tmp_path)


def _alert_keys(world: World, siblings: Siblings, role: str, url: str) -> set[str]:
    """The alerts ``role`` gets at ``url``, as credit codes (institution alerts) or
    county codes (region-level alerts)."""
    response = world.login(role).get(url)
    assert response.status_code == 200, f"{role} {url}: {response.text[:300]}"
    by_id = {alert_id: key for key, alert_id in siblings.alerts.items()}
    return {by_id[item["id"]] for item in response.json()["items"]}


@pytest.mark.parametrize("url", ["/api/v1/alerts", "/api/v1/alerts?closed=true",
                                 "/api/v1/alerts?region=450321",
                                 "/api/v1/alerts?region=450300&year=2025"])
def test_alerts_of_a_department_or_an_institution_are_its_units_own(
    world: World, siblings: Siblings, url: str
) -> None:
    assert _alert_keys(world, siblings, "department", url) == {EDU, SCHOOL, SILENT}
    assert _alert_keys(world, siblings, "institution", url) == {SCHOOL}


def test_alerts_of_a_county_are_its_own_and_its_units(world: World,
                                                      siblings: Siblings) -> None:
    county = {EDU, SCHOOL, SILENT, HEALTH, CLINIC, "450321"}
    assert _alert_keys(world, siblings, "region", "/api/v1/alerts") == county
    assert _alert_keys(world, siblings, "viewer", "/api/v1/alerts") == {
        ORGAN, OTHER, "450302"}
    everything = _alert_keys(world, siblings, "admin", "/api/v1/alerts?region=450300")
    assert everything == county | {ORGAN, OTHER, "450302"}


@pytest.mark.parametrize("role", ["department", "institution"])
@pytest.mark.parametrize("url", ["/alerts", "/alerts?region=450300", "/alerts?year=2025"])
def test_the_alerts_page_opens_for_a_school_and_a_department(
    world: World, siblings: Siblings, role: str, url: str
) -> None:
    """It answered 404 (the history of a foreign alert) for these two roles."""
    response = world.login(role).get(url)
    assert response.status_code == 200, response.text[:300]
    own = {"department": (EDU, SCHOOL, SILENT), "institution": (SCHOOL,)}[role]
    for code, limit in siblings.limits.items():
        assert (limit in response.text) == (code in own), (code, limit)


def test_another_institutions_alert_cannot_be_filtered_for(world: World,
                                                           siblings: Siblings) -> None:
    client = world.login("department")
    assert client.get(f"/api/v1/alerts?institution={CLINIC}").status_code == 404
    items = client.get(f"/api/v1/alerts?institution={SILENT}").json()["items"]
    assert [i["id"] for i in items] == [siblings.alerts[SILENT]]


def _period_ids(world: World, role: str, url: str) -> set[int]:
    response = world.login(role).get(url)
    assert response.status_code == 200, f"{role} {url}: {response.text[:300]}"
    return {int(p["id"]) for p in response.json()["periods"]}


@pytest.mark.parametrize("role", ["department", "institution"])
def test_the_rate_of_the_city_lists_only_periods_covering_the_callers_units(
    world: World, siblings: Siblings, role: str
) -> None:
    own = {siblings.city_period, siblings.periods["450321"]}
    for url in ("/api/v1/reporting/rate?region=450300", "/api/v1/reporting/rate",
                f"/api/v1/reporting/rate?period={siblings.city_period}"):
        assert _period_ids(world, role, url) == own, url
    foreign = siblings.periods["450302"]
    client = world.login(role)
    assert client.get(f"/api/v1/reporting/rate?period={foreign}").status_code == 404
    page = client.get("/reporting/rate?region=450300")
    assert page.status_code == 200
    assert "2023年7月" not in page.text and "2023年8月" in page.text


def test_the_rate_of_a_county_lists_no_other_countys_period(world: World,
                                                           siblings: Siblings) -> None:
    county = _period_ids(world, "region", "/api/v1/reporting/rate")
    assert county == {siblings.city_period, siblings.periods["450321"]}
    viewer = _period_ids(world, "viewer", "/api/v1/reporting/rate")
    assert viewer == {siblings.city_period, siblings.periods["450302"]}
    admin = _period_ids(world, "admin", "/api/v1/reporting/rate?region=450300")
    assert admin == {siblings.city_period, *siblings.periods.values()}


@pytest.mark.parametrize(("role", "own"), [("department", {EDU, SCHOOL, SILENT}),
                                           ("institution", {SCHOOL})])
def test_institution_targets_are_the_units_own(world: World, siblings: Siblings, role: str,
                                               own: set[str]) -> None:
    by_id = {iid: code for code, iid in siblings.ids.items()}
    for region in ("450321", "450300"):
        response = world.login(role).get(
            f"/api/v1/targets/institutions?region={region}&year=2025")
        assert response.status_code == 200, response.text[:300]
        got = {by_id[item["institution_id"]] for item in response.json()["items"]}
        assert got == own, region


@pytest.mark.parametrize(("role", "foreign", "own"), [
    ("department", CLINIC, SILENT), ("institution", SILENT, SCHOOL),
    ("region", ORGAN, CLINIC)])
def test_an_alert_outside_the_scope_cannot_be_acknowledged(
    world: World, siblings: Siblings, role: str, foreign: str, own: str
) -> None:
    """The write path has the same scope: a 教育局 could acknowledge the alert of the
    卫生健康局's hospital in its county (the region was the only check)."""
    client = world.login(role)
    headers = {"X-CSRF-Token": csrf(client)}
    response = client.post(f"/api/v1/alerts/{siblings.alerts[foreign]}/acknowledge",
                           headers=headers)
    assert response.status_code == 404, response.text
    assert foreign not in response.text
    response = client.post(f"/api/v1/alerts/{siblings.alerts[own]}/acknowledge",
                           headers=headers)
    assert response.status_code == 200, response.text
    states = {i["id"]: i["state"] for i in
              world.login("admin").get("/api/v1/alerts?closed=true").json()["items"]}
    assert states[siblings.alerts[foreign]] == "open"
    assert states[siblings.alerts[own]] == "acknowledged"
