"""The shared result of the registry-style parsers and its table opening: the issues it
builds (a domain refusal's texts or a catalogue code's), the cell text, the columns
named and the missing ones reported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jieneng.core.exceptions import ValidationFailed
from jieneng.ingest.table_rows import SHOWN, TableRows, open_rows, read_rows
from tests.sample import write_csv

COLUMNS = {"code": ("编号", "code"), "name": ("名称", "name"), "a": ("甲", "a"),
           "b": ("乙", "b")}


@dataclass
class Rows(TableRows):
    extra: int = 7


def test_an_issue_from_a_refusal_keeps_its_code_and_texts() -> None:
    out = Rows("f.csv", None, columns={"code": "编号"})
    err = ValidationFailed.of("project_code_invalid", field="code", value="x")
    issue = out.issue(3, "code", "x" * 300, err)
    assert (issue.file, issue.row, issue.column, issue.code) == ("f.csv", 3, "编号",
                                                                 "project_code_invalid")
    assert issue.value == "x" * SHOWN and issue.severity == "error"
    assert (issue.message_zh, issue.message_en) == (err.message_zh, err.message_en)


def test_an_issue_from_a_code_renders_the_catalogue_with_value_and_params() -> None:
    out = Rows("f.csv", "表1")
    issue = out.issue(4, "removed_on", "2024-13-01", "fleet.import.bad_date")
    assert issue.column == "removed_on" and issue.sheet == "表1"
    assert issue.message_en == "date '2024-13-01' is invalid (expected YYYY-MM-DD)"
    assert "2024-13-01" in issue.message_zh
    assert out.issue(None, None, None, "fleet.import.unknown_kind").value is None


def test_a_cell_is_stripped_text_or_none() -> None:
    out = Rows("f.csv", None, columns={"code": "编号", "name": "名称"})
    record = {"编号": "  A1 ", "名称": "   "}
    assert out.cell(record, "code") == "A1"
    assert out.cell(record, "name") is None
    assert out.cell(record, "a") is None


def test_open_rows_names_the_columns_and_reports_the_missing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["编号", "name", "x"], [["A1", "n", "1"]])
    out, table = open_rows(Rows, path, COLUMNS, ("code", "name"), max_bytes=10**6)
    assert table is not None and out.errors == [] and out.extra == 7
    assert out.columns == {"code": "编号", "name": "name"}
    out, table = open_rows(Rows, path, COLUMNS, ("code", ("a", "b")), max_bytes=10**6)
    assert table is None
    assert [(i.code, i.column) for i in out.errors] == [("import.missing_column", "甲 / 乙")]


def test_a_file_that_cannot_be_read_is_one_issue(tmp_path: Path) -> None:
    path = tmp_path / "t.pdf"
    path.write_text("编号,名称\n")
    out, table = read_rows(Rows, path, ["编号"], max_bytes=10**6)
    assert table is None and out.file == "t.pdf" and out.sheet is None
    assert [i.code for i in out.issues] == ["import.unsupported_format"]
