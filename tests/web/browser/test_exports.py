"""An export opened and its formats checked, in a real browser (issue 11 §2).

guilin (the city's 节能科) opens the 汇总 page and the directory, clicks 导出 Excel,
and the download is opened with openpyxl: the 汇总 in the statistics system's form
layout (title, 汇总单位 line, the 事业单位 header merged over its columns, the row
of column numbers 甲 乙 丙 丁 1 …, frozen above the lines, counts as #,##0 and
figures as #,##0.00, the signature line); the directory with its title row, scope
line, frozen header, credit codes as text and fitted column widths.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest

from tests.web.browser.conftest import login
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]


def _download(page: Page) -> Any:
    """Click the page's 导出 Excel link; the downloaded workbook."""
    link = page.locator("a[data-export=xlsx], a.pg-download").first
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as f:
        return openpyxl.load_workbook(io.BytesIO(f.read()))


def test_an_export_is_opened_and_its_formats_checked(
    page: Page, demo_accounts: dict[str, Any],
) -> None:
    page.set_default_timeout(60_000)
    login(page, "guilin", demo_accounts["guilin"].password)

    page.goto("/summaries?region=450300&year=2025&kind=region")
    sheet = _download(page).worksheets[0]
    assert "汇总表" in str(sheet["A1"].value) and sheet["A1"].font.b
    assert str(sheet["A2"].value).startswith("汇总单位：")
    numbers = next(r[0].row for r in sheet.iter_rows(max_row=15) if r[0].value == "甲")
    assert [c.value for c in sheet[numbers]][:6] == ["甲", "乙", "丙", "丁", "1", "2"]
    assert sheet.freeze_panes == f"A{numbers + 1}"
    assert "事业单位" in [c.value for c in sheet[numbers - 2]]  # the merged group header
    assert any(r.min_row == numbers - 2 and r.max_col - r.min_col == 6
               for r in sheet.merged_cells.ranges)
    first = numbers + 1
    assert sheet.cell(first, 3).value == "公共机构数量"
    assert sheet.cell(first, 5).number_format == "#,##0"
    assert sheet.cell(first + 1, 5).number_format == "#,##0.00"
    assert isinstance(sheet.cell(first + 1, 5).value, int | float)
    assert any(str(c.value).startswith("单位负责人") for row in sheet.iter_rows(
        min_row=first) for c in row[:1])

    page.goto("/institutions?category=021")
    sheet = _download(page).worksheets[0]
    assert sheet["A1"].value == "单位名录"
    head = next(r[0].row for r in sheet.iter_rows(max_row=10)
                if r[0].value == "统一社会信用代码")
    assert str(sheet.cell(2, 1).value).startswith("范围：")
    assert sheet.freeze_panes == f"A{head + 1}"
    assert sheet.cell(head + 1, 1).data_type == "s" and len(sheet.cell(head + 1, 1).value) == 18
    assert (sheet.column_dimensions["B"].width or 0) >= 20  # CJK names, counted double
    assert sheet.max_row - head > 10
