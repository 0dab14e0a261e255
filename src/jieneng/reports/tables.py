"""The one list → .xlsx builder: every list export of the platform (名录, 审核发现,
预警, 审核队列, 排名, 考核, 汇总, 上报率, the import error report) is a
:class:`Sheet` — a title, the lines saying scope / period / basis, the columns
(:class:`jieneng.core.listing.Column`) and the rows — written by
:func:`table_xlsx`.

Each sheet gets: the title row (merged over the table, bold), one row per note,
the header (bold, wrapped, optionally two rows with merged group headers and a
row of column numbers as the statistics system's forms have), the header rows
frozen, an autofilter on a one-row header, the Excel number format of each
column's kind (thousands separator, the column's fixed decimals, percentages),
column widths fitted to the content (a CJK character counts double), footer
lines, and an A4 print setup (landscape, fit to the page width, the header
repeated on every page, page numbers). Every cell goes through
:func:`jieneng.reports.spreadsheet.write_cell`: text stays text, formula
injection is neutralised, no cell is a formula or a link made from data.

Usage::

    table_xlsx([Sheet("名录", "公共机构名录", COLUMNS, rows, notes=("范围：桂林市",))],
               lang="zh-CN")
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jieneng.core.listing import Column, display, number_format, text_width
from jieneng.core.messages import text
from jieneng.reports.spreadsheet import new_workbook, write_cell

#: Column width bounds [characters of a fixed-width grid].
MIN_WIDTH, MAX_WIDTH, MAX_HEADER_WIDTH = 6, 60, 24
#: Worksheet-name characters Excel refuses, and its length limit.
_BAD_NAME = str.maketrans({c: "_" for c in "[]:*?/\\"})
A4 = 9


@dataclass(frozen=True, slots=True)
class Cell:
    """A value with a format of its own: another kind or decimals than its column's
    (the 汇总's rows mix counts and figures), or bold (a total row)."""

    value: Any
    kind: str | None = None
    decimals: int | None = None
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """A header merged over the columns ``first`` … ``last`` (0-based), text as shown."""

    label: str
    first: int
    last: int


@dataclass(frozen=True)
class Sheet:
    """One worksheet: ``rows`` are mappings (read by :attr:`Column.key`) or sequences
    (by position); ``notes`` the lines under the title (scope, period, basis);
    ``groups`` merged headers above the columns; ``numbering`` a row under the
    header (甲 乙 1 2 …); ``footer`` lines under the table."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Mapping[str, Any] | Sequence[Any]]
    notes: Sequence[str] = ()
    groups: Sequence[Group] = ()
    numbering: Sequence[str] = ()
    footer: Sequence[str] = ()
    landscape: bool = True


def table_xlsx(sheets: Sequence[Sheet], lang: str = "zh-CN") -> bytes:
    """The workbook of ``sheets`` (headers in ``lang``: ``zh-CN`` or ``en``)."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    formats = _Formats(book)
    used: set[str] = set()
    for sheet in sheets:
        _write_sheet(book, formats, sheet, lang, _sheet_name(sheet.name, used))
    book.close()
    return buffer.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    base = (name.translate(_BAD_NAME).strip("'") or "Sheet")[:31]
    candidate, n = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:28]}({n})"
        n += 1
    used.add(candidate.lower())
    return candidate


class _Formats:
    """The workbook's formats, made once each."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.cache: dict[tuple[Any, ...], Any] = {}

    def get(self, name: str, **props: Any) -> Any:
        key = (name, *sorted(props.items()))
        if key not in self.cache:
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]

    def title(self) -> Any:
        return self.get("title", bold=True, font_size=14, align="center", valign="vcenter")

    def note(self) -> Any:
        return self.get("note", font_color="#404040")

    def header(self) -> Any:
        return self.get("header", bold=True, text_wrap=True, align="center",
                        valign="vcenter", border=1, bg_color="#E8EEF4")

    def cell(self, kind: str, decimals: int, bold: bool = False) -> Any:
        props: dict[str, Any] = {"border": 1, "valign": "top",
                                 "num_format": number_format(kind, decimals)}
        if bold:
            props["bold"] = True
        if kind in ("text", "code", "bool"):
            props["text_wrap"] = kind == "text"
        return self.get("cell", **props)


def _write_sheet(book: Any, formats: _Formats, sheet: Sheet, lang: str, name: str) -> None:
    ws = book.add_worksheet(name)
    columns = list(sheet.columns)
    last_col = max(len(columns) - 1, 0)
    widths = [min(text_width(c.header(lang)), MAX_HEADER_WIDTH) for c in columns]
    row = _merged_line(ws, 0, last_col, sheet.title, formats.title())
    ws.set_row(0, 24)
    for note in sheet.notes:
        row = _merged_line(ws, row, last_col, note, formats.note())
    header_first = row
    row = _header(ws, row, columns, sheet.groups, lang, formats.header())
    if sheet.numbering:
        for col, mark in enumerate(sheet.numbering):
            write_cell(ws, row, col, mark, formats.header())
        row += 1
    header_last = row - 1
    first_data = row
    for values in sheet.rows:
        for col, column in enumerate(columns):
            shown = _write_value(ws, row, col, column, _pick(values, column, col), formats, lang)
            widths[col] = max(widths[col], text_width(shown))
        row += 1
    if len(sheet.groups) == 0 and not sheet.numbering and columns:
        ws.autofilter(header_last, 0, max(row - 1, header_last), last_col)
    if sheet.footer:
        row += 1
        for line in sheet.footer:
            row = _merged_line(ws, row, last_col, line, formats.note())
    for col, width in enumerate(widths):
        ws.set_column(col, col, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)))
    ws.freeze_panes(first_data, 0)
    _print_setup(ws, sheet, header_first, header_last, last_col, row)


def _merged_line(ws: Any, row: int, last_col: int, value: str, fmt: Any) -> int:
    """A line of text over the table's width; the next row."""
    if last_col > 0:
        ws.merge_range(row, 0, row, last_col, "", fmt)
    write_cell(ws, row, 0, value, fmt)
    return row + 1


def _header(ws: Any, row: int, columns: Sequence[Column], groups: Sequence[Group],
            lang: str, fmt: Any) -> int:
    """The header rows (one, or two with ``groups``); the next row."""
    if not groups:
        for col, column in enumerate(columns):
            write_cell(ws, row, col, column.header(lang), fmt)
        ws.set_row(row, 32)
        return row + 1
    grouped: set[int] = set()
    for group in groups:
        if group.last > group.first:
            ws.merge_range(row, group.first, row, group.last, "", fmt)
        write_cell(ws, row, group.first, group.label, fmt)
        grouped.update(range(group.first, group.last + 1))
    for col, column in enumerate(columns):
        if col in grouped:
            write_cell(ws, row + 1, col, column.header(lang), fmt)
        else:
            ws.merge_range(row, col, row + 1, col, "", fmt)
            write_cell(ws, row, col, column.header(lang), fmt)
    ws.set_row(row + 1, 32)
    return row + 2


def _pick(values: Mapping[str, Any] | Sequence[Any], column: Column, col: int) -> Any:
    if isinstance(values, Mapping):
        return values.get(column.key)
    return values[col] if col < len(values) else None


def _write_value(ws: Any, row: int, col: int, column: Column, value: Any,
                 formats: _Formats, lang: str) -> str:
    """Write one cell in its column's (or its own) format; the text it shows."""
    kind: str = column.kind
    decimals, bold = column.decimals, False
    if isinstance(value, Cell):
        kind = value.kind or kind
        decimals = value.decimals if value.decimals is not None else decimals
        bold, value = value.bold, value.value
    fmt = formats.cell(kind, decimals, bold)
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        value = value.isoformat()
    if kind == "bool" and value is not None:
        value = text(lang, "pages.yes" if value else "pages.no")
    elif kind in ("text", "code") and value is not None and not isinstance(value, str):
        value = str(value)
    write_cell(ws, row, col, value, fmt)
    return display(kind, decimals, value, lang) if value is not None else ""


def _print_setup(ws: Any, sheet: Sheet, header_first: int, header_last: int, last_col: int,
                 last_row: int) -> None:
    ws.set_paper(A4)
    if sheet.landscape:
        ws.set_landscape()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_first, header_last)
    ws.print_area(0, 0, max(last_row - 1, header_last), last_col)
    ws.set_footer("&C&P / &N")
