"""Coverage narrowed to an institution category and a title level (a work plan's
``category=`` / ``level=``), on both databases, against reference values counted by hand
on a small world of 桂林 (450300): organs (01), 事业单位 (021, 024) and a 团体 (03) in two
counties, 节水型单位 titles of both categories, 示范单位 titles of the national,
provincial and city levels (one revoked, one of another year), a 回头看 of a national
title. Then the four seed items that fell back to a hand report (渠县 2023 rows 9–10,
桂林 2024 rows 9–10) computed by a work plan, and what is still refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from jieneng.core.campaigns.coverage import takes_level
from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Role
from jieneng.services.campaigns import coverage
from jieneng.services.campaigns.coverage import Slice
from jieneng.services.campaigns.schemes import install_shipped
from jieneng.services.entry.imports import import_file
from jieneng.services.workplans.assign import assign_item
from jieneng.services.workplans.items import add_item
from jieneng.services.workplans.plans import create_plan
from jieneng.services.workplans.progress import plan_progress
from jieneng.storage import campaign_rounds as rounds_store
from jieneng.storage import campaign_titles as titles_store
from jieneng.storage import tables as t
from jieneng.storage import title_awards
from tests.sample import write_csv
from tests.services.metering_world import user

ADMIN = user(Role.ADMIN)
CITY = user(Role.REGION, "450300", uid=2)
YEAR = 2024

#: county → category → number of units (credit codes made in this order)
UNITS: dict[str, dict[str, int]] = {
    "450321": {"01": 4, "021": 3, "024": 3, "03": 1},
    "450302": {"01": 2, "021": 2},
}
#: (county, category, index within them) → titles: (scheme, level, state)
TITLES: dict[tuple[str, str, int], list[tuple[str, str, str]]] = {
    ("450321", "01", 0): [("water_saving_unit", "county", "held"),
                          ("demonstration_unit", "national", "held")],
    ("450321", "01", 1): [("water_saving_unit", "county", "held"),
                          ("demonstration_unit", "city", "held")],
    ("450321", "01", 2): [("water_saving_unit", "county", "held"),
                          ("demonstration_unit", "national", "revoked")],
    ("450321", "021", 0): [("water_saving_unit", "city", "held"),
                           ("demonstration_unit", "national", "held")],
    ("450321", "021", 1): [("demonstration_unit", "provincial", "held")],
    ("450321", "024", 0): [("water_saving_unit", "county", "held"),
                           ("demonstration_unit", "provincial", "held")],
    ("450321", "03", 0): [("water_saving_unit", "county", "held")],  # not eligible
    ("450302", "01", 0): [("water_saving_unit", "county", "held"),
                          ("demonstration_unit", "provincial", "held")],
    ("450302", "021", 0): [("demonstration_unit", "national", "next_year")],
}


def _institutions(tmp_path: Path) -> Path:
    rows: list[list[object]] = []
    for n, (county, categories) in enumerate(UNITS.items()):
        for c, (category, count) in enumerate(categories.items()):
            for k in range(count):
                rows.append([make_credit_code("11" if category == "01" else "12", county,
                                              7000 + 100 * n + 10 * c + k),
                             f"单位{county}-{category}-{k}", county, category, "", "否",
                             "在用"])
    return write_csv(tmp_path / "institutions.csv",
                     ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别",
                      "主管部门统一社会信用代码", "重点用能单位", "状态"], rows)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
    from importlib import resources

    regions = tmp_path / "regions.csv"
    regions.write_bytes(resources.files("jieneng.data.regions").joinpath("guilin.csv")
                        .read_bytes())
    import_file(engine, "regions", regions)
    import_file(engine, "institutions", _institutions(tmp_path))
    install_shipped(engine, ADMIN)
    i = t.institution
    with engine.begin() as conn:
        ids: dict[tuple[str, str], list[int]] = {}
        for iid, region, category in conn.execute(
                select(i.c.id, i.c.region_code, i.c.category).order_by(i.c.credit_code)):
            ids.setdefault((str(region).strip(), str(category).strip()), []).append(int(iid))
        rows: list[dict[str, Any]] = []
        for (county, category, k), titles in TITLES.items():
            for scheme, level, state in titles:
                awarded = date(YEAR + 1, 3, 1) if state == "next_year" else date(YEAR, 3, 1)
                rows.append({"institution_id": ids[(county, category)][k],
                             "scheme_code": scheme, "round_id": None, "level": level,
                             "awarded_on": awarded, "valid_until": None})
        title_awards.award_titles(conn, rows)
        title = rounds_store.campaign_title
        found = conn.execute(select(title.c.id, title.c.institution_id, title.c.scheme_code,
                                    title.c.level)).all()
        revoked = ids[("450321", "01")][2]
        conn.execute(title.update().where(title.c.institution_id == revoked,
                                          title.c.scheme_code == "demonstration_unit")
                     .values(state="revoked", revoked_on=date(YEAR, 6, 1)))
        national = next(f for f in found if f.institution_id == ids[("450321", "01")][0]
                        and f.scheme_code == "demonstration_unit")
        city = next(f for f in found if f.institution_id == ids[("450321", "01")][1]
                    and f.scheme_code == "demonstration_unit")
        now = datetime.now(UTC)
        titles_store.insert_rechecks(conn, [
            {"title_id": int(f.id), "institution_id": int(f.institution_id),
             "scheme_code": "demonstration_unit", "region_code": "450321", "year": YEAR,
             "state": state, "selected_by": "test", "selected_at": now,
             "concluded_on": date(YEAR, 10, 1)}
            for f, state in ((national, "passed"), (city, "revoked"))])
    return engine


def _by_region(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["region_code"]: r for r in rows}


def test_rate_per_category(world: Engine) -> None:
    """节水型单位 (population 01 + 02): 党政机关 4 of 6 hold the title, 事业单位 2 of 8;
    the 团体's title is outside the population."""
    organs = _by_region(coverage.region_coverage(world, "450300", YEAR, "water_saving_unit",
                                                 category="01"))
    units = _by_region(coverage.region_coverage(world, "450300", YEAR, "water_saving_unit",
                                                category="02"))
    whole = _by_region(coverage.region_coverage(world, "450300", YEAR, "water_saving_unit"))
    assert (organs["450300"]["eligible"], organs["450300"]["titles_held"]) == (6, 4)
    assert organs["450300"]["compliance_rate"] == pytest.approx(4 / 6)
    assert organs["450321"]["compliance_rate"] == pytest.approx(3 / 4)
    assert organs["450302"]["compliance_rate"] == pytest.approx(1 / 2)
    assert (units["450300"]["eligible"], units["450300"]["titles_held"]) == (8, 2)
    assert units["450321"]["compliance_rate"] == pytest.approx(2 / 6)
    assert units["450302"]["compliance_rate"] == 0
    assert organs["450323"]["compliance_rate"] is None  # nothing eligible there
    assert (whole["450300"]["eligible"], whole["450300"]["titles_held"]) == (14, 6)
    leaf = _by_region(coverage.region_coverage(world, "450300", YEAR, "water_saving_unit",
                                               category="024"))
    assert (leaf["450321"]["eligible"], leaf["450321"]["titles_held"]) == (3, 1)


def test_count_per_level(world: Engine) -> None:
    """示范单位 (every category): national 2 held (one revoked in the year, one awarded
    the year after), provincial 3, city 1; the 回头看 of the national title only."""
    national = _by_region(coverage.region_coverage(world, "450300", YEAR, "demonstration_unit",
                                                   level="national"))
    provincial = _by_region(coverage.region_coverage(world, "450300", YEAR,
                                                     "demonstration_unit", level="provincial"))
    assert [national[c]["titles_held"] for c in ("450300", "450321", "450302")] == [2, 2, 0]
    assert [provincial[c]["titles_held"] for c in ("450300", "450321", "450302")] == [3, 2, 1]
    assert national["450300"]["awarded"] == 3  # the revoked one was awarded in the year
    assert (national["450300"]["rechecked"], national["450300"]["recheck_passed"]) == (1, 1)
    assert national["450300"]["recheck_pass_rate"] == 1.0
    assert national["450300"]["compliance_rate"] == pytest.approx(2 / 15)
    whole = _by_region(coverage.region_coverage(world, "450300", YEAR, "demonstration_unit"))
    assert whole["450300"]["titles_held"] == 6
    assert (whole["450300"]["rechecked"], whole["450300"]["recheck_passed"]) == (2, 1)
    # a levelled reading carries only what a level narrows
    assert set(national["450300"]) == {
        "region_code", "region_name", "level", "eligible", "awarded", "titles_held",
        "rechecked", "recheck_passed", "compliance_rate", "recheck_pass_rate", "target"}
    both = _by_region(coverage.region_coverage(world, "450300", YEAR, "demonstration_unit",
                                               category="02", level="provincial"))
    assert (both["450300"]["eligible"], both["450300"]["titles_held"]) == (8, 2)


def test_one_statement_equals_each_alone(world: Engine) -> None:
    parts = [Slice("water_saving_unit"), Slice("water_saving_unit", "01"),
             Slice("water_saving_unit", "02"), Slice("demonstration_unit", None, "national"),
             Slice("demonstration_unit", None, "provincial"),
             Slice("demonstration_unit", "01", "national")]
    with world.connect() as conn:
        together = coverage.coverage_slices(conn, "450300", YEAR, parts)
        some = coverage.coverage_slices(conn, "450300", YEAR, parts, counts=("titles_held",))
    for part in parts:
        alone = coverage.region_coverage(world, "450300", YEAR, part.scheme,
                                         category=part.category, level=part.level)
        assert together[part] == alone
        for row, full in zip(some[part], alone, strict=True):
            assert row["titles_held"] == full["titles_held"]
            assert row["compliance_rate"] == full["compliance_rate"]
    triples = coverage.slices_coverage(world, "450300", YEAR,
                                       [(p.scheme, p.category, p.level) for p in parts])
    assert triples == {(p.scheme, p.category, p.level): rows for p, rows in together.items()}


def test_refused(world: Engine) -> None:
    with pytest.raises(ValidationFailed) as err:
        coverage.region_coverage(world, "450300", YEAR, "demonstration_unit", level="gold")
    assert err.value.code == "coverage_level_unknown"
    with pytest.raises(ValidationFailed) as err:  # 团体 are not 节水型单位's population
        coverage.region_coverage(world, "450300", YEAR, "water_saving_unit", category="03")
    assert err.value.code == "coverage_category_outside"
    with pytest.raises(ValidationFailed):
        coverage.region_coverage(world, "450300", YEAR, "water_saving_unit", category="9")
    # a plan's batch: the refused readings left out, the others in one statement
    asked = [("water_saving_unit", "01", None), ("water_saving_unit", "03", None),
             ("demonstration_unit", None, "gold"), ("no_such_scheme", None, None),
             ("demonstration_unit", None, "national")]
    kept = coverage.slices_coverage(world, "450300", YEAR, asked, leave_out_refused=True)
    assert list(kept) == [asked[0], asked[4]]
    assert kept[asked[4]][0]["titles_held"] == 2
    with pytest.raises(ValidationFailed):
        coverage.slices_coverage(world, "450300", YEAR, asked)
    assert takes_level("compliance_rate") and takes_level("titles_held")
    assert takes_level("recheck_pass_rate")
    assert not takes_level("self_assessment_rate") and not takes_level("creation_rate")


def test_seed_items_computed_by_a_plan(world: Engine) -> None:
    """渠县 rows 9–10 and 桂林 rows 9–10 (their parameters as in the seed sheets): computed
    for the city and each county; a parameter the coverage cannot take is still not
    available."""
    from jieneng.services import result_cache

    result_cache.clear(world)
    plan_id = int(create_plan(world, CITY, region_code="450300", year=YEAR, title="t")["id"])
    items = (("1", "campaign_compliance_rate", "scheme=water_saving_unit;category=01", "60"),
             ("2", "campaign_compliance_rate", "scheme=water_saving_unit;category=02", "60"),
             ("3", "campaign_titles", "scheme=demonstration_unit;level=national", "6"),
             ("4", "campaign_titles", "scheme=demonstration_unit;level=provincial", "8"),
             ("5", "campaign_self_assessment_rate", "scheme=water_saving_unit;level=national",
              "100"),
             ("6", "campaign_compliance_rate", "scheme=water_saving_unit;category=03", "60"),
             ("7", "campaign_titles", "scheme=demonstration_unit;level=gold", "1"),
             ("8", "campaign_titles", "scheme=demonstration_unit;building=1", "1"))
    for no, code, param, target in items:
        made = add_item(world, CITY, plan_id, {
            "item_no": no, "text": code, "deadline": f"{YEAR}-12-31", "indicator": code,
            "indicator_param": param, "target": target})
        if no in ("1", "3"):
            assign_item(world, CITY, made["id"])
    for attempt in range(2):  # computed, then from the result cache
        found = plan_progress(world, CITY, plan_id, as_of=date(YEAR, 7, 1))
        rows = {i["item_no"]: i for i in found["items"]}
        assert rows["1"]["value"] == pytest.approx(100 * 4 / 6), attempt
        assert rows["1"]["value_source"] == "computed"
        assert rows["1-450321"]["value"] == pytest.approx(75.0)
        assert rows["1-450321"]["status"] == "done"
        assert rows["1-450302"]["value"] == pytest.approx(50.0)
        assert rows["2"]["value"] == pytest.approx(25.0)
        assert rows["3"]["value"] == 2 and rows["3-450321"]["value"] == 2
        assert rows["3-450302"]["value"] == 0
        assert rows["4"]["value"] == 3
        for refused in ("5", "6", "7", "8"):
            assert rows[refused]["value"] is None, refused
            assert rows[refused]["available"] is False, refused
