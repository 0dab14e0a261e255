"""Measuring one XML part of a workbook, block by block: the rows and columns its
cells reach (``r="XFD1048576"``; cells and rows without ``r`` counted one by one)
and its shared strings (declared ``uniqueCount`` and the ``<si>`` elements). The
``<dimension>`` a sheet declares is not trusted: the reader sizes by the cells.
"""

from __future__ import annotations

import re

from ..issues import make_issue
from .bounds import Limits, Refused

#: tags written the usual way (Excel, xlsxwriter, openpyxl): ``<c r="B7"`` ``<row r="7"``
_CELL_LETTERS = re.compile(rb'<c r="\$?([A-Za-z]+)')

_CELL_DIGITS = re.compile(rb'<c r="\$?[A-Za-z]+\$?(\d{1,12})')
_ROW_DIGITS = re.compile(rb'<row r="(\d{1,12})')
#: anything else (a namespace prefix, another quote, ``r`` not first): measured tag by tag
_CELL_TAG = re.compile(rb"<c[\s/>]")
_ROW_TAG = re.compile(rb"<row[\s/>]")
_PREFIXED = re.compile(rb":(?:c|row|si)[\s/>]")
_SI_AFTER = (b" ", b">", b"/", b"\t", b"\n", b"\r")
_ANY_TAG = re.compile(rb"<(?:[\w.\-]+:)?(row|c)(?=[\s/>])([^>]*)")
_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*\$?([A-Za-z]*)\$?(\d*)""")
_SST = re.compile(rb"<(?:[\w.\-]+:)?sst\s[^>]*")
#: the reader reserves the table at the size ``uniqueCount`` declares
_COUNT_ATTR = re.compile(rb"""\buniqueCount\s*=\s*["']\s*(\d{1,12})""")


def column_number(letters: bytes | str) -> int:
    """1 for A, 27 for AA, 16384 for XFD (letters beyond 12 count as huge)."""
    text = letters.decode("ascii") if isinstance(letters, bytes) else letters
    number = 0
    for ch in text.upper()[:12]:
        number = number * 26 + ord(ch) - 64
    return number


def _all_with_ref(block: bytes, start: bytes, tag: re.Pattern[bytes]) -> int | None:
    """How many ``start`` tags (``<c``, ``<row``) the block holds when every one is
    written ``<c r="…`` (counted with :meth:`bytes.count`, fast); None otherwise."""
    with_ref = block.count(start + b' r="')
    if block.count(start) == with_ref or len(tag.findall(block)) == with_ref:
        return with_ref
    return None


def _unlike(width: int) -> re.Pattern[bytes]:
    """A cell reference other than one letter and at most ``width`` digits (A1 … Z99999)."""
    return re.compile(rb'<c r="(?!\$?[A-Za-z]\$?\d{1,%d}")' % width)


class PartScan:
    """The rows, columns and shared strings one XML part reaches, block by block.

    Three modes, from fast to slow; a part is measured again in the next one when
    the first cannot tell (``retry``):

    * ``rough``: tags written the usual way (``<c r="B7"``), counted with
      :meth:`bytes.count`; only the rows' numbers are read; a cell's row is bounded
      by its digit count (no more digits than the rows around it: below 10ⁿ) and
      its column by 26 (one letter); other references are read.
    * ``precise``: every cell reference read.
    * ``exact``: tag by tag, cells and rows without ``r`` counted one by one
      (a namespace prefix, single quotes …).
    """

    def __init__(self, file: str, limits: Limits, *, mode: str = "rough") -> None:
        self.file = file
        self.limits = limits
        self.mode = mode
        self.exact_needed = False
        self.retry = False
        self.rough = False  # some figure is a bound, not a count
        self.rows = 0
        self.columns = 0
        self.strings = 0
        self._top = 0  # the highest <row r=""> seen
        self._row = 0  # the current row and column (exact mode)
        self._col = 0

    def feed(self, block: bytes) -> None:
        if b"<" not in block:
            return
        self._strings(block)
        if self.mode == "exact":
            self._tags(block)
        else:
            self._fast(block)
            if self.exact_needed:
                self.retry = True
                return
        self._check()

    def _fast(self, block: bytes) -> None:
        cells = _all_with_ref(block, b"<c", _CELL_TAG)
        rows = _all_with_ref(block, b"<row", _ROW_TAG)
        if cells is None or rows is None or (b":" in block and _PREFIXED.search(block)):
            self.exact_needed = True  # measured again, tag by tag
            return
        row_digits = _ROW_DIGITS.findall(block) if rows else []
        if len(row_digits) != rows:
            self.exact_needed = True
            return
        self._top = max(self._top, max(map(int, row_digits), default=0))
        self.rows = max(self.rows, self._top)
        if cells and not (self.mode == "rough" and self._rough(block)):
            self._precise(block, cells)

    def _rough(self, block: bytes) -> bool:
        """Bound the block's cells without reading each reference; False when the
        bounds would not do (then they are read)."""
        width = len(str(self._top)) if self._top else 1
        if _unlike(width).search(block):
            return False
        rows = max(self.rows, 10**width - 1)
        columns = max(self.columns, 26)
        if rows > self.limits.rows or rows * columns > self.limits.cells:
            return False
        self.rows, self.columns, self.rough = rows, columns, True
        return True

    def _precise(self, block: bytes, cells: int) -> None:
        letters = _CELL_LETTERS.findall(block)
        digits = _CELL_DIGITS.findall(block)
        if len(letters) != cells or len(digits) != cells:
            self.exact_needed = True
            return
        self.columns = max(self.columns, max(map(column_number, set(letters)), default=0))
        self.rows = max(self.rows, max(map(int, digits), default=0))

    def _tags(self, block: bytes) -> None:
        for match in _ANY_TAG.finditer(block):
            ref = _REF.search(match.group(2))
            if match.group(1) == b"row":
                self._row = int(ref.group(2)) if ref and ref.group(2) else self._row + 1
                self._col = 0
            elif ref and ref.group(1):
                self._col = column_number(ref.group(1))
                if ref.group(2):
                    self._row = max(self._row, int(ref.group(2)))
            else:
                self._col += 1
            self.rows = max(self.rows, self._row)
            self.columns = max(self.columns, self._col)
            if self.rows > self.limits.rows or self.columns > self.limits.columns:
                return

    def _strings(self, block: bytes) -> None:
        if b"si" not in block or (b"<si" not in block and b":si" not in block):
            return
        self.strings += sum(block.count(tag + after) for tag in (b"<si", b":si")
                            for after in _SI_AFTER)
        sst = _SST.search(block) if b"sst" in block else None
        if sst:
            declared = [int(n) for n in _COUNT_ATTR.findall(sst.group(0))]
            self.strings = max(self.strings, max(declared, default=0))

    def _check(self) -> None:
        limits, file = self.limits, self.file
        over = (self.rows > limits.rows or self.columns > limits.columns
                or self.rows * self.columns > limits.cells)
        if over and self.rough:
            self.retry = True  # a bound, not a count: measured again, precisely
            return
        if self.rows > limits.rows:
            raise Refused(make_issue("import.too_many_rows", file=file, value=str(self.rows),
                                     limit=limits.rows))
        if self.columns > limits.columns:
            raise Refused(make_issue("import.too_many_columns", file=file,
                                     value=f"{self.columns:,}", limit=limits.columns))
        if self.rows * self.columns > limits.cells:
            raise Refused(make_issue("import.too_many_cells", file=file, rows=self.rows,
                                     columns=self.columns, limit=limits.cells))
        if self.strings > limits.strings:
            raise Refused(make_issue("import.too_many_strings", file=file,
                                     value=f"{self.strings:,}", limit=limits.strings))

