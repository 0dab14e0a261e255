"""Fixture files for the ingest tests, written at test time."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import xlsxwriter

from jieneng.core.codes import make_credit_code
from jieneng.ingest import ImportIssue

ORGAN = make_credit_code("11", "450302", 1001)
SCHOOL = make_credit_code("12", "450321", 2001)
HOSPITAL = make_credit_code("12", "450321", 3001)
UNKNOWN = make_credit_code("12", "450321", 9999)
REGIONS = {"450000", "450300", "450302", "450321"}

LOOKUP = pl.DataFrame(
    {"credit_code": [ORGAN, SCHOOL, HOSPITAL], "institution_id": [1, 2, 3]},
    schema={"credit_code": pl.String, "institution_id": pl.Int64},
)

Row = Sequence[object]


def write_csv(
    path: Path, header: Row, rows: Sequence[Row], *, encoding: str = "utf-8",
    above: Sequence[Row] = (),
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerows(above)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path, header: Row, rows: Sequence[Row], *, title: str | None = None,
    start_row: int = 0, sheet: str = "数据",
) -> Path:
    """Header at 0-based ``start_row`` (a merged title above it when ``title``)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    if title is not None:
        ws.merge_range(0, 0, 1, max(1, len(header) - 1), title)
    ws.write_row(start_row, 0, header)
    for r, row in enumerate(rows, start=start_row + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            ws.write(r, c, value)
    wb.close()
    return path


def codes(issues: Sequence[ImportIssue]) -> list[tuple[int | None, str | None, str]]:
    """(row, column, code) of every issue, sorted."""
    return sorted(((i.row, i.column, i.code) for i in issues), key=lambda t: (t[0] or 0, str(t)))
