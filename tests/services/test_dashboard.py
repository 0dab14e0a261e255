"""Overview, 同类可比 ranking and explanation, on both databases.

The 桂林 demo city (built once per worker and backend) checks that the overview
gives exactly the figures of :func:`jieneng.services.statistics.indicators.compute` and that
scope holds; a small hand-made sample checks the ranking's order, ties and the
institutions that cannot be ranked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jieneng.core.categories import categories_under
from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.indicators import AggregateInputs, compute_indicators
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters, Scope
from jieneng.services.entry.imports import import_file
from jieneng.services.statistics.explain import explain
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.services.statistics.indicators import IndicatorQuery, compute, inputs_of_institution
from jieneng.services.statistics.overview import latest_year, overview
from jieneng.services.statistics.publication_figures import publication
from jieneng.services.statistics.ranking import ranking
from jieneng.services.statistics.selection import RANKABLE
from jieneng.storage.indicators import institution_inputs
from jieneng.storage.institutions import get_institution
from jieneng.storage.regions import load_regions
from tests.sample import SCHOOL, SILENT, Files, write_csv

#: one worker builds the demo cities (tests/services/conftest.py) of this module and
#: test_directory (split by xdist, both workers built them, each module its own)
pytestmark = pytest.mark.xdist_group("demo_services")

HEADLINE = ("energy_tce", "water_m3", "co2_t", "energy_per_capita_kgce",
            "energy_per_area_kgce_m2", "water_per_capita_m3", "co2_per_area_kg_m2",
            "institutions_expected", "institutions_reported")


def institution_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        row = get_institution(conn, code)
    assert row is not None
    return row.id


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in HEADLINE:
        assert a[key] == pytest.approx(b[key], rel=1e-12), key
        assert a["previous_year"][key] == pytest.approx(b["previous_year"][key], rel=1e-12)
        if key in a["yoy"]:
            assert a["yoy"][key] == pytest.approx(b["yoy"][key], rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- overview


@pytest.mark.parametrize("months", [None, (1, 6)])
def test_overview_equals_compute(demo: Engine, months: tuple[int, int] | None) -> None:
    got = overview(demo, Scope.everything(), region_code="450300", year=2025, months=months)
    want = compute(demo, IndicatorQuery(region_code="450300", year=2025, months=months))
    assert_same(got, want)
    assert got["factor_set"] == want["factor_set"]
    assert [c["quantity"] for c in got["by_carrier"]] == pytest.approx(
        [c["quantity"] for c in want["by_carrier"]])
    assert got["region"] == {"code": "450300", "name": "桂林市"}
    assert got["months"] == list(months or (1, 12))
    assert got["dataset_label"] == "演示数据"


def test_overview_of_a_region_scope_equals_compute_of_that_region(demo: Engine) -> None:
    got = overview(demo, Scope.region("450321"), region_code=None, year=2025)
    want = compute(demo, IndicatorQuery(region_code="450321", year=2025))
    assert_same(got, want)
    assert got["region"]["code"] == "450321"
    assert [g["code"] for g in got["by_child_region"]] == ["450321"]


def test_monthly_trend_adds_up_to_the_year(demo: Engine) -> None:
    got = overview(demo, Scope.everything(), region_code="450300", year=2025)
    trend = got["monthly_trend"]
    assert trend["months"] == list(range(1, 13))
    for key in ("energy_tce", "water_m3", "co2_t"):
        months = trend["current"][key]
        assert len(months) == 12 and all(v is not None for v in months)
        assert sum(months) == pytest.approx(got[key], rel=1e-9)
        assert sum(v or 0.0 for v in trend["previous"][key]) == pytest.approx(
            got["previous_year"][key], rel=1e-9)
    # the first half of the year is the sum of its months
    half = overview(demo, Scope.everything(), region_code="450300", year=2025, months=(1, 6))
    assert sum(trend["current"]["energy_tce"][:6]) == pytest.approx(half["energy_tce"], rel=1e-9)


def test_groups_add_up_and_carry_explain_links(demo: Engine) -> None:
    got = overview(demo, Scope.everything(), region_code="450300", year=2025)
    regions = got["by_child_region"]
    categories = got["by_category"]
    assert regions[0]["code"] == "450300" and regions[0]["name"] == "桂林市（本级）"
    assert regions[0]["own_level"] is True
    for groups in (regions, categories):
        assert sum(g["energy_tce"] for g in groups) == pytest.approx(got["energy_tce"])
        assert sum(g["institutions_expected"] for g in groups) == got["institutions_expected"]
    county = next(g for g in regions if g["code"] == "450321")
    assert county["explain"]["region_code"] == "450321"
    again = explain(demo, Scope.everything(), **county["explain"])
    assert again["figures"]["energy_tce"] == pytest.approx(county["energy_tce"])
    own = explain(demo, Scope.everything(), **regions[0]["explain"])
    assert own["figures"]["energy_tce"] == pytest.approx(regions[0]["energy_tce"])
    assert {i["region_code"] for i in own["inputs"]["items"]} == {"450300"}
    education = next(g for g in categories if g["code"] == "021")
    assert education["name"] == "教育"
    by_category = explain(demo, Scope.everything(), **education["explain"])
    assert by_category["figures"]["energy_tce"] == pytest.approx(education["energy_tce"])
    carriers = {c["carrier"]: c for c in got["by_carrier"]}
    assert carriers["electricity"]["previous_quantity"] > 0
    assert carriers["electricity"]["yoy_quantity"] == pytest.approx(
        carriers["electricity"]["quantity"] / carriers["electricity"]["previous_quantity"] - 1)


def test_scope_is_enforced(demo: Engine) -> None:
    county = Scope.region("450321")
    with pytest.raises(NotFound):
        overview(demo, county, region_code="450300", year=2025)
    with pytest.raises(NotFound):
        explain(demo, county, region_code="450302", year=2025)
    outside = overview(demo, Scope.everything(), region_code="450302", year=2025)
    assert outside["institutions_expected"] > 0
    inside = explain(demo, county, region_code=None, year=2025, per_page=1000)
    assert inside["inputs"]["total"] == inside["figures"]["institutions_expected"]
    assert {i["region_code"] for i in inside["inputs"]["items"]} == {"450321"}
    ranked = ranking(demo, county, region_code=None, year=2025, category="021",
                     indicator="energy_per_area_kgce_m2", per_page=1000)
    assert ranked["total"] > 0
    assert {i["region_code"] for i in ranked["items"]} == {"450321"}
    # an outside institution is not found, whether asked for by code or by region
    stranger = next(i for i in outside_items(demo) if i["region_code"] == "450302")
    with pytest.raises(NotFound):
        explain(demo, county, region_code=None, year=2025,
                institution_code=stranger["credit_code"])
    with pytest.raises(NotFound):
        explain(demo, county, region_code=None, year=2025, institution_code="nope")


def outside_items(engine: Engine) -> list[dict[str, Any]]:
    return list(explain(engine, Scope.everything(), region_code="450302", year=2025,
                        per_page=1000)["inputs"]["items"])


def test_one_institution_sees_only_itself(demo: Engine) -> None:
    mine = outside_items(demo)[0]
    scope = Scope.institution(institution_id(demo, mine["credit_code"]))
    got = overview(demo, scope, region_code=None, year=2025)
    assert got["institutions_expected"] == 1
    want = compute(demo, IndicatorQuery(region_code="450302", year=2025,
                                        institution_code=mine["credit_code"]))
    assert_same(got, want)
    inputs = explain(demo, scope, region_code=None, year=2025)["inputs"]
    assert [i["credit_code"] for i in inputs["items"]] == [mine["credit_code"]]
    other = outside_items(demo)[1]
    with pytest.raises(NotFound):
        explain(demo, scope, region_code=None, year=2025, institution_code=other["credit_code"])
    ranked = ranking(demo, scope, region_code=None, year=2025, category=mine["category"],
                     indicator="energy_per_capita_kgce")
    assert [i["credit_code"] for i in ranked["items"]] == [mine["credit_code"]]


def test_explain_lists_formulas_factor_set_and_inputs(demo: Engine) -> None:
    got = explain(demo, Scope.everything(), region_code="450321", year=2025, per_page=5)
    assert [f["key"] for f in got["formulas"]][:3] == ["energy_tce", "water_m3", "co2_t"]
    assert all(f["formula_zh"] and f["formula_en"] for f in got["formulas"])
    assert got["factor_set"]["name"] == "pi-published"
    assert got["factor_set"]["electricity_co2"]["value"] > 0
    assert len(got["inputs"]["items"]) == 5
    assert got["inputs"]["total"] == got["figures"]["institutions_expected"]
    reported = [i for i in explain(demo, Scope.everything(), region_code="450321", year=2025,
                                   per_page=1000)["inputs"]["items"] if i["reported"]]
    assert sum(i["energy_tce"] for i in reported) == pytest.approx(got["figures"]["energy_tce"])


# ---------------------------------------------------------------- ranking on a small sample

TWIN = make_credit_code("12", "450321", 2003)
BIG = make_credit_code("12", "450302", 2004)
NOPROFILE = make_credit_code("12", "450321", 2005)


@pytest.fixture
def ranked_db(engine: Engine, files: Files, tmp_path: Path) -> Engine:
    """Five schools: SCHOOL and TWIN with equal figures, BIG higher, SILENT without
    figures, NOPROFILE without a profile; SCHOOL also has 2024."""
    extra = write_csv(
        tmp_path / "more.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [[TWIN, "阳朔县演示第三中学", "450321", "021", "", "否", "在用"],
         [BIG, "秀峰区演示第一中学", "450302", "021", "", "否", "在用"],
         [NOPROFILE, "阳朔县演示第四中学", "450321", "021", "", "否", "在用"]],
    )
    profiles = write_csv(
        tmp_path / "more_profiles.csv", ["统一社会信用代码", "年", "用能人数", "建筑面积(平方米)"],
        [[TWIN, 2025, 1000, 10000], [BIG, 2025, 1000, 10000], [SCHOOL, 2024, 1000, 10000]],
    )
    figures = write_csv(
        tmp_path / "more_consumption.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)"],
        [[TWIN, 2025, 1, 20000], [BIG, 2025, 1, 30000], [NOPROFILE, 2025, 1, 5000],
         [SCHOOL, 2024, 1, 10000]],
    )
    for kind, path in (("regions", files.regions), ("institutions", files.institutions),
                       ("institutions", extra), ("profiles", files.profiles),
                       ("profiles", profiles), ("consumption", files.consumption),
                       ("consumption", figures)):
        import_file(engine, kind, path)
    return engine


def test_ranking_order_ties_and_not_rankable(ranked_db: Engine) -> None:
    got = ranking(ranked_db, Scope.everything(), region_code="450300", year=2025,
                  category="教育", indicator="energy_per_capita_kgce")
    rows = [(i["rank"], i["credit_code"], i["rankable"], i["reason"]) for i in got["items"]]
    twins = sorted([SCHOOL, TWIN])
    assert rows == [
        (1, twins[0], True, None), (1, twins[1], True, None), (3, BIG, True, None),
        (None, SILENT, False, "not_reported"), (None, NOPROFILE, False, "no_occupants"),
    ]
    assert got["total"] == 5 and got["rankable_count"] == 3
    assert got["items"][0]["value"] == pytest.approx(20000 * 0.1229 / 1000)
    assert got["group_value"] == pytest.approx(70000 * 0.1229 / 3000)
    school = next(i for i in got["items"] if i["credit_code"] == SCHOOL)
    assert school["previous_value"] == pytest.approx(10000 * 0.1229 / 1000)
    assert school["yoy"] == pytest.approx(1.0)
    assert school["occupants"] == 1000 and school["floor_area_m2"] == 10000
    assert school["energy_tce"] == pytest.approx(20000 * 0.1229 / 1000)
    assert got["items"][4]["value"] is None  # no occupants: no per-capita figure

    down = ranking(ranked_db, Scope.everything(), region_code="450300", year=2025,
                   category="021", indicator="energy_per_capita_kgce", order="desc")
    assert [(i["rank"], i["credit_code"]) for i in down["items"][:3]] == [
        (1, BIG), (2, twins[0]), (2, twins[1])]
    assert [i["rankable"] for i in down["items"]] == [True, True, True, False, False]

    page = ranking(ranked_db, Scope.everything(), region_code="450300", year=2025,
                   category="021", indicator="energy_per_capita_kgce", page=2, per_page=2)
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 5)
    assert [i["credit_code"] for i in page["items"]] == [BIG, SILENT]


def test_ranking_scope_and_bad_arguments(ranked_db: Engine) -> None:
    county = ranking(ranked_db, Scope.region("450321"), region_code=None, year=2025,
                     category="021", indicator="energy_per_area_kgce_m2")
    assert BIG not in {i["credit_code"] for i in county["items"]}
    assert county["total"] == 4
    with pytest.raises(NotFound):
        ranking(ranked_db, Scope.region("450321"), region_code="450302", year=2025,
                category="021", indicator="energy_per_area_kgce_m2")
    with pytest.raises(ValidationFailed, match="energy_tce"):
        ranking(ranked_db, Scope.everything(), region_code="450300", year=2025,
                category="021", indicator="energy_tce")
    with pytest.raises(ValidationFailed):
        ranking(ranked_db, Scope.everything(), region_code="450300", year=2025,
                category="021", indicator="energy_per_area_kgce_m2", order="up")  # type: ignore[arg-type]


# ---------------------------------------------------------------- one-pass ranking / publication


def _old_ranking(engine: Engine, *, region: str, year: int, category: str, indicator: str,
                 order: str) -> tuple[list[tuple[str, int | None, float | None]], float | None]:
    """The ranking as it was computed before the one-pass version: one
    ``compute_indicators`` per institution, and the group from ``AggregateInputs.total``."""
    with engine.connect() as conn:
        fs = resolve_factor_set(conn, region, default=None)
        tree = RegionTree(load_regions(conn))
        rows = institution_inputs(conn, Filters(region_codes=tree.subtree(region)), year=year,
                                  categories=list(categories_under(category)))
    province = region[:2] + "0000"
    denominator = RANKABLE[indicator]
    ranked, unranked = [], []
    for row in rows:
        result = compute_indicators(inputs_of_institution(row), fs, year=year,
                                    province_code=province)
        value = getattr(result, indicator)
        if not row["reported"] or not (row[denominator] or 0) > 0:
            unranked.append((row["credit_code"], value))
        else:
            ranked.append((float(value), row["credit_code"]))
    ranked.sort(key=lambda x: (x[0] if order == "asc" else -x[0], x[1]))
    out: list[tuple[str, int | None, float | None]] = []
    for n, (value, code) in enumerate(ranked):
        rank = out[-1][1] if n and value == ranked[n - 1][0] else n + 1
        out.append((code, rank, value))
    group = compute_indicators(
        AggregateInputs.total(inputs_of_institution(r) for r in rows), fs, year=year,
        province_code=province)
    return out + [(code, None, value) for code, value in sorted(unranked)], \
        getattr(group, indicator)


@pytest.mark.parametrize("indicator", list(RANKABLE))
def test_ranking_equals_per_institution_compute(demo: Engine, indicator: str) -> None:
    for category, order in (("01", "asc"), ("02", "desc"), ("021", "asc"), ("03", "asc")):
        got = ranking(demo, Scope.everything(), region_code="450300", year=2025,
                      category=category, indicator=indicator, order=order,
                      per_page=1000)
        want, group = _old_ranking(demo, region="450300", year=2025, category=category,
                                   indicator=indicator, order=order)
        assert got["rankable_count"] > 0
        items = got["items"]
        ranked = [(i["credit_code"], i["rank"], i["value"]) for i in items if i["rankable"]]
        assert ranked == want[:len(ranked)]  # same order, same ranks, the same floats
        assert sorted((i["credit_code"], i["value"]) for i in items if not i["rankable"]) \
            == [(code, value) for code, rank, value in want[len(ranked):]]
        assert got["group_value"] == group
        # the category's ratio of sums is that of services.statistics.indicators.compute
        full = compute(demo, IndicatorQuery(region_code="450300", year=2025,
                                            category=category if category != "02" else None))
        if category != "02":
            assert got["group_value"] == pytest.approx(full[indicator], rel=1e-12)
    # a page shows the items of the full list, with the breakdown of compute_indicators
    whole = ranking(demo, Scope.everything(), region_code="450300", year=2025, category="02",
                    indicator=indicator, per_page=1000)
    page = ranking(demo, Scope.everything(), region_code="450300", year=2025, category="02",
                   indicator=indicator, page=3, per_page=7)
    assert page["items"] == whole["items"][14:21]


def test_publication_equals_per_institution_compute(demo: Engine) -> None:
    got = publication(demo, "450300", 2025)
    with demo.connect() as conn:
        fs = resolve_factor_set(conn, "450300", default=None)
        tree = RegionTree(load_regions(conn))
        rows = institution_inputs(conn, Filters(region_codes=tree.subtree("450300")), year=2025)
    assert sorted(i["credit_code"] for i in got) == sorted(r["credit_code"] for r in rows)
    by_code = {i["credit_code"]: i for i in got}
    for row in rows:
        result = compute_indicators(inputs_of_institution(row), fs, year=2025,
                                    province_code="450000")
        item = by_code[row["credit_code"]]
        reported = row["reported"]
        assert item["energy_tce"] == (result.energy_tce if reported else None)
        for key in ("energy_per_area_kgce_m2", "energy_per_capita_kgce"):
            assert item[key] == (getattr(result, key) if reported else None)
    assert got == sorted(got, key=lambda r: (r["region_code"], r["category"], r["name"]))
    assert set(got[0]) == {"credit_code", "name", "region_code", "region_name", "category",
                           "energy_tce", "energy_per_area_kgce_m2", "energy_per_capita_kgce"}


def test_latest_year(demo: Engine) -> None:
    everything = Scope.everything()
    assert latest_year(demo, everything, "450300") == 2025
    assert latest_year(demo, everything, "450300", before=2025) == 2024
    assert latest_year(demo, everything, "450300", before=2023) is None
    assert latest_year(demo, everything, "450300", months=(1, 6)) == 2025
    assert latest_year(demo, Scope.region("450321"), None) == 2025
    with pytest.raises(NotFound):
        latest_year(demo, Scope.region("450321"), "450302")
