"""The work plan's energy, water and CO₂ values come from a lean read
(:mod:`jieneng.services.workplans.statistics_read`) and must be the overview's, figure
for figure: for the plan's region and each child region, for a whole year (the group
roll-ups) and a year to date (1–N月: the months' path), on both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from jieneng.core.codes import make_credit_code
from jieneng.core.indicators import HEADLINE
from jieneng.core.scope import Scope
from jieneng.services.entry.imports import import_file
from jieneng.services.statistics.overview import overview
from jieneng.services.workplans.access import tree
from jieneng.services.workplans.indicators import compute
from jieneng.services.workplans.statistics_read import region_figures
from tests.sample import Files, write_csv

CITY = "450300"
#: credit code, name, region, category: two districts with figures both years, one with
#: figures only the year before, one with an institution that never reported, 本级.
UNITS = [
    (make_credit_code("11", "450302", 1), "秀峰甲", "450302", "01"),
    (make_credit_code("12", "450302", 2), "秀峰乙", "450302", "教育"),
    (make_credit_code("12", "450321", 3), "阳朔甲", "450321", "021"),
    (make_credit_code("11", "450303", 4), "叠彩甲", "450303", "01"),
    (make_credit_code("11", "450304", 5), "象山甲", "450304", "01"),
    (make_credit_code("11", "450300", 6), "市本级", "450300", "01"),
]
#: the plan's region, its children with and without figures, a child with no unit
REGIONS = {CITY, "450302", "450321", "450303", "450304", "450305"}
TARGETS = ("energy_tce", "water_m3", "co2_t", "energy_per_capita_reduction",
           "energy_per_area_reduction", "water_per_capita_reduction", "co2_per_area_reduction")


def _world(engine: Engine, files: Files, tmp: Path) -> None:
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", write_csv(
        tmp / "units.csv", ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别",
                            "主管部门统一社会信用代码", "重点用能单位", "状态"],
        [[c, n, r, k, "", "否", "在用"] for c, n, r, k in UNITS]))
    profiles = []
    for y in (2024, 2025):
        for n, (code, _name, _r, _k) in enumerate(UNITS):
            occupants = 0 if (n == 1 and y == 2025) else 40 + 30 * n + y % 7
            profiles.append([code, y, occupants, 30, 1500 + 700 * n, 0, 1, 0, 0])
    import_file(engine, "profiles", write_csv(
        tmp / "profiles.csv", ["统一社会信用代码", "年", "用能人数", "编制人数", "建筑面积(平方米)",
                               "采暖面积(平方米)", "汽油车(辆)", "柴油车(辆)", "新能源汽车(辆)"],
        profiles))
    rows = []
    for n, (code, _name, region, _k) in enumerate(UNITS[:4] + UNITS[5:]):
        for y, last in ((2024, 12), (2025, 5)):
            if region == "450303" and y == 2025:
                continue
            for m in range(1, last + 1):
                rows.append([code, y, m, 1000 * (n + 1) + 37 * m + (y - 2024) * 91,
                             700 * (n + 1), 50 + 3 * n + m, 10 * n + m, 20 + m])
    import_file(engine, "consumption", write_csv(
        tmp / "consumption.csv", ["统一社会信用代码", "年", "月", "电(千瓦时)", "电费(元)",
                                  "水(立方米)", "天然气(立方米)", "汽油-车辆用油(升)"], rows))


def _overview_groups(engine: Engine, year: int) -> dict[str, dict[str, Any]]:
    view = overview(engine, Scope.everything(), region_code=CITY, year=year)
    groups = {g["code"]: g for g in view["by_child_region"] if not g.get("own_level")}
    groups[CITY] = view
    return groups


def test_plan_figures_are_the_overviews(engine: Engine, files: Files, tmp_path: Path) -> None:
    _world(engine, files, tmp_path)
    for year in (2024, 2025):  # a whole year (roll-ups) and 1–5月 (months)
        expected = _overview_groups(engine, year)
        with engine.connect() as conn:
            lean = region_figures(conn, CITY, year)
            rt = tree(conn)
            values = compute(engine, conn, rt, year, {(c, None): set(REGIONS) for c in TARGETS},
                             date(year, 12, 31))
        assert set(lean) == set(expected)
        assert {"450302", "450321", "450304"} <= set(lean) and "450303" in lean
        for code, figures in lean.items():
            for key in HEADLINE:
                assert figures[key] == expected[code][key], (year, code, key)
                assert figures["yoy"][key] == expected[code]["yoy"][key], (year, code, key)
        for (ind, _param), found in values.items():
            for region in REGIONS:
                group = expected.get(region)
                if ind.endswith("_reduction"):
                    key = ind.removesuffix("_reduction")
                    key = next(k for k in HEADLINE if k.startswith(key))
                    change = None if group is None else group["yoy"][key]
                    want = None if change is None else -100.0 * float(change)
                else:
                    want = None if group is None else group[ind]
                assert found[region] == want, (year, ind, region)
        assert values[("energy_tce", None)]["450305"] is None
        assert values[("energy_tce", None)]["450302"] is not None
