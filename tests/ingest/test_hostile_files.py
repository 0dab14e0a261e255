"""Hostile files: small to send, enormous once read. Each is refused before the
spreadsheet reader sees it, with a plain message naming the file and the limit
(never a path or the reader's own error text). Without the limits the first ones
abort the whole process (the reader asks for 512 GB, 96 GB …)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from jieneng.ingest import TableError, parse_consumption, read_table
from jieneng.ingest.issues import rejection
from jieneng.ingest.limits.bounds import DEFAULT_LIMITS, Limits
from tests.ingest import hostile
from tests.ingest.conftest import LOOKUP

EXPECTED = hostile.HEADER
#: what a message shown to a user must never contain
LEAKS = ("calamine", "Zip", "zip error", "fastexcel", "polars", "/tmp", "Traceback", "\\")


def refusal(path: Path, **kwargs: object) -> TableError:
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED, **kwargs)  # type: ignore[arg-type]
    issue = caught.value.issue
    for text in (issue.message_zh, issue.message_en):
        assert path.name in text
        assert not any(leak in text for leak in LEAKS), text
    return caught.value


def test_a_cell_at_xfd1048576_is_refused(tmp_path: Path) -> None:
    path = hostile.far_cell(tmp_path / "远处单元格.xlsx")
    assert path.stat().st_size < 2_000
    err = refusal(path)
    assert err.issue.code == "import.too_many_rows"
    assert "1,000,000" in err.issue.message_zh and "1048576" in err.issue.message_en
    # the same through a parser: a failed result, not an exception
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert [i.code for i in parsed.errors] == ["import.too_many_rows"]


def test_far_cells_without_references_are_counted(tmp_path: Path) -> None:
    # 16,384 cells without r="" in row 1048576: the reader places them one by one
    assert refusal(hostile.far_cell_implicit(tmp_path / "a.xlsx")).issue.code == (
        "import.too_many_rows")


def test_a_far_column_within_the_rows_is_refused(tmp_path: Path) -> None:
    sheet = hostile.sheet_with(hostile.header_row() + '<row r="20000">'
                               + hostile.cell("WCZ20000", "x") + "</row>")
    err = refusal(hostile.package(tmp_path / "wide.xlsx", sheet))
    assert err.issue.code == "import.too_many_columns"  # WCZ is column 16,016


def test_a_rectangle_over_the_cell_limit_is_refused(tmp_path: Path) -> None:
    # row 20,000 × column 600 (WB): 12 million cells, each limit alone is kept
    sheet = hostile.sheet_with(hostile.header_row() + '<row r="20000">'
                               + hostile.cell("WB20000", "x") + "</row>")
    err = refusal(hostile.package(tmp_path / "rect.xlsx", sheet))
    assert err.issue.code == "import.too_many_cells"
    assert "20,000" in err.issue.message_en and "600" in err.issue.message_en


def test_a_declared_shared_string_table_of_four_billion_is_refused(tmp_path: Path) -> None:
    err = refusal(hostile.shared_strings_bomb(tmp_path / "sst.xlsx"))
    assert err.issue.code == "import.too_many_strings"


def test_a_zip_bomb_of_rows_is_refused(tmp_path: Path) -> None:
    path = hostile.many_rows(tmp_path / "bomb.xlsx", 1_200_000)
    assert path.stat().st_size < 8 * 1024 * 1024
    err = refusal(path)
    assert err.issue.code == "import.too_many_rows"


def test_the_unpacked_size_is_measured_not_taken_from_the_directory(tmp_path: Path) -> None:
    # the sheet says it is 100 bytes; it inflates to about 3 MB
    path = hostile.many_rows(tmp_path / "lying.xlsx", 60_000)
    declare_size(path, "xl/worksheets/sheet1.xml", 100)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size == 100
    err = refusal(path, limits=Limits(unpacked_bytes=1024 * 1024))
    assert err.issue.code == "import.unpacks_too_large"
    assert "1 MB" in err.issue.message_en


def test_a_declared_unpacked_size_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = hostile.many_rows(tmp_path / "big.xlsx", 60_000)
    err = refusal(path, limits=Limits(unpacked_bytes=1024 * 1024))
    assert err.issue.code == "import.unpacks_too_large"


def test_a_zip_of_many_parts_is_refused(tmp_path: Path) -> None:
    path = hostile.far_cell(tmp_path / "parts.xlsx")
    with zipfile.ZipFile(path, "a") as z:
        for i in range(DEFAULT_LIMITS.members):
            z.writestr(f"p/{i}", b"")
    assert refusal(path).issue.code == "import.too_many_parts"


def test_a_csv_of_300000_columns_is_refused(tmp_path: Path) -> None:
    err = refusal(hostile.wide_csv(tmp_path / "wide.csv", 300_000))
    assert err.issue.code == "import.too_many_columns"
    assert "300,000" in err.issue.message_en


def test_a_csv_of_too_many_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(",".join(EXPECTED) + "\n" + "1\n" * 1_000_001, encoding="utf-8")
    assert refusal(path).issue.code == "import.too_many_rows"


def test_a_csv_over_the_cell_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cells.csv"
    header = [*EXPECTED, *(f"c{i}" for i in range(600 - len(EXPECTED)))]
    path.write_text(",".join(header) + "\n" + "1\n" * 20_000, encoding="utf-8")
    assert refusal(path).issue.code == "import.too_many_cells"


@pytest.mark.parametrize("build", [hostile.renamed_exe, hostile.corrupt_workbook,
                                   hostile.not_a_workbook])
def test_a_file_that_is_no_workbook_gets_one_plain_message(
    tmp_path: Path, build: hostile.Builder
) -> None:
    err = refusal(build(tmp_path / "报表.xlsx"))
    assert err.issue.code == "import.unreadable"
    assert "报表.xlsx" in err.message_zh


def test_a_workbook_the_reader_rejects_gets_the_plain_message(tmp_path: Path) -> None:
    # within the limits, but not SpreadsheetML: the reader's own error is not shown
    path = hostile.package(tmp_path / "bad.xlsx", "<worksheet><sheetData><row r='x'>")
    assert refusal(path).issue.code == "import.unreadable"


@pytest.mark.parametrize("suffix", [".xls", ".xlsb", ".ods"])
def test_formats_that_cannot_be_bounded_are_not_accepted(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"old{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    err = refusal(path)
    assert err.issue.code == "import.unsupported_format"
    assert ".xlsx" in err.issue.message_zh


def test_unusual_but_legitimate_workbooks_are_read(tmp_path: Path) -> None:
    """A namespace prefix, single quotes and cells without ``r`` (some generators
    write them): measured tag by tag, and read."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rows = "".join(
        f"<x:row r='{r}'>" + "".join(
            f"<x:c t='inlineStr'><x:is><x:t>{v}</x:t></x:is></x:c>" for v in values
        ) + "</x:row>"
        for r, values in enumerate([EXPECTED, ("91450300MA5KXXXX00", "2025", "1", "电",
                                               "10", "千瓦时")], start=1)
    )
    sheet = (f'<?xml version="1.0"?><x:worksheet xmlns:x="{ns}"><x:cols><x:col min="1" '
             f'max="6" width="12"/></x:cols><x:sheetData>{rows}</x:sheetData></x:worksheet>')
    table = read_table(hostile.package(tmp_path / "ns.xlsx", sheet), EXPECTED)
    assert table.headers == list(EXPECTED)
    assert table.frame.height == 1


def declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size ``member`` declares (local header and directory)."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    name = member.encode()
    at = bytes(data).find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46: at + 46 + name_len]) == name:
            struct.pack_into("<I", data, at + 24, size)
            if struct.unpack_from("<I", data, at + 20)[0] == 0xFFFFFFFF:
                raise AssertionError("zip64 sizes: write the member without force_zip64")
            break
        at = bytes(data).find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_a_file_with_an_error_in_every_row_lists_ten_thousand(tmp_path: Path) -> None:
    """Each issue costs memory (and bytes in the answer): past the limit they are counted."""
    path = tmp_path / "garbage.csv"
    path.write_text(",".join(EXPECTED) + "\n" + "x,2025,1,电,1,千瓦时\n" * 25_000,
                    encoding="utf-8")
    parsed = parse_consumption(path, institutions=LOOKUP)
    assert len(parsed.issues) == DEFAULT_LIMITS.issues + 1
    more = [i for i in parsed.issues if i.code == "import.more_issues"]
    assert len(more) == 1 and more[0].severity == "error"
    assert parsed.issues[0] == more[0]  # listed first
    assert int(more[0].value or 0) == 25_000 - DEFAULT_LIMITS.issues
    assert "10,000" in more[0].message_zh
    refused = rejection(path.name, parsed.errors)
    assert "25,000" in refused.message_zh and "25,000" in refused.message_en


def _rows(first: int, last: int, columns: str = "A") -> str:
    return "".join(
        f'<row r="{n}">' + "".join(hostile.cell(f"{c}{n}", "1") for c in columns) + "</row>"
        for n in range(first, last + 1)
    )


def test_bounds_that_would_refuse_a_good_file_are_replaced_by_counts(tmp_path: Path) -> None:
    """The quick measure bounds a cell's row by its digits (150 → 999) and its column
    by 26; when that is over a limit, the references are read instead."""
    sheet = hostile.sheet_with(hostile.header_row() + _rows(2, 150, "ABCDEFGHIJKL"))
    path = hostile.package(tmp_path / "ok.xlsx", sheet)
    table = read_table(path, EXPECTED, limits=Limits(cells=10_000))  # 150 × 12 = 1,800
    assert table.frame.height == 149
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED, limits=Limits(cells=1_000))
    assert caught.value.issue.code == "import.too_many_cells"
    assert "150 rows × 12 columns" in caught.value.issue.message_en


def test_a_bound_from_an_earlier_block_is_counted_again(tmp_path: Path) -> None:
    """Blocks of 1 MiB: the first ones bounded (rows < 99,999, 26 columns); a later
    one reaching column AB makes the bound 99,999 × 28, over 2.7 M cells, so the
    part is measured again precisely: 30,001 rows × 28 columns, within it."""
    sheet = hostile.sheet_with(hostile.header_row() + _rows(2, 30_000)
                               + '<row r="30001">' + hostile.cell("AB30001", "x") + "</row>")
    path = hostile.package(tmp_path / "two-blocks.xlsx", sheet)
    assert len(sheet) > 1024 * 1024
    table = read_table(path, EXPECTED, limits=Limits(cells=2_700_000))
    assert table.frame.height == 29_999  # row 30001 holds only the unheaded AB
    with pytest.raises(TableError) as caught:
        read_table(path, EXPECTED, limits=Limits(cells=800_000))
    assert "30,001 rows × 28 columns" in caught.value.issue.message_en
