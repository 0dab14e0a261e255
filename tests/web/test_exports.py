"""Every list exports to Excel (issue 11 §2): each workbook opened with openpyxl — its
title row with scope/period/basis, headers in the UI language, the number format of
figure cells, the frozen header, column widths fitted to the content, formula
injection escaped — and scoped like its page (an institution's export holds no
other institution)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from jieneng.core.listing import Column, number_format, text_width
from jieneng.reports.tables import Cell, Group, Sheet, table_xlsx
from jieneng.web.exporting import EXPORTS
from tests.web.conftest import EDU, NAMES, OUTSIDE, ROLES, SCHOOL, World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: export → (a query, a header of the workbook in Chinese, in English)
LISTS: dict[str, tuple[str, str, str]] = {
    "/institutions.xlsx": ("", "统一社会信用代码", "Credit code"),
    "/quality.xlsx": ("year=2025", "规则", "Rule"),
    "/alerts.xlsx": ("", "级别", "Level"),
    "/review.xlsx": ("", "统一社会信用代码", "Credit code"),
    "/overview/ranking.xlsx": ("year=2025&category=02", "名次", "Rank"),
    "/reporting/rate.xlsx": ("", "应报", "Expected"),
    # the summary form: its header ends with the row of column numbers 甲 乙 丙 丁 1 …
    "/summaries.xlsx": ("year=2025", "甲", "甲"),
    "/targets/assessment.xlsx": ("year=2025", "地区代码", "Region code"),
    "/reports/annual.xlsx": ("year=2025", "指标", "Figure"),
}


def _open(client: Any, url: str) -> Worksheet:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    assert response.headers["content-type"].startswith(XLSX)
    assert "attachment" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def _header_row(sheet: Worksheet, header: str) -> int:
    for row in sheet.iter_rows(min_row=1, max_row=12):
        if any(c.value == header for c in row):
            return int(row[0].row)
    raise AssertionError(f"no header {header!r} in {sheet.title}")


def _column(sheet: Worksheet, row: int, header: str) -> int:
    for cell in sheet[row]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no column {header!r}")


@pytest.mark.parametrize("path", sorted(LISTS))
def test_each_list_exports_a_formatted_workbook(world: World, path: str) -> None:
    query, zh, en = LISTS[path]
    client = world.login("admin")
    sheet = _open(client, f"{path}?{query}")
    head = _header_row(sheet, zh)
    assert sheet["A1"].value and sheet["A1"].font.b  # the title row
    assert any(str(r.coord).startswith("A1:") for r in sheet.merged_cells.ranges)
    assert any(word in str(sheet.cell(r, 1).value) for r in range(2, head)
               for word in ("范围", "期间"))  # scope, period and basis lines
    assert sheet.freeze_panes == f"A{head + 1}"
    assert all(sheet.cell(head, c).font.b for c in range(1, sheet.max_column + 1))
    widths = [sheet.column_dimensions[chr(64 + c)].width for c in range(1, min(
        sheet.max_column, 26) + 1)]
    assert all(w and w >= 6 for w in widths)
    english = world.login("admin")
    english.cookies.set("lang", "en")
    assert _header_row(_open(english, f"{path}?{query}&lang=en"), en)


def test_directory_figures_and_widths(world: World) -> None:
    sheet = _open(world.login("admin"), "/institutions.xlsx")
    head = _header_row(sheet, "统一社会信用代码")
    names = _column(sheet, head, "单位")
    occupants = _column(sheet, head, "用能人数")
    area = _column(sheet, head, "建筑面积 (m²)")
    rows = range(head + 1, sheet.max_row + 1)
    assert {sheet.cell(r, names).value for r in rows} == set(NAMES.values())
    for r in rows:
        assert sheet.cell(r, occupants).number_format == "#,##0"
        assert isinstance(sheet.cell(r, occupants).value, int | float)
        assert sheet.cell(r, area).number_format == "#,##0"
        assert sheet.cell(r, _column(sheet, head, "统一社会信用代码")).data_type == "s"
    longest = max(text_width(str(sheet.cell(r, names).value)) for r in rows)
    letter = sheet.cell(head, names).column_letter
    assert sheet.column_dimensions[letter].width >= longest  # CJK counted double


@pytest.mark.parametrize("role", ROLES)
def test_an_export_holds_only_the_roles_scope(world: World, role: str) -> None:
    client = world.login(role)
    for path, (query, _zh, _en) in LISTS.items():
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, (role, path)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        values = {str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row
                  if c.value is not None}
        shown = " ".join(values)
        for code in OUTSIDE[role]:
            assert code not in shown and NAMES[code] not in shown, (role, path, code)
    if role == "institution":
        sheet = _open(client, "/institutions.xlsx")
        head = _header_row(sheet, "统一社会信用代码")
        codes = {sheet.cell(r, 1).value for r in range(head + 1, sheet.max_row + 1)}
        assert codes <= {SCHOOL, EDU}


def test_export_links_follow_the_table(world: World) -> None:
    """Each list page links its export, with its filters, for the roles offered it."""
    for role in ROLES:
        client = world.login(role)
        page = client.get("/institutions?category=021").text
        assert 'href="/institutions.xlsx?category=021"' in page, role
        assert 'href="/quality.xlsx' in client.get("/quality?year=2025").text, role
        assert 'href="/alerts.xlsx' in client.get("/alerts").text, role
        review = client.get("/review").text
        assert ('href="/review.xlsx' in review) == (role in ("admin", "region_admin", "region",
                                                             "department")), role
    assert set(LISTS) - {"/reports/annual.xlsx"} <= set(EXPORTS)  # the 通报: not a list page


# ---------------------------------------------------------------- the builder itself


def test_builder_formats_escapes_and_groups() -> None:
    columns = (Column("name", "pages.institution"), Column("n", "pages.occupants", "int"),
               Column("tce", "pages.energy_tce", "number", decimals=3),
               Column("rate", "pages.rate.reporting_rate", "percent"),
               Column("yoy", "pages.yoy", "change"), Column("key", "pages.key_energy_user", "bool"))
    rows = [{"name": "=HYPERLINK(\"http://x\")", "n": 1234, "tce": 40749.83292378051,
             "rate": 0.428, "yoy": -0.0238, "key": True},
            ["@SUM(A1)", Cell(5, kind="number", decimals=1, bold=True), None, None, None, False]]
    sheet = Sheet("表", "标题", columns, rows, notes=("范围：桂林市",),
                  groups=(Group("组", 1, 2),), numbering=("甲", "1", "2", "3", "4", "5"),
                  footer=("填表人：",))
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx([sheet, sheet], "zh-CN")))
    assert book.sheetnames == ["表", "表(2)"]
    ws = book.worksheets[0]
    assert ws["A1"].value == "标题" and ws["A2"].value == "范围：桂林市"
    assert ws["B3"].value == "组" and ws["B4"].value == "用能人数"
    assert ws["A3"].value == "单位"  # merged down over the two header rows
    assert ws["A5"].value == "甲" and ws.freeze_panes == "A6"
    assert ws["A6"].value == "'=HYPERLINK(\"http://x\")" and ws["A6"].data_type == "s"
    assert ws["A7"].value == "'@SUM(A1)"
    assert ws["B6"].number_format == "#,##0" and ws["B6"].value == 1234
    assert ws["C6"].number_format == "#,##0.000" and ws["C6"].value == pytest.approx(
        40749.83292378051, rel=1e-14)
    assert ws["D6"].number_format == "0.0%" and ws["E6"].number_format == "+0.0%;-0.0%;0.0%"
    assert ws["F6"].value == "是" and ws["F7"].value == "否"
    assert ws["B7"].number_format == "#,##0.0" and ws["B7"].font.b
    assert ws["A9"].value == "填表人："
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$3:$5"


def test_number_formats_of_each_kind() -> None:
    assert number_format("int") == "#,##0"
    assert number_format("number", 2) == "#,##0.00"
    assert number_format("number", 0) == "#,##0"
    assert number_format("percent") == "0.0%"
    assert number_format("text") == "@"
    assert Column("x", "pages.energy_tce", "number").display(40749.8329) == "40,749.83"
    assert Column("x", "pages.yoy", "change").display(-0.02386) == "-2.4%"
    assert Column("x", "pages.rate.reporting_rate", "percent").display(0.428) == "42.8%"
    assert text_width("桂林市ab") == 8
