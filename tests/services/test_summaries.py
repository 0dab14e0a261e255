"""Reporting rate and summaries of approved figures, on both databases.

Reporting tasks are inserted directly (``reporting_period`` / ``reporting_task``),
independently of the reporting workflow service.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, select

from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import NotFound
from jieneng.core.scope import Scope
from jieneng.reports.spreadsheet import safe_cell
from jieneng.reports.summaries import summary_xlsx
from jieneng.services.entry.imports import import_file
from jieneng.services.publishing.summaries import COLUMNS, reporting_rate, summary
from jieneng.storage import tables as t
from tests.sample import make_files, write_csv

#: the engine, institution ids by name, period ids by name
Sample = tuple[Engine, dict[str, int], dict[str, int]]

#: name → (region, category, department name or "")
UNITS: dict[str, tuple[str, str, str]] = {
    "A": ("450302", "01", ""),
    "EDU": ("450321", "01", ""),
    "S1": ("450321", "021", "EDU"),
    "S2": ("450321", "021", "EDU"),
    "H": ("450302", "024", ""),
    "T": ("450305", "03", ""),
    "K": ("450321", "022", "EDU"),
    "C": ("450302", "023", ""),
    "P": ("450302", "025", ""),
    "O": ("450302", "026", ""),
}
CODES = {name: make_credit_code("12", region, 5000 + n)
         for n, (name, (region, _c, _d)) in enumerate(UNITS.items())}
WATER = {name: 10.0 * (n + 1) for n, name in enumerate(UNITS)}  # m³ per month × month


def _water(name: str, month: int) -> float:
    return WATER[name] * month


def _load(engine: Engine, tmp_path: Path) -> dict[str, int]:
    files = make_files(tmp_path)
    institutions = write_csv(
        tmp_path / "s_institutions.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [[CODES[n], f"汇总测试单位{n}", r, c, CODES[d] if d else "", "否", "在用"]
         for n, (r, c, d) in UNITS.items()],
    )
    profiles = write_csv(
        tmp_path / "s_profiles.csv", ["统一社会信用代码", "年", "用能人数", "建筑面积(平方米)"],
        [[CODES[n], 2025, 100 + i, 1000 + 10 * i] for i, n in enumerate(UNITS)],
    )
    consumption = write_csv(
        tmp_path / "s_consumption.csv",
        ["统一社会信用代码", "年", "月", "电(千瓦时)", "水(立方米)"],
        [[CODES[n], 2025, m, 1000 * (i + 1) * m, _water(n, m)]
         for i, n in enumerate(UNITS) for m in (1, 2, 3)],
    )
    for kind, path in (("regions", files.regions), ("institutions", institutions),
                       ("profiles", profiles), ("consumption", consumption)):
        import_file(engine, kind, path)
    with engine.connect() as conn:
        rows = conn.execute(select(t.institution.c.credit_code, t.institution.c.id))
        by_code = {str(code): int(i) for code, i in rows}
    return {n: by_code[CODES[n]] for n in UNITS}


def add_period(engine: Engine, ids: dict[str, int], *, region: str, year: int, month: int,
               deadline: date, states: dict[str, str]) -> int:
    """A reporting period with one task per named institution in the given state."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        period_id = conn.execute(t.reporting_period.insert().values(
            region_code=region, kind="annual" if month == 0 else "monthly", year=year,
            month=month, deadline=deadline, department_step=False, opened_at=now,
        ).returning(t.reporting_period.c.id)).scalar_one()
        conn.execute(t.reporting_task.insert(), [
            {"period_id": period_id, "institution_id": ids[n], "state": s, "updated_at": now}
            for n, s in states.items()])
    return int(period_id)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Sample:
    ids = _load(engine, tmp_path)
    periods = {
        "m1": add_period(engine, ids, region="450300", year=2025, month=1,
                         deadline=date(2025, 2, 15), states={
                             "A": "approved", "EDU": "approved", "S1": "submitted",
                             "S2": "returned", "H": "approved", "T": "approved",
                             "K": "in_progress", "C": "approved", "P": "dept_approved",
                             "O": "not_started"}),
        "y": add_period(engine, ids, region="450300", year=2025, month=0,
                        deadline=date(2099, 3, 31), states={"S1": "approved", "S2": "submitted"}),
        "m2": add_period(engine, ids, region="450321", year=2025, month=2,
                         deadline=date(2099, 3, 15), states={"K": "approved", "S2": "approved"}),
    }
    # S2's month 2 task approved by the county; its annual task is only submitted
    return engine, ids, periods


#: approved (institution, month) pairs of the world, for 2025
APPROVED = {("A", 1), ("EDU", 1), ("H", 1), ("T", 1), ("C", 1), ("S1", 1), ("S1", 2),
            ("S1", 3), ("K", 2), ("S2", 2)}


def _expected_water(names: set[str], months: tuple[int, int] = (1, 12)) -> float:
    return sum(_water(n, m) for n, m in APPROVED if n in names and months[0] <= m <= months[1])


def _cell(data: dict[str, Any], row: Any, column: str) -> dict[str, Any]:
    for r in data["rows"]:
        if r["key"] == row:
            return r["cells"][column]  # type: ignore[no-any-return]
    raise AssertionError(f"no row {row}")


def test_only_approved_figures_are_counted(world: Sample) -> None:
    engine, _ids, _periods = world
    data = summary(engine, Scope.everything(), region_code="450300", year=2025, kind="category")
    total = _cell(data, "total", "total")
    assert total["water_m3"] == pytest.approx(_expected_water(set(UNITS)))
    assert total["institutions"] == 8  # A, EDU, H, T, C, S1, K, S2 (P, O not approved)
    assert _cell(data, "total", "025")["institutions"] == 0  # P only dept_approved
    assert _cell(data, "total", "021")["water_m3"] == pytest.approx(_expected_water({"S1", "S2"}))
    january = summary(engine, Scope.everything(), region_code="450300", year=2025,
                      kind="category", months=(1, 1))
    assert _cell(january, "total", "total")["water_m3"] == pytest.approx(
        _expected_water(set(UNITS), (1, 1)))
    assert _cell(january, "total", "total")["institutions"] == 6


def test_columns_add_up(world: Sample) -> None:
    engine, _ids, _periods = world
    data = summary(engine, Scope.everything(), region_code="450300", year=2025, kind="region")
    assert [c["key"] for c in data["columns"]] == [
        "total", "01", "02", "021", "022", "023", "024", "025", "026", "03"]
    assert [c["name_zh"] for c in data["columns"]][:3] == ["合计", "国家机关", "事业单位小计"]
    for row in data["rows"]:
        cells = row["cells"]
        for measure in ("institutions", "energy_tce", "water_m3", "co2_t"):
            six = sum(cells[c][measure] for c in ("021", "022", "023", "024", "025", "026"))
            assert cells["02"][measure] == pytest.approx(six)
            assert cells["total"][measure] == pytest.approx(
                cells["01"][measure] + cells["02"][measure] + cells["03"][measure])
    # rows: total first, then the child regions; they add up to the total
    assert data["rows"][0]["key"] == "total"
    children = [r for r in data["rows"][1:]]
    assert {"450302", "450321", "450305"} <= {r["key"] for r in children}
    assert sum(r["cells"]["total"]["water_m3"] for r in children) == pytest.approx(
        data["rows"][0]["cells"]["total"]["water_m3"])
    yangshuo = _cell(data, "450321", "total")
    assert yangshuo["water_m3"] == pytest.approx(_expected_water({"EDU", "S1", "S2", "K"}))
    # intensities are ratios of sums (dashboard rules): per-capita water of 450321
    occupants = {n: 100 + i for i, n in enumerate(UNITS)}
    counted = ("EDU", "S1", "S2", "K")
    assert yangshuo["water_per_capita_m3"] == pytest.approx(
        _expected_water(set(counted)) / sum(occupants[n] for n in counted))


def test_department_summary(world: Sample) -> None:
    engine, ids, _periods = world
    data = summary(engine, Scope.everything(), region_code="450300", year=2025,
                   kind="department")
    keys = [r["key"] for r in data["rows"]]
    assert keys[0] == "total" and ids["EDU"] in keys and keys[-1] is None
    edu = _cell(data, ids["EDU"], "total")
    assert edu["water_m3"] == pytest.approx(_expected_water({"EDU", "S1", "S2", "K"}))
    assert edu["institutions"] == 4
    none = _cell(data, None, "total")
    assert none["water_m3"] == pytest.approx(_expected_water({"A", "H", "T", "C"}))
    # a department account sees its own row only
    own = summary(engine, Scope.department(ids["EDU"]), region_code="450300", year=2025,
                  kind="department")
    assert [r["key"] for r in own["rows"]] == ["total", ids["EDU"]]
    assert own["rows"][0]["cells"]["total"]["water_m3"] == pytest.approx(edu["water_m3"])


def test_reporting_rate(world: Sample) -> None:
    engine, ids, periods = world
    data = reporting_rate(engine, Scope.everything(), period_id=periods["m1"],
                          today=date(2025, 3, 1))
    assert data["total"] == {"expected": 10, "reported": 7, "approved": 5, "not_reported": 3,
                             "reporting_rate": 0.7, "review_rate": 0.5}
    by_region = {r["region_code"]: r for r in data["by_region"]}
    assert by_region["450321"]["expected"] == 4
    assert by_region["450321"]["reported"] == 2  # EDU approved, S1 submitted
    assert by_region["450321"]["reporting_rate"] == 0.5
    by_cat = {r["category"]: r for r in data["by_category"]}
    assert by_cat["021"]["expected"] == 2 and by_cat["021"]["approved"] == 0
    assert by_cat["021"]["reporting_rate"] == 0.5
    by_dept = {r["department_id"]: r for r in data["by_department"]}
    assert by_dept[ids["EDU"]]["expected"] == 4 and by_dept[None]["expected"] == 6
    missing = data["not_reported"]
    assert missing["total"] == 3
    assert {i["credit_code"] for i in missing["items"]} == {CODES["S2"], CODES["K"], CODES["O"]}
    assert all(i["overdue"] for i in missing["items"])
    before = reporting_rate(engine, Scope.everything(), period_id=periods["m1"],
                            today=date(2025, 2, 1))
    assert not any(i["overdue"] for i in before["not_reported"]["items"])


def test_reporting_rate_scope(world: Sample) -> None:
    engine, ids, periods = world
    county = reporting_rate(engine, Scope.region("450321"), period_id=periods["m1"])
    assert county["total"]["expected"] == 4
    assert {i["credit_code"] for i in county["not_reported"]["items"]} == {CODES["S2"],
                                                                        CODES["K"]}
    with pytest.raises(NotFound):  # 秀峰区 does not see 阳朔县's period
        reporting_rate(engine, Scope.region("450302"), period_id=periods["m2"])
    with pytest.raises(NotFound):  # nor asks for a region outside its subtree
        reporting_rate(engine, Scope.region("450302"), period_id=periods["m1"],
                       region_code="450321")
    with pytest.raises(NotFound):
        reporting_rate(engine, Scope.everything(), period_id=999_999)
    dept = reporting_rate(engine, Scope.department(ids["EDU"]), period_id=periods["m1"])
    assert dept["total"]["expected"] == 4
    school = reporting_rate(engine, Scope.institution(ids["S2"]), period_id=periods["m1"])
    assert school["total"]["expected"] == 1
    assert [i["credit_code"] for i in school["not_reported"]["items"]] == [CODES["S2"]]
    # without a period: the latest one visible from the region
    latest = reporting_rate(engine, Scope.region("450321"), period_id=None,
                            home_region="450321")
    assert latest["period"]["id"] == periods["m2"]
    assert {p["id"] for p in latest["periods"]} == set(periods.values())
    none = reporting_rate(engine, Scope.region("450302"), period_id=None, home_region="450302")
    assert none["period"]["id"] != periods["m2"]


def test_summary_scope(world: Sample) -> None:
    engine, _ids, _periods = world
    county = summary(engine, Scope.region("450321"), region_code="450321", year=2025)
    assert county["rows"][0]["cells"]["total"]["water_m3"] == pytest.approx(
        _expected_water({"EDU", "S1", "S2", "K"}))
    with pytest.raises(NotFound):
        summary(engine, Scope.region("450321"), region_code="450302", year=2025)
    with pytest.raises(NotFound):
        summary(engine, Scope.region("450321"), region_code="450300", year=2025)


def _after_numbering(sheet: Any) -> int:
    """The first line of a summary workbook: below the row 甲 乙 丙 丁 1 2 …"""
    for row in sheet.iter_rows(min_row=1, max_row=15):
        if row[0].value == "甲":
            return int(row[0].row) + 1
    raise AssertionError("no row of column numbers")


def test_excel_equals_api_and_neutralises_formulas(world: Sample) -> None:
    engine, _ids, _periods = world
    data = summary(engine, Scope.everything(), region_code="450300", year=2025, kind="region")
    book = openpyxl.load_workbook(io.BytesIO(summary_xlsx(data)))
    sheet = book.active
    assert sheet is not None
    # the form's layout (issue 11 §2): title and notes, the two-row header with the
    # merged 事业单位, the row of column numbers 甲 乙 丙 丁 1 … 10, the lines, the
    # signature line below
    start = _after_numbering(sheet)
    lines = list(sheet.iter_rows(min_row=start, values_only=True))
    assert not any(lines[len(data["rows"]) * len(data["measures"])][4:])  # the table ends
    lines = lines[:len(data["rows"]) * len(data["measures"])]
    assert all(line[0] is not None for line in lines)
    n = 0
    for row in data["rows"]:
        for measure in data["measures"]:
            line = lines[n]
            assert line[0] == row["name"]
            assert line[2] == measure["name_zh"]
            for k, column in enumerate(COLUMNS):
                value = row["cells"][column[0]][measure["key"]]
                # the same float, written with 16 significant digits (xlsxwriter)
                assert line[4 + k] == (None if value is None else float(f"{value:.16G}"))
            n += 1
    evil = {**data, "rows": [{**data["rows"][0], "name": "=HYPERLINK(\"x\")", "code": "@SUM"}]}
    sheet = openpyxl.load_workbook(io.BytesIO(summary_xlsx(evil))).active
    assert sheet is not None
    assert sheet.cell(row=_after_numbering(sheet), column=1).value == "'=HYPERLINK(\"x\")"
    assert sheet.cell(row=_after_numbering(sheet), column=2).value == "'@SUM"
    assert safe_cell("-1") == "'-1" and safe_cell(-1) == -1 and safe_cell("ok") == "ok"
