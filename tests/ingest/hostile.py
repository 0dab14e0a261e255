"""Hostile files, built by hand at test time: small to send, enormous once read.

Each builder writes a file to ``path`` and returns it. The workbooks are minimal
SpreadsheetML packages written with :mod:`zipfile` (inline strings, no styles);
the large ones are written streaming, so building them stays fast and small.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

Builder = Callable[[Path], Path]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
#: the consumption import's header (long form)
HEADER = ("统一社会信用代码", "年份", "月份", "能源品种", "数量", "单位")


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(
        cell(f"{chr(65 + i)}1", name) for i, name in enumerate(HEADER)
    ) + "</row>"


def package(path: Path, sheet: str, shared: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _PACKAGE_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
    return path


def sheet_with(rows: str) -> str:
    """A worksheet part holding ``rows`` (``<row>`` elements)."""
    return _SHEET_START + "<sheetData>" + rows + "</sheetData></worksheet>"


def far_cell(path: Path) -> Path:
    """The header in row 1 and one cell at XFD1048576 (about 1.7 kB): 512 GB once read."""
    sheet = (
        _SHEET_START + '<dimension ref="A1:XFD1048576"/><sheetData>' + header_row()
        + '<row r="1048576">' + cell("XFD1048576", "x") + "</row></sheetData></worksheet>"
    )
    return package(path, sheet)


def far_cell_implicit(path: Path) -> Path:
    """Like :func:`far_cell` without ``r`` on the far cells: row 1048576 and 16,384
    cells counted one by one (the reader places them all the same)."""
    far = '<row r="1048576">' + "<c/>" * 16_383 + "<c><v>1</v></c></row>"
    sheet = _SHEET_START + "<sheetData>" + header_row() + far + "</sheetData></worksheet>"
    return package(path, sheet)


def shared_strings_bomb(path: Path) -> Path:
    """A shared-string table declaring four billion strings (the reader reserves them)."""
    shared = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000">'
        "<si><t>x</t></si></sst>"
    )
    return package(path, _SHEET_START + "<sheetData>" + header_row()
                    + "</sheetData></worksheet>", shared)


def many_rows(path: Path, rows: int) -> Path:
    """A zip bomb: the header and ``rows`` short data rows, written streaming."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _PACKAGE_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write((_SHEET_START + "<sheetData>" + header_row()).encode())
            step = 100_000
            for start in range(2, rows + 2, step):
                stop = min(start + step, rows + 2)
                out.write("".join(
                    f'<row r="{n}"><c r="E{n}"><v>1</v></c></row>' for n in range(start, stop)
                ).encode())
            out.write(b"</sheetData></worksheet>")
    return path


def wide_csv(path: Path, columns: int) -> Path:
    """A CSV whose header has ``columns`` columns (the known ones first)."""
    names = [*HEADER, *(f"c{i}" for i in range(columns - len(HEADER)))]
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n",
                    encoding="utf-8")
    return path


def renamed_exe(path: Path) -> Path:
    """A Windows program renamed to .xlsx."""
    path.write_bytes(b"MZ\x90\x00\x03" + bytes(range(256)) * 8 + b"This program cannot be run")
    return path


def corrupt_workbook(path: Path) -> Path:
    """A real workbook cut in half."""
    whole = far_cell(path.with_suffix(".whole.xlsx")).read_bytes()
    path.with_suffix(".whole.xlsx").unlink()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def not_a_workbook(path: Path) -> Path:
    """A zip that is not a workbook (a Word document, say)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<document/>")
    return path


def random_bytes(path: Path, size: int = 20 * 1024 * 1024) -> Path:
    """``size`` random bytes named like a workbook (a 20 MB download gone wrong)."""
    path.write_bytes(os.urandom(size))
    return path
