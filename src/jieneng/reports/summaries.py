"""A summary table (:func:`jieneng.services.publishing.summaries.summary`) as an .xlsx workbook."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from jieneng.reports.spreadsheet import new_workbook, write_cell, write_row


def summary_xlsx(data: Mapping[str, Any]) -> bytes:
    """The summary as an .xlsx workbook: one line per (row, measure), the columns of
    :data:`jieneng.services.publishing.summaries.COLUMNS`; numbers at full precision, text as text
    (:mod:`jieneng.reports.spreadsheet`)."""
    buffer = io.BytesIO()
    workbook = new_workbook(buffer)
    sheet = workbook.add_worksheet(data["kind_name_zh"])
    bold = workbook.add_format({"bold": True})
    months = data["months"]
    period = f"{data['year']}年" + (f"{months[0]}-{months[1]}月" if months else "")
    title = f"{data['region_name']} {period} {data['kind_name_zh']}（仅已审核数据）"
    write_cell(sheet, 0, 0, title, bold)
    header = ["名称", "代码", "指标", "单位", *(c["name_zh"] for c in data["columns"])]
    write_row(sheet, 2, header, bold)
    for line, row in enumerate(_summary_lines(data), start=3):
        write_row(sheet, line, row)
    sheet.set_column(0, 0, 28)
    sheet.set_column(2, 2, 22)
    workbook.close()
    return buffer.getvalue()


def _summary_lines(data: Mapping[str, Any]) -> Iterable[list[Any]]:
    for row in data["rows"]:
        for measure in data["measures"]:
            yield [row["name"], row["code"] or "", measure["name_zh"], measure["unit"],
                   *(row["cells"][c["key"]][measure["key"]] for c in data["columns"])]
