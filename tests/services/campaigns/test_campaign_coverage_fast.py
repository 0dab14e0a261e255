"""The coverage counts of :func:`jieneng.services.campaigns.coverage._counts_by_scheme`
(one statement per scheme: the eligible institutions grouped by region, each count a
SUM of a semi-join; all counts or only some) equal the ten statements per scheme they
replaced (:func:`_reference_counts`, the earlier code kept here verbatim)
on a small random world of two schemes over two years, on both databases: members in
every state, submitted or not, two rounds of one scheme and year, spot checks, titles
held, revoked before and after the year's end, expired and not yet awarded, 回头看 in
every state, an inactive unit and a scope narrower than the region."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, and_, func, or_, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from jieneng.core.campaigns.checks import CONCLUDED, PASSED
from jieneng.core.codes import make_credit_code
from jieneng.core.permissions import Role
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.core.workplans import indicator
from jieneng.services.campaigns import coverage
from jieneng.services.campaigns.checks import draw_sample
from jieneng.services.campaigns.rounds import open_round
from jieneng.services.campaigns.schemes import install_shipped
from jieneng.services.entry.imports import import_file
from jieneng.storage import campaign_rounds as rounds_store
from jieneng.storage import campaign_titles as titles_store
from jieneng.storage import regions as region_store
from jieneng.storage import tables as t
from jieneng.storage import title_awards
from jieneng.storage.campaign_rounds import campaign_round, campaign_round_member, campaign_title
from jieneng.storage.campaign_titles import (
    campaign_recheck,
    campaign_spot_check,
    campaign_spot_check_member,
)
from jieneng.storage.coverage_sets import RECOMMENDED_STATES
from jieneng.storage.scoping import institution_conditions
from jieneng.storage.tables import institution
from tests.sample import write_csv
from tests.services.metering_world import user

ADMIN = user(Role.ADMIN)
COUNTIES = ("450302", "450321", "450323")
SCHEMES = ("conservation_organ", "water_saving_unit")
YEARS = (2024, 2025)
SOME = ("members", "spot_checked", "taking_part")
RECHECK_STATES = ("pending", "passed", "rectifying", "rectified", "revoked")


def _reference_counts(conn: Connection, where: Sequence[ColumnElement[bool]],
                      scheme_code: str, year: int) -> dict[str, dict[str, int]]:
    """The ten grouped statements of the first version (commit 9b6af2f), verbatim."""
    i, r, m = institution, campaign_round, campaign_round_member
    t_, k = campaign_title, campaign_recheck
    c, cm = campaign_spot_check, campaign_spot_check_member
    first, last = date(year, 1, 1), date(year, 12, 31)
    by_region = i.c.region_code

    def count(*joins_where: Any, frm: Any = None) -> Select[Any]:
        query = select(by_region, func.count(func.distinct(i.c.id)))
        if frm is not None:
            query = query.select_from(frm)
        return query.where(*where, *joins_where).group_by(by_region)

    member_of = (select(m.c.institution_id).join(r, r.c.id == m.c.round_id)
                 .where(r.c.scheme_code == scheme_code, r.c.year == year))
    held = (select(t_.c.institution_id).where(
        t_.c.scheme_code == scheme_code, t_.c.awarded_on <= last,
        or_(t_.c.state == "held", and_(t_.c.state == "revoked", t_.c.revoked_on > last)),
        or_(t_.c.valid_until.is_(None), t_.c.valid_until >= last)))
    members_join = i.join(m, m.c.institution_id == i.c.id).join(r, r.c.id == m.c.round_id)
    in_round = (r.c.scheme_code == scheme_code, r.c.year == year)
    checked = (select(cm.c.institution_id).join(c, c.c.id == cm.c.check_id)
               .join(r, r.c.id == c.c.round_id)
               .where(r.c.scheme_code == scheme_code, r.c.year == year))
    rechecks = i.join(k, k.c.institution_id == i.c.id)
    concluded = (k.c.scheme_code == scheme_code, k.c.concluded_on.between(first, last))
    queries: dict[str, Select[Any]] = {
        "eligible": count(),
        "members": count(i.c.id.in_(member_of)),
        "self_assessed": count(*in_round, m.c.submitted_at.is_not(None), frm=members_join),
        "spot_checked": count(i.c.id.in_(checked)),
        "recommended": count(*in_round, m.c.state.in_(RECOMMENDED_STATES),
                             frm=members_join),
        "awarded": count(i.c.id.in_(select(t_.c.institution_id).where(
            t_.c.scheme_code == scheme_code, t_.c.awarded_on.between(first, last)))),
        "titles_held": count(i.c.id.in_(held)),
        "taking_part": count(or_(i.c.id.in_(member_of), i.c.id.in_(held))),
        "rechecked": count(*concluded, k.c.state.in_([s.value for s in CONCLUDED]),
                           frm=rechecks),
        "recheck_passed": count(*concluded, k.c.state.in_([s.value for s in PASSED]),
                                frm=rechecks),
    }
    return {name: {str(code).strip(): int(n) for code, n in conn.execute(query)}
            for name, query in queries.items()}


def _institutions(tmp_path: Path) -> Path:
    rows: list[list[object]] = []
    for n, county in enumerate(COUNTIES):
        for k in range(14):
            category, prefix = ("01", "11") if k % 3 else ("021", "12")
            rows.append([make_credit_code(prefix, county, 5000 + 100 * n + k),
                         f"单位{n}-{k}", county, category, "", "否", "在用"])
    return write_csv(tmp_path / "institutions.csv",
                     ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别",
                      "主管部门统一社会信用代码", "重点用能单位", "状态"], rows)


def _scatter(engine: Engine, rng: random.Random) -> None:
    """Member states, submissions, titles and 回头看 at random (set-based writes)."""
    m, r = rounds_store.campaign_round_member, rounds_store.campaign_round
    now = datetime.now(UTC)
    with engine.begin() as conn:
        members = conn.execute(select(m.c.id, m.c.institution_id, r.c.id, r.c.scheme_code,
                                      r.c.year).join(r, r.c.id == m.c.round_id)).all()
        for member_id, *_ in members:
            state = rng.choice(("invited", "submitted", "recommended", "publicised",
                                "awarded", "rejected", "failed"))
            submitted = now if state != "invited" and rng.random() < 0.8 else None
            conn.execute(update(m).where(m.c.id == member_id)
                         .values(state=state, submitted_at=submitted))
        rows = []
        for _, institution_id, round_id, scheme, year in members:
            if rng.random() < 0.5:
                rows.append({"institution_id": int(institution_id), "scheme_code": scheme,
                             "round_id": int(round_id), "level": "city",
                             "awarded_on": date(year, rng.choice((3, 12)), 1),
                             "valid_until": rng.choice((None, date(2024, 12, 31),
                                                        date(2025, 6, 30)))})
        title_awards.award_titles(conn, rows)
        title = rounds_store.campaign_title
        titles = conn.execute(select(title.c.id, title.c.institution_id,
                                     title.c.scheme_code)).all()
        for title_id, *_ in titles[::4]:
            conn.execute(update(title).where(title.c.id == title_id).values(
                state="revoked", revoked_on=rng.choice((date(2024, 6, 1), date(2024, 12, 31),
                                                        date(2025, 1, 1), date(2026, 1, 1)))))
        titles_store.insert_rechecks(conn, [
            {"title_id": int(tid), "institution_id": int(iid), "scheme_code": scheme,
             "region_code": "450321", "year": 2025, "state": (state := rng.choice(
                 RECHECK_STATES)), "selected_by": "test", "selected_at": now,
             "concluded_on": None if state in ("pending", "rectifying") else
             rng.choice((date(2024, 11, 1), date(2025, 5, 1)))}
            for tid, iid, scheme in titles if rng.random() < 0.7])


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
    from importlib import resources

    regions = tmp_path / "regions.csv"
    regions.write_bytes(resources.files("jieneng.data.regions").joinpath("guilin.csv")
                        .read_bytes())
    import_file(engine, "regions", regions)
    import_file(engine, "institutions", _institutions(tmp_path))
    install_shipped(engine, ADMIN)
    for scheme in SCHEMES:
        for year in YEARS:
            rid = int(open_round(engine, ADMIN, scheme, "450300", year, title="轮次")["id"])
            draw_sample(engine, ADMIN, rid, rate=0.4, seed=year)
    # a second round of one scheme and year, a county's: members twice
    open_round(engine, ADMIN, "conservation_organ", "450321", 2025, title="县级轮次")
    _scatter(engine, random.Random(20251204))
    i = t.institution
    with engine.begin() as conn:  # a unit closed after taking part: counted nowhere
        conn.execute(update(i).where(i.c.id == select(func.min(i.c.id)).where(
            i.c.region_code == "450321", i.c.category == "01").scalar_subquery())
            .values(status="closed"))
    return engine


def _where(conn: Connection, filters: Filters, scheme: str) -> list[ColumnElement[bool]]:
    return [institution.c.status == "active",
            *institution_conditions(conn, filters, categories=coverage._categories(scheme))]


def test_fast_counts_equal_the_ten_statements(world: Engine) -> None:
    with world.connect() as conn:
        tree = RegionTree(region_store.load_regions(conn))
        inside = conn.execute(select(t.institution.c.id).where(
            t.institution.c.region_code == "450321")).scalars().all()
        scopes = (Filters(tree.subtree("450300"), None, None),
                  Filters(tree.subtree("450321"), None, None),
                  Filters(None, None, sorted(inside)[::2]))
        compared = 0
        for year in (2023, *YEARS, 2026):
            for filters in scopes:
                base = [institution.c.status == "active",
                        *institution_conditions(conn, filters)]
                both = coverage._counts_by_scheme(conn, base, SCHEMES, year)
                some = coverage._counts_by_scheme(conn, base, SCHEMES, year, SOME)
                for scheme in SCHEMES:
                    old = _reference_counts(conn, _where(conn, filters, scheme), scheme, year)
                    expected = {k: {c: n for c, n in v.items() if n} for k, v in old.items()}
                    assert both[scheme] == expected, (scheme, year, filters)
                    assert some[scheme] == {k: v for k, v in expected.items()
                                            if k in {"eligible", *SOME}}
                    compared += sum(sum(v.values()) for v in old.values())
    assert compared > 500  # the world is not empty


def test_region_coverage_rows_unchanged(world: Engine) -> None:
    """Whole rows (counts folded into the children, rates, target) on both paths."""
    for scheme in SCHEMES:
        for year in YEARS:
            rows = coverage.region_coverage(world, "450300", year, scheme)
            with world.connect() as conn:
                tree = RegionTree(region_store.load_regions(conn))
                where = _where(conn, Filters(tree.subtree("450300"), None, None), scheme)
                old = coverage._fold(tree, "450300", _reference_counts(conn, where, scheme,
                                                                       year), True)
            for row, before in zip(rows, old, strict=True):
                assert {k: row[k] for k in before} == before
            assert rows[0]["members"] > 0 and rows[0]["titles_held"] > 0
        together = coverage.schemes_coverage(world, "450300", year, SCHEMES)
        assert together == {s: coverage.region_coverage(world, "450300", year, s)
                            for s in SCHEMES}
        some = coverage.schemes_coverage(world, "450300", year, SCHEMES, counts=SOME)
        for scheme in SCHEMES:  # the counts asked, the rates made of them, nothing else
            for row, full in zip(some[scheme], together[scheme], strict=True):
                assert row == {k: v for k, v in full.items() if k not in (
                    "self_assessed", "recommended", "awarded", "titles_held", "rechecked",
                    "recheck_passed", "compliance_rate", "self_assessment_rate",
                    "recheck_pass_rate")}


def test_plan_indicators_read_the_schemes_together(world: Engine) -> None:
    """A work plan's coverage indicators of two schemes (and an unknown one, not
    available) computed in one pass equal each scheme's :func:`region_coverage`."""
    from jieneng.services import result_cache
    from jieneng.services.workplans import indicators
    from jieneng.services.workplans.region_fold import Key

    result_cache.clear(world)
    regions = {"450300", "450321", "450323"}
    needs: dict[Key, set[str]] = {
        ("campaign_compliance_rate", "scheme=conservation_organ"): regions,
        ("campaign_self_assessment_rate", "scheme=water_saving_unit"): regions,
        ("campaign_titles", "scheme=water_saving_unit"): regions,
        ("campaign_spot_check_rate", "scheme=no_such_scheme"): regions}
    with world.connect() as conn:
        tree = RegionTree(region_store.load_regions(conn))
        found = indicators.compute(world, conn, tree, 2025, needs, date(2025, 12, 31))
    assert ("campaign_spot_check_rate", "scheme=no_such_scheme") not in found
    for (code, param), values in found.items():
        scheme = (param or "").removeprefix("scheme=")
        rows = {r["region_code"]: r for r in
                coverage.region_coverage(world, "450300", 2025, scheme)}
        key = indicator(code).parameter
        for region in regions:
            raw = rows[region][key]
            expected = None if raw is None else (100.0 * raw if key.endswith("_rate")
                                                 else float(raw))
            assert values[region] == pytest.approx(expected), (code, region)
