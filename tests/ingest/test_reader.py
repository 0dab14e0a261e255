from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from jieneng.ingest import TableError, parse_consumption, read_table

from .conftest import LOOKUP, ORGAN, SCHOOL, write_csv, write_xlsx

HEADER = ["统一社会信用代码", "年", "月", "电(千瓦时)"]
EXPECTED = {"统一社会信用代码", "年", "月"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "a.csv", [*HEADER, "单位名称"],
                     [[ORGAN, 2025, 1, "1,000", "秀峰区机关事务服务中心"]], encoding=encoding)
    table = read_table(path, EXPECTED)
    assert table.format == "csv"
    assert table.headers == [*HEADER, "单位名称"]  # BOM not glued to the first header
    assert table.frame.row(0) == (2, ORGAN, "2025", "1", "1,000", "秀峰区机关事务服务中心")


def test_csv_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x30" * 10 + b"\n")
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED)
    assert caught.value.issue.code in {"import.bad_encoding", "import.header_not_found"}


def test_csv_title_lines_blank_lines_and_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", HEADER,
        [[ORGAN, 2025, 1, 5], [], ["", "", "", ""], [SCHOOL, 2025, 1, 6]],
        above=[["某市公共机构能源消费统计表"], ["填报单位：某局", "", ""]],
    )
    table = read_table(path, EXPECTED)
    assert table.header_row == 3
    assert table.frame["__row"].to_list() == [4, 7]
    assert table.rows_read == 2


def test_xlsx_merged_title_rows_and_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", HEADER,
                      [[ORGAN, 2025, 1, 5], [None, None, None, None], [SCHOOL, 2025.0, 1, 6]],
                      title="某市2025年公共机构能源消费", start_row=3)
    table = read_table(path, EXPECTED)
    assert table.sheet == "数据"
    assert table.header_row == 4
    assert table.frame["__row"].to_list() == [5, 7]
    # integer-valued Excel floats read as integers
    assert table.frame["年"].to_list() == ["2025", "2025"]


def test_xlsx_leading_empty_rows_keep_excel_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", HEADER, [[ORGAN, 2025, 1, "x"]], start_row=5)
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert [(i.row, i.column, i.code) for i in parsed.errors] == [
        (7, "电(千瓦时)", "import.not_a_number")
    ]


def test_xlsx_formula_cached_value(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, [ORGAN, 2025, 1])
    ws.write_formula(1, 3, "=1000+234.5", None, 1234.5)
    wb.close()
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert parsed.ok
    assert parsed.frame["quantity"].to_list() == [1234.5]


def test_header_found_on_later_sheet(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("封面").write(0, 0, "封面")
    data = wb.add_worksheet("数据")
    data.write_row(0, 0, HEADER)
    data.write_row(1, 0, [ORGAN, 2025, 1, 1])
    wb.close()
    assert read_table(path, EXPECTED).sheet == "数据"
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED, sheet="没有")
    assert caught.value.issue.code == "import.sheet_not_found"


def test_size_limit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "big.csv", HEADER, [[ORGAN, 2025, 1, 1]] * 100)
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED, max_bytes=100)
    assert caught.value.issue.code == "import.file_too_large"
    parsed = parse_consumption(path, institutions=LOOKUP, max_bytes=100)
    assert not parsed.ok
    assert parsed.errors[0].code == "import.file_too_large"
    assert "100" in parsed.errors[0].message_zh


def test_unsupported_format_and_missing_header(tmp_path: Path) -> None:
    doc = tmp_path / "a.docx"
    doc.write_bytes(b"x")
    assert parse_consumption(doc, institutions=LOOKUP).errors[0].code == (
        "import.unsupported_format"
    )
    path = write_csv(tmp_path / "a.csv", ["甲", "乙"], [[1, 2]])
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert [i.code for i in parsed.errors] == ["import.header_not_found"]


def test_unreadable_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED)
    assert caught.value.issue.code == "import.unreadable"
