"""Spreadsheet export helpers shared by the web downloads: every workbook is
opened with :func:`new_workbook` and every cell written with :func:`write_cell`.

Text stays text. xlsxwriter's generic ``write()`` reads a string: ``=…`` becomes a
formula, ``{=…}`` an array formula, ``http://…``, ``file:///…`` or ``external:…``
a live hyperlink. So the workbooks are opened with ``strings_to_formulas``,
``strings_to_urls`` and ``strings_to_numbers`` off, text goes through
``write_string`` only, and :func:`safe_cell` neutralises formula injection (OWASP
"CSV injection"): a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with an apostrophe, so Excel/WPS show it as text even
after a copy into another sheet. Control characters that XML refuses are
removed (:func:`jieneng.core.text.strip_control`). No cell is ever a formula or
a link made from data. (The command line has the same rule in
``jieneng.cli.output.safe_cell``; the web cannot import the cli layer.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import IO, Any

from jieneng.core.text import strip_control

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: The options every workbook is opened with: nothing read into a string.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,
}


def safe_cell(value: Any) -> Any:
    """``value`` unchanged, except text: control characters removed, and a text a
    spreadsheet would read as a formula prefixed with an apostrophe."""
    if isinstance(value, str):
        value = strip_control(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def new_workbook(out: IO[bytes]) -> Any:
    """An xlsxwriter workbook on ``out`` with :data:`WORKBOOK_OPTIONS`."""
    import xlsxwriter

    return xlsxwriter.Workbook(out, dict(WORKBOOK_OPTIONS))


def write_cell(sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """One cell: a number as a number (NaN/infinite as blank), None as blank,
    anything else as text through :func:`safe_cell` — never a formula or a link."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(row, col, number, fmt)
        else:
            sheet.write_blank(row, col, None, fmt)
    else:
        sheet.write_string(row, col, safe_cell(str(value)), fmt)


def write_row(sheet: Any, row: int, values: Iterable[Any], fmt: Any = None) -> None:
    """:func:`write_cell` for each of ``values``, from column 0."""
    for col, value in enumerate(values):
        write_cell(sheet, row, col, value, fmt)
