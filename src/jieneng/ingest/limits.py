"""Bounds on what an uploaded file may expand to, checked before it is parsed.

The upload limit (``max_bytes``) bounds the file as sent; these bound what it
unpacks to. The spreadsheet reader (calamine, behind fastexcel) allocates one
cell slot (32 bytes) for every position of the rectangle from the first to the
last cell of a sheet, empty or not, and reserves the shared-string table at the
size the file declares. A 1.7 kB workbook holding a header and one cell at
XFD1048576 therefore asks for 512 GB, and a 5 MB zip of 8 million short rows for
3 GB; a CSV header of 300,000 columns makes a frame of 300,000 columns. Such a
request aborts the whole process, not just the import, so the file is measured
first, with the standard library and in bounded memory:

* ``.xlsx``/``.xlsm``: the zip directory (members, declared sizes) is read from
  the end of the file before anything else; every member is then inflated in
  1 MiB steps, to the end of its deflate stream (not to the size it declares),
  counting the bytes; in each XML part the rows and columns the cells reach
  (``r="XFD1048576"``; cells and rows without ``r`` are counted one by one) and
  the shared strings (declared ``uniqueCount`` and the ``<si>`` elements) are
  measured. The ``<dimension>`` a sheet declares is not trusted either way: the
  reader sizes by the cells, so the cells are what is measured.
* ``.csv``: the line count bounds the rows, the widest of the first lines (read
  from a bounded prefix) bounds the columns, their product the cells.
* ``.xls``, ``.xlsb`` and ``.ods`` are not accepted (their records or repeat
  counts would need a reader of their own to bound); save them as ``.xlsx``.

The bounds are far above any legitimate import (the benchmark imports 100,000
rows of about 10 columns, 1 million cells) and far below what breaks a server
with 2 GiB of memory: 10 million cells are 320 MB in the reader.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .issues import ImportIssue, make_issue


@dataclass(frozen=True, slots=True)
class Limits:
    """What one file may expand to."""

    #: the last row a sheet or CSV may reach
    rows: int = 1_000_000
    #: the last column a sheet or CSV may reach
    columns: int = 1_000
    #: rows × columns of a sheet's rectangle (32 bytes each in the reader)
    cells: int = 10_000_000
    #: uncompressed bytes of all the members of a workbook together
    unpacked_bytes: int = 512 * 1024 * 1024
    #: members of a workbook's zip (a real workbook has about 10 to 50)
    members: int = 10_000
    #: shared strings a workbook may declare or hold
    strings: int = 10_000_000
    #: issues listed per file; the rest are only counted (``import.more_issues``)
    issues: int = 10_000


DEFAULT_LIMITS = Limits()

MIB = 1024 * 1024
#: inflate at most this much at a time [bytes]
_STEP = MIB
#: an XML tag longer than this is not a spreadsheet's [bytes]
_MAX_TAG = MIB
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_LOCAL = b"PK\x03\x04"


class Refused(Exception):
    """The file is over a limit or is not a readable workbook; ``issue`` says which."""

    def __init__(self, issue: ImportIssue) -> None:
        super().__init__(issue.message_en)
        self.issue = issue


def check_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`Refused` unless the .xlsx/.xlsm at ``path`` stays within ``limits``."""
    file = path.name
    try:
        with path.open("rb") as fh:
            _check_directory(fh, file, limits)
            with zipfile.ZipFile(fh) as archive:
                infos = archive.infolist()
                _check_members(infos, file, limits)
                budget = _Budget(file, limits.unpacked_bytes)
                for info in infos:
                    _check_member(fh, info, file, limits, budget)
    except _DAMAGED as exc:  # whatever a damaged zip raises: one plain message
        raise Refused(make_issue("import.unreadable", file=file)) from exc


_DAMAGED = (zipfile.BadZipFile, zlib.error, struct.error, OSError, ValueError, EOFError,
            NotImplementedError, UnicodeDecodeError)


def _check_directory(fh: BinaryIO, file: str, limits: Limits) -> None:
    """The end-of-directory record: a zip, with few members in a small directory."""
    size = fh.seek(0, 2)
    tail_len = min(size, _EOCD_SIZE + 0xFFFF)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise Refused(make_issue("import.unreadable", file=file))
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    # a zip64 directory (0xFFFF entries) is far beyond any workbook
    if entries > limits.members or directory_size > limits.members * 256:
        raise Refused(make_issue("import.too_many_parts", file=file, limit=limits.members))


def _check_members(infos: list[zipfile.ZipInfo], file: str, limits: Limits) -> None:
    if len(infos) > limits.members:
        raise Refused(make_issue("import.too_many_parts", file=file, limit=limits.members))
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        # a zip, but not a workbook (a .docx renamed, an archive …)
        raise Refused(make_issue("import.unreadable", file=file))
    if any(i.flag_bits & 0x1 for i in infos):
        raise Refused(make_issue("import.encrypted", file=file))
    declared = sum(i.file_size for i in infos)
    if declared > limits.unpacked_bytes:
        raise Refused(_too_big(file, limits))


def _too_big(file: str, limits: Limits) -> ImportIssue:
    return make_issue("import.unpacks_too_large", file=file, limit=limits.unpacked_bytes // MIB)


@dataclass
class _Budget:
    """Uncompressed bytes left for the whole workbook."""

    file: str
    left: int

    def spend(self, n: int, limits: Limits) -> None:
        self.left -= n
        if self.left < 0:
            raise Refused(_too_big(self.file, limits))


def _check_member(
    fh: BinaryIO, info: zipfile.ZipInfo, file: str, limits: Limits, budget: _Budget
) -> None:
    if info.is_dir() or (info.file_size == 0 and info.compress_size == 0):
        return
    if _is_binary(info.filename):
        for chunk in _inflate(fh, info, file):
            budget.spend(len(chunk), limits)
        return
    start = budget.left
    mode = "rough"
    while True:
        budget.left = start
        scan = _Scan(file, limits, mode=mode)
        for block in _blocks(_inflate(fh, info, file), file):
            budget.spend(len(block), limits)
            scan.feed(block)
            if scan.retry:
                break
        if not scan.retry:
            return
        mode = "exact" if scan.exact_needed or mode == "precise" else "precise"


#: parts a workbook holds that are not XML (pictures, embedded objects, macros)
_BINARY = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf",
           ".ttf", ".odttf", ".xlsx", ".docx", ".pptx", ".wav")
#: folders whose parts the reader reads as sheets, whatever their names
_SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")


def _is_binary(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(_BINARY) and not lower.startswith(_SHEET_FOLDERS)


def _inflate(fh: BinaryIO, info: zipfile.ZipInfo, file: str) -> Iterator[bytes]:
    """The member's bytes, at most ``_STEP`` at a time; a deflate stream is read to
    its end whatever size the directory declares (the reader does not trust it)."""
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != _LOCAL:
        raise Refused(make_issue("import.unreadable", file=file))
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    if info.compress_type == zipfile.ZIP_STORED:
        left = max(info.compress_size, info.file_size)
        while left > 0:
            raw = fh.read(min(_STEP, left))
            if not raw:
                return
            left -= len(raw)
            yield raw
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise Refused(make_issue("import.unreadable", file=file))
    yield from _deflated(fh, file)


def _deflated(fh: BinaryIO, file: str) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = b""
    while not inflater.eof:
        if not pending:
            pending = fh.read(64 * 1024)
            if not pending:
                return  # truncated: the reader will fail on it, not expand it
        try:
            out = inflater.decompress(pending, _STEP)
        except zlib.error as exc:
            raise Refused(make_issue("import.unreadable", file=file)) from exc
        pending = inflater.unconsumed_tail
        if out:
            yield out


def _blocks(chunks: Iterator[bytes], file: str) -> Iterator[bytes]:
    """``chunks`` re-cut after a ``>``, so that no tag is split between two blocks."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        end = data.rfind(b">") + 1
        if end == 0:
            carry = data
        else:
            carry = data[end:]
            yield data[:end]
        if len(carry) > _MAX_TAG:
            raise Refused(make_issue("import.unreadable", file=file))
    if carry:
        yield carry


# --- measuring one XML part ------------------------------------------------------

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


class _Scan:
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
        if cells is None or rows is None or _PREFIXED.search(block):
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
        if b"<si" not in block and b":si" not in block:
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


def check_text_table(
    file: str, text: str, width: int, limits: Limits = DEFAULT_LIMITS, *, at_least: bool = False
) -> None:
    """Raise :class:`Refused` when a CSV of ``width`` columns (the widest of its first
    lines; ``at_least`` when only a prefix of them was read) and its line count are
    over ``limits``."""
    rows = text.count("\n") + 1
    if width > limits.columns:
        shown = f"{width:,}+" if at_least else f"{width:,}"
        raise Refused(make_issue("import.too_many_columns", file=file, value=shown,
                                 limit=limits.columns))
    if rows > limits.rows:
        raise Refused(make_issue("import.too_many_rows", file=file, value=str(rows),
                                 limit=limits.rows))
    if rows * width > limits.cells:
        raise Refused(make_issue("import.too_many_cells", file=file, rows=rows,
                                 columns=width, limit=limits.cells))
