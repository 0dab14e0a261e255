"""``read_ahead``: a workbook measured and read in a thread gives what ``read_table``
reads itself — the same table, the same refusals — and is used only when it may be."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from jieneng.ingest import TableError, read_table
from jieneng.ingest import reader as reader_module
from jieneng.ingest.limits.bounds import Limits
from jieneng.ingest.reader import finish_reading_ahead, read_ahead
from tests.ingest import hostile

from .conftest import ORGAN, SCHOOL, write_xlsx

HEADER = ["统一社会信用代码", "年", "月", "电(千瓦时)"]
EXPECTED = {"统一社会信用代码", "年", "月"}


@pytest.fixture(autouse=True)
def _no_threads_left() -> object:
    yield
    finish_reading_ahead()
    assert not reader_module._ahead


def _book(path: Path) -> Path:
    return write_xlsx(path, HEADER, [[ORGAN, 2025, 1, 5.5], [SCHOOL, "2025", " 2 ", "1,000"]],
                      title="某市公共机构能源消费统计表", start_row=2)


def _same(a: object, b: object) -> None:
    assert isinstance(a, reader_module.Table) and isinstance(b, reader_module.Table)
    assert (a.sheet, a.header_row, a.headers, a.rows_read) == (
        b.sheet, b.header_row, b.headers, b.rows_read)
    assert a.frame.equals(b.frame)


def test_the_table_read_ahead_is_the_table_read(tmp_path: Path) -> None:
    path = _book(tmp_path / "a.xlsx")
    direct = read_table(path, EXPECTED)
    read_ahead(path)
    assert len(reader_module._ahead) == 1
    _same(read_table(path, EXPECTED), direct)
    assert not reader_module._ahead  # taken once


def test_a_refused_workbook_is_refused_alike(tmp_path: Path) -> None:
    path = hostile.far_cell(tmp_path / "远处单元格.xlsx")
    with pytest.raises(TableError) as direct:
        read_table(path, EXPECTED)
    read_ahead(path)
    with pytest.raises(TableError) as ahead:
        read_table(path, EXPECTED)
    assert ahead.value.issue == direct.value.issue


def test_not_used_for_other_limits_a_named_sheet_or_several_sheets(tmp_path: Path) -> None:
    path = _book(tmp_path / "a.xlsx")
    read_ahead(path)
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED, limits=Limits(rows=2))
    assert caught.value.issue.code == "import.too_many_rows"
    read_ahead(path)
    _same(read_table(path, EXPECTED, sheet="数据"), read_table(path, EXPECTED))
    two = tmp_path / "two.xlsx"
    book = xlsxwriter.Workbook(str(two))
    book.add_worksheet("说明").write(0, 0, "填表说明")
    sheet = book.add_worksheet("数据")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, [ORGAN, 2025, 1, 5])
    book.close()
    read_ahead(two)
    table = read_table(two, EXPECTED)
    assert table.sheet == "数据" and table.rows_read == 1


def test_a_changed_file_or_a_large_one_is_read_again(tmp_path: Path) -> None:
    path = _book(tmp_path / "a.xlsx")
    read_ahead(path, max_bytes=10)  # over the size: no thread
    assert not reader_module._ahead
    read_ahead(path)
    finish_reading_ahead()
    assert not reader_module._ahead
    read_ahead(path)
    write_xlsx(path, HEADER, [[ORGAN, 2025, 3, 7]])  # rewritten meanwhile
    table = read_table(path, EXPECTED)
    assert table.frame.row(0)[1:] == (ORGAN, "2025", "3", "7")
