"""Reading a spreadsheet or CSV file into a frame of text cells under its header.

``read_table`` finds the header row by matching expected header names in the
first rows (title rows merged above the header are common), keeps every data
row's original row number (1-based, as Excel shows it; the line number for
CSV) in ``__row``, strips white space (incl. full-width spaces), turns blank
cells into nulls and drops empty rows. Every cell stays text: numbers are
parsed later by :mod:`jieneng.ingest.numbers`, so a number typed as text and a
number cell are treated alike.

.xlsx/.xlsm are read with fastexcel (calamine): formulas give their cached
values and XML entities are not expanded. CSV is decoded as UTF-8 (with or
without BOM), falling back to GB18030 (a superset of GBK, what Excel in China
saves). Before either is parsed, what it expands to (rows, columns, cells,
unpacked bytes) is measured against :mod:`jieneng.ingest.limits`; .xls, .xlsb and
.ods are refused (save as .xlsx). A file that cannot be read is refused with a
plain message naming it, never the reader's own error text.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastexcel
import polars as pl

from jieneng.core.carriers import normalise_label
from jieneng.core.exceptions import ImportRejected

from .issues import ImportIssue, make_issue
from .limits.bounds import DEFAULT_LIMITS, Limits, Refused, check_text_table
from .limits.workbook import check_workbook
from .numbers import clean_column, clean_text

ROW = "__row"
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SCAN_ROWS = 20
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
#: the widest of the first lines of a CSV is looked for in this many characters
CSV_HEAD_CHARS = 4 * 1024 * 1024
CSV_SUFFIXES = frozenset({".csv", ".txt"})

_UNIT_RE = re.compile(r"^(.*?)\s*[(（]\s*(.*?)\s*[)）]\s*$")


class TableError(ImportRejected):
    """The file cannot be read as a table at all; ``issue`` says why, and its code
    (``import.unreadable`` …) is the refusal's."""

    def __init__(self, issue: ImportIssue) -> None:
        super().__init__(issue.message_zh, issue.message_en, [issue])
        self.issue = issue
        self.code = issue.code  # the issue's catalogued code (jieneng.ingest.messages)


@dataclass(frozen=True, slots=True)
class Table:
    """Text cells under the header row of one sheet."""

    file: str
    sheet: str | None
    format: str
    header_row: int
    headers: list[str]
    frame: pl.DataFrame
    rows_read: int
    issues: list[ImportIssue] = field(default_factory=list)


def split_header(text: str) -> tuple[str, str | None, str | None]:
    """``(folded name, folded unit, unit as written)`` of a header like ``电（万千瓦时）``."""
    match = _UNIT_RE.match(text.strip())
    if match and match.group(1) and match.group(2):
        return normalise_label(match.group(1)), normalise_label(match.group(2)), match.group(2)
    return normalise_label(text), None, None


def header_name(text: str) -> str:
    """The folded name part of a header (unit in brackets removed)."""
    return split_header(text)[0]


def read_table(
    path: Path,
    expected_headers: Collection[str],
    *,
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_matches: int = 2,
    scan_rows: int = SCAN_ROWS,
    limits: Limits = DEFAULT_LIMITS,
) -> Table:
    """Read ``path`` and return the table under its header row.

    ``expected_headers`` are header names (folded with
    :func:`~jieneng.core.carriers.normalise_label`, units removed); the header
    row is the row among the first ``scan_rows`` matching most of them (at least
    ``min_matches``). With ``sheet=None`` the first sheet holding such a header is
    used. Raises :class:`TableError` when the file cannot be read as a table or
    would expand beyond ``limits``.
    """
    file = path.name
    expected = {normalise_label(h) for h in expected_headers}
    need = max(1, min(min_matches, len(expected)))
    size = path.stat().st_size
    if size > max_bytes:
        raise TableError(make_issue("import.file_too_large", file=file, size=size,
                                    limit=max_bytes, size_text=size_text(size),
                                    limit_text=size_text(max_bytes)))
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        ahead = _take_ahead(path, limits, sheet)
        if ahead is not None:
            sheet_name, raw = ahead
        else:
            try:
                check_workbook(path, limits)
            except Refused as refused:
                raise TableError(refused.issue) from None
            sheet_name, raw = _read_excel(path, expected, need, sheet, scan_rows)
        fmt = suffix.lstrip(".")
    elif suffix in CSV_SUFFIXES:
        sheet_name, raw = None, _read_csv(path, scan_rows, limits)
        fmt = "csv"
    else:
        raise TableError(make_issue("import.unsupported_format", file=file, value=path.suffix))
    cells = [c for c in raw.columns]
    raw = raw.with_columns(clean_column(raw, c).alias(c) for c in cells)
    header_idx = _find_header(raw, expected, need, scan_rows)
    if header_idx is None:
        raise TableError(
            make_issue(
                "import.header_not_found", file=file, sheet=sheet_name, rows=scan_rows,
                expected="、".join(sorted(expected)),
            )
        )
    return _build(file, sheet_name, fmt, raw, header_idx)


def size_text(size: int) -> str:
    """A file size as people read it: ``100 B``, ``12.5 KB``, ``20 MB``."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} B"


def _read_excel(
    path: Path, expected: set[str], need: int, sheet: str | int | None, scan_rows: int
) -> tuple[str, pl.DataFrame]:
    file = path.name
    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
    except Exception as exc:  # calamine raises several types for corrupt files
        raise TableError(make_issue("import.unreadable", file=file)) from exc
    if sheet is not None:
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise TableError(make_issue("import.sheet_not_found", file=file, value=str(sheet)))
            candidates = [names[sheet]]
        elif sheet not in names:
            raise TableError(make_issue("import.sheet_not_found", file=file, value=sheet))
        else:
            candidates = [sheet]
    else:
        candidates = names
    chosen = candidates[0] if candidates else None
    if len(candidates) > 1:
        for name in candidates:
            head = _load_sheet(reader, name, file, n_rows=scan_rows)
            head = head.with_columns(clean_text(pl.col(c)).alias(c) for c in head.columns)
            if _find_header(head, expected, need, scan_rows) is not None:
                chosen = name
                break
    if chosen is None:
        raise TableError(make_issue("import.empty", file=file))
    return chosen, _load_sheet(reader, chosen, file)


def _load_sheet(
    reader: fastexcel.ExcelReader, name: str, file: str, n_rows: int | None = None
) -> pl.DataFrame:
    try:
        # header_row=None with skip_rows=0 keeps leading empty rows, so frame row i
        # is spreadsheet row i + 1.
        sheet = reader.load_sheet(
            name, header_row=None, skip_rows=0, n_rows=n_rows, dtypes="string"
        )
        frame = sheet.to_polars()
    except Exception as exc:
        raise TableError(make_issue("import.unreadable", file=file, sheet=name)) from exc
    assert isinstance(frame, pl.DataFrame)
    return frame


class _ReadAhead(threading.Thread):
    """Measures a workbook (:func:`check_workbook`, default limits) and then reads its
    only sheet, in a thread: fastexcel parses without holding the interpreter lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="jieneng-read-ahead", daemon=True)
        self.path = path
        self.result: tuple[str, Any] | None = None

    def run(self) -> None:
        try:
            check_workbook(self.path, DEFAULT_LIMITS)
            reader = fastexcel.read_excel(self.path)
            names = list(reader.sheet_names)
            if len(names) == 1:
                self.result = names[0], reader.load_sheet(
                    names[0], header_row=None, skip_rows=0, dtypes="string")
        except Exception:  # the reader meets it again and says so
            self.result = None


_ahead: dict[tuple[str, int, int], _ReadAhead] = {}


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def read_ahead(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Start measuring and reading the workbook ``path`` in a thread, for a
    :func:`read_table` of it to come (the command line's import starts it before it
    imports the database layer). ``read_table`` takes what the thread read when it
    reads the same unchanged file, with the default limits and no sheet named, and the
    workbook has one sheet; otherwise — or if the thread met any problem — it reads the
    file itself, with the same checks and messages. Only .xlsx/.xlsm of at most
    ``max_bytes``; :func:`finish_reading_ahead` waits for the thread."""
    key = _file_key(path)
    if path.suffix.lower() not in EXCEL_SUFFIXES or key is None or key[1] > max_bytes:
        return
    thread = _ReadAhead(path)
    _ahead[key] = thread
    thread.start()


def finish_reading_ahead() -> None:
    """Wait for the threads :func:`read_ahead` started and forget what they read (before
    the process ends: a thread inside the reader must not be cut off at exit)."""
    while _ahead:
        _ahead.popitem()[1].join()


def _take_ahead(
    path: Path, limits: Limits, sheet: str | int | None
) -> tuple[str, pl.DataFrame] | None:
    """The sheet a :func:`read_ahead` thread read from ``path``, if it may serve."""
    key = _file_key(path)
    thread = _ahead.pop(key, None) if key is not None else None
    if thread is None:
        return None
    thread.join()
    if thread.result is None or limits is not DEFAULT_LIMITS or sheet is not None:
        return None
    name, loaded = thread.result
    try:
        frame = loaded.to_polars()
    except Exception:  # read again, the usual way
        return None
    assert isinstance(frame, pl.DataFrame)
    return name, frame


def _decode(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _read_csv(path: Path, scan_rows: int, limits: Limits) -> pl.DataFrame:
    file = path.name
    text = _decode(path.read_bytes())
    if text is None:
        raise TableError(make_issue("import.bad_encoding", file=file))
    # The widest of the first lines fixes the column count (a one-cell title line
    # must not truncate the header below it); looked for in a bounded prefix, so
    # that millions of short lines are never split into a list.
    head = text[:CSV_HEAD_CHARS].splitlines()[: scan_rows * 2]
    try:
        width = max((len(r) for r in csv.reader(head)), default=0)
    except csv.Error as exc:
        raise TableError(make_issue("import.unreadable", file=file)) from exc
    if width == 0:
        raise TableError(make_issue("import.empty", file=file))
    try:
        check_text_table(file, text, width, limits, at_least=len(text) > CSV_HEAD_CHARS)
    except Refused as refused:
        raise TableError(refused.issue) from None
    schema = {f"column_{i}": pl.String for i in range(width)}
    try:
        return pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            schema=schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
        )
    except Exception as exc:
        raise TableError(make_issue("import.unreadable", file=file)) from exc


def _find_header(raw: pl.DataFrame, expected: set[str], need: int, scan_rows: int) -> int | None:
    best, best_score = None, 0
    for idx, values in enumerate(raw.head(scan_rows).iter_rows()):
        score = sum(
            1
            for v in values
            if isinstance(v, str) and (header_name(v) in expected or normalise_label(v) in expected)
        )
        if score > best_score:
            best, best_score = idx, score
    return best if best_score >= need else None


def _build(file: str, sheet: str | None, fmt: str, raw: pl.DataFrame, header_idx: int) -> Table:
    header_values = raw.row(header_idx)
    body = raw.slice(header_idx + 1).with_row_index(ROW, offset=header_idx + 2)
    body = body.with_columns(pl.col(ROW).cast(pl.Int64))
    issues: list[ImportIssue] = []
    renames: dict[str, str] = {}
    seen: dict[str, int] = {}
    keep: list[str] = []
    for col, value in zip(raw.columns, header_values, strict=True):
        if value is None:
            if body.get_column(col).is_not_null().any():
                letter = _column_letter(raw.columns.index(col))
                issues.append(
                    make_issue("import.ignored_column", file=file, sheet=sheet, column=letter)
                )
            continue
        name = str(value)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        renames[col] = name
        keep.append(col)
    body = body.select(ROW, *keep).rename(renames)
    headers = [renames[c] for c in keep]
    if headers:
        body = body.filter(pl.any_horizontal(pl.col(h).is_not_null() for h in headers))
    else:
        body = body.clear()
    return Table(
        file=file, sheet=sheet, format=fmt, header_row=header_idx + 1, headers=headers,
        frame=body, rows_read=body.height, issues=issues,
    )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
