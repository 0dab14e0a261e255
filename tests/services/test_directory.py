"""Directory search and institution detail on the 桂林 demo city, both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.scope import Scope
from jieneng.services.directory.directory import institution_detail, search_institutions
from jieneng.services.statistics.indicators import IndicatorQuery, compute
from jieneng.storage.directory import monthly_series
from tests.services.test_dashboard import institution_id

#: the demo city of tests/services/conftest.py, built on one worker (with test_dashboard)
pytestmark = pytest.mark.xdist_group("demo_services")


def names(result: dict[str, Any]) -> list[str]:
    return [i["name"] for i in result["items"]]


def test_search_by_name_fragment(demo: Engine) -> None:
    got = search_institutions(demo, Scope.everything(), q="第一中学")
    assert got["total"] >= 2 and all("第一中学" in n for n in names(got))
    item = got["items"][0]
    assert {"credit_code", "name", "region_name", "category_name", "department_name",
            "key_energy_user", "status", "profile_year", "occupants",
            "floor_area_m2"} <= set(item)
    assert item["profile_year"] == 2025
    county = search_institutions(demo, Scope.region("450321"), q="第一中学")
    assert county["total"] >= 1
    assert {i["region_code"] for i in county["items"]} == {"450321"}
    assert county["total"] < got["total"]


def test_search_ignores_spaces_and_full_width(demo: Engine) -> None:
    plain = search_institutions(demo, Scope.everything(), q="阳朔县演示第一中学")
    assert plain["total"] == 1
    for typed in ("阳朔县 演示　第一中学", " 阳朔县演示第一中学 ", "阳朔县演示第一中学\u200b"):
        assert names(search_institutions(demo, Scope.everything(), q=typed)) == names(plain)


def test_search_by_credit_code_prefix(demo: Engine) -> None:
    code = search_institutions(demo, Scope.everything(), q="阳朔县演示第一中学")["items"][0][
        "credit_code"]
    for typed in (code, code[:10], code[:10].lower(), code[:8].translate(
            {ord(c): ord(c) + 0xFEE0 for c in "0123456789"})):
        got = search_institutions(demo, Scope.everything(), q=typed, per_page=1000)
        assert got["total"] >= 1
        assert all(i["credit_code"].startswith(code[:8]) for i in got["items"])
    assert search_institutions(demo, Scope.everything(), q=code)["total"] == 1
    # a code outside the scope is simply not found
    assert search_institutions(demo, Scope.region("450302"), q=code)["total"] == 0


def test_search_filters_and_paging(demo: Engine) -> None:
    everything = search_institutions(demo, Scope.everything(), per_page=1000)
    schools = search_institutions(demo, Scope.everything(), category="教育", per_page=1000)
    assert schools["total"] < everything["total"]
    assert {i["category"] for i in schools["items"]} == {"021"}
    public_units = search_institutions(demo, Scope.everything(), category="02", per_page=1000)
    assert {i["category"] for i in public_units["items"]} <= {"021", "022", "023", "024", "025",
                                                             "026"}
    county = search_institutions(demo, Scope.everything(), region_code="450321", per_page=1000)
    assert {i["region_code"] for i in county["items"]} == {"450321"}
    first = search_institutions(demo, Scope.everything(), per_page=10)
    second = search_institutions(demo, Scope.everything(), page=2, per_page=10)
    assert first["total"] == second["total"] == everything["total"]
    assert names(first) + names(second) == names(everything)[:20]
    dept_code = next(i["department_code"] for i in everything["items"] if i["department_code"])
    by_dept = search_institutions(demo, Scope.everything(), department_code=dept_code,
                                  per_page=1000)
    assert by_dept["total"] >= 2
    assert all(i["department_code"] == dept_code or i["credit_code"] == dept_code
               for i in by_dept["items"])
    # a department's account sees the same, and only that
    scope = Scope.department(institution_id(demo, dept_code))
    mine = search_institutions(demo, scope, per_page=1000)
    assert names(mine) == names(by_dept)
    with pytest.raises(NotFound):
        search_institutions(demo, Scope.region("450321"), region_code="450302")
    with pytest.raises(ValidationFailed):
        search_institutions(demo, Scope.everything(), status="gone")


def test_institution_detail(demo: Engine) -> None:
    item = search_institutions(demo, Scope.everything(), q="阳朔县演示第一中学")["items"][0]
    code = item["credit_code"]
    got = institution_detail(demo, Scope.region("450321"), code)
    assert got["entry"]["credit_code"] == code and got["entry"]["region_name"] == "阳朔县"
    assert [p["year"] for p in got["profiles"]] == [2023, 2024, 2025]
    series = got["series"]
    assert series["years"] == [2023, 2024, 2025]
    assert len(series["months"]) == 36 and series["months"][0] == "2023-01"
    electricity = next(c for c in series["carriers"] if c["carrier"] == "electricity")
    assert len(electricity["quantity"]) == 36
    with demo.connect() as conn:
        stored = monthly_series(conn, item["institution_id"], [2023, 2024, 2025])
    assert electricity["quantity"] == [s["quantity"]["electricity"] for s in stored]
    for n, year in enumerate((2023, 2024, 2025)):
        want = compute(demo, IndicatorQuery(region_code="450321", year=year,
                                            institution_code=code))
        months = series["energy_tce"][12 * n:12 * n + 12]
        assert sum(v or 0.0 for v in months) == pytest.approx(want["energy_tce"])
    assert got["records"]["records"] > 0 and got["records"]["revisions"] == 0


def test_detail_outside_scope_is_not_found(demo: Engine) -> None:
    code = search_institutions(demo, Scope.everything(), q="阳朔县演示第一中学")["items"][0][
        "credit_code"]
    with pytest.raises(NotFound):
        institution_detail(demo, Scope.region("450302"), code)
    other = search_institutions(demo, Scope.everything(), q="秀峰区")["items"][0]
    with pytest.raises(NotFound):
        institution_detail(demo, Scope.institution(other["institution_id"]), code)
    with pytest.raises(NotFound):
        institution_detail(demo, Scope.everything(), "000000000000000000")
