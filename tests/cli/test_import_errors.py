"""``jieneng import`` of a file with many bad rows (issue 11 §3): the first N errors
(``--show``), the counts by kind and by column, and every issue written to a workbook
with ``--errors-report`` (headers in ``--report-lang``)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from jieneng.cli.main import app
from tests.cli.test_cli import load
from tests.sample import ORGAN, Files, write_csv

runner = CliRunner()
HEADER = ["统一社会信用代码", "年", "月", "电(千瓦时)"]


def _bad(tmp_path: Path, rows: int) -> Path:
    """``rows`` rows: every other a month 13, the others a negative figure."""
    return write_csv(tmp_path / "坏数据.csv", HEADER, [
        [ORGAN, 2000 + i // 12, 13 if i % 2 else (i % 12) + 1, -1 if i % 2 == 0 else 5]
        for i in range(rows)])


def _rows(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    return list(book.active.iter_rows(values_only=True))


def _table(rows: list[tuple[object, ...]], first: str) -> tuple[tuple[object, ...], int]:
    """The header row (the one starting with ``first``; notes with the counts come
    above it) and the number of data rows below it."""
    at = next(n for n, row in enumerate(rows) if row and row[0] == first)
    return rows[at], len(rows) - at - 1


def test_the_first_errors_the_counts_and_the_report(
    db_url: str, files: Files, tmp_path: Path
) -> None:
    load(db_url, files)
    bad = _bad(tmp_path, 500)
    report = tmp_path / "errors.xlsx"
    result = runner.invoke(app, ["--db", db_url, "import", "consumption", str(bad), "--dry-run",
                                 "--show", "3", "--errors-report", str(report)])
    out = result.output
    assert result.exit_code == 1, out
    assert "文件 坏数据.csv 有 500 处错误" in out
    assert "以下列出前 3 处错误（共 500 处）" in out
    assert "按错误类型：月份无效 250，负数 250" in out
    assert "By kind: Invalid month 250, Negative number 250" in out
    assert "第5行" not in out  # only rows 2, 3 and 4 are printed
    assert report.exists()
    rows = _rows(report)
    header, listed = _table(rows, "文件")
    assert header == ("文件", "工作表", "行号", "列", "单元格内容", "问题") and listed == 500
    assert any(str(r[0]).startswith("按类型：月份无效 250") for r in rows if r and r[0])
    assert rows[-500][2] == 2 and rows[-1][2] == 501


def test_without_the_option_it_says_how_to_get_the_report(
    db_url: str, files: Files, tmp_path: Path
) -> None:
    load(db_url, files)
    result = runner.invoke(app, ["--db", db_url, "import", "consumption",
                                 str(_bad(tmp_path, 30)), "--dry-run"])
    assert result.exit_code == 1
    assert "--errors-report" in result.output
    english = tmp_path / "en.xlsx"
    runner.invoke(app, ["--db", db_url, "import", "consumption", str(_bad(tmp_path, 30)),
                        "--errors-report", str(english), "--report-lang", "en"])
    rows = _rows(english)
    assert _table(rows, "File")[0] == ("File", "Sheet", "Row", "Column", "Cell value", "Problem")
