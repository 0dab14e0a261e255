"""The full error report of a rejected import (issue 11 §3).

A file with 160,000 bad rows is answered with its first errors and the counts by
kind and by column (:func:`jieneng.ingest.issue_table.rejection`); its issues are
kept here for a while so that the uploader can read the summary again
(:func:`summary`) and download them as a workbook (:func:`report_xlsx`: file,
sheet, row, column, value, problem; headers in the reader's language; every cell
formula-safe).

Bounded: a report lists at most :data:`MAX_ROWS` issues (errors first, by row;
``settings.import_report_max_rows``) — a file of a million bad rows would otherwise
make a workbook of some 230 MB. The counts (errors, warnings, by kind, by column)
are always of every issue; the report and the page say how many were left out.

The issues are kept as a Parquet file (the listed rows) and a JSON file (the exact
counts) in a private folder of the temporary directory (shared by the server's
worker processes; one per system user, mode 700), named by a random token and the
owner, for :data:`KEEP_SECONDS`; each new report removes the expired ones, then the
oldest while more than :data:`MAX_REPORTS` reports or :data:`MAX_FOLDER_BYTES` are
kept. Only the account that uploaded the file can read its report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.exceptions import NotFound
from jieneng.core.messages import text
from jieneng.ingest.issue_table import SHOWN, counts, ordered, to_issues
from jieneng.reports.long_table import LongColumn, long_table_xlsx

#: how long a report is kept [s]
KEEP_SECONDS = 24 * 3600
#: the most issues a report lists [rows] (``settings.import_report_max_rows``)
MAX_ROWS = 100_000
#: the most reports kept at once, and their most bytes together: the oldest go first
MAX_REPORTS = 500
MAX_FOLDER_BYTES = 512 * 1024 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

#: the columns of the report: key in the issue frame (and of the header's catalogue
#: key ``imports.report.<key>``), width [characters]
COLUMNS = (("file", 24.0), ("sheet", 10.0), ("row", 8.0), ("column", 18.0),
           ("value", 22.0), ("problem", 70.0))


@dataclass(frozen=True)
class Report:
    """The issues a report lists (at most its bound, errors first, by row) and the
    exact counts of every issue of the file."""

    table: pl.DataFrame
    file: str
    errors: int
    warnings: int
    by_code: dict[str, int] = field(default_factory=dict)
    by_column: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Issues of the file, errors and warnings."""
        return self.errors + self.warnings

    @property
    def more(self) -> int:
        """Issues of the file the report does not list."""
        return self.total - self.table.height

    def counts(self) -> dict[str, Any]:
        return {"file": self.file, "errors": self.errors, "warnings": self.warnings,
                "by_code": self.by_code, "by_column": self.by_column}


def bounded(table: pl.DataFrame | Report, max_rows: int = MAX_ROWS) -> Report:
    """The first ``max_rows`` issues of ``table`` (errors first, by row) with the
    counts of all of them; a :class:`Report` is cut further if it holds more."""
    if isinstance(table, Report):
        if table.table.height <= max_rows:
            return table
        return Report(table.table.head(max_rows), **table.counts())
    errs = table.filter(pl.col("severity") == "error")
    return Report(ordered(table).head(max(max_rows, 0)),
                  file=str(table["file"][0]) if table.height else "",
                  errors=errs.height, warnings=table.height - errs.height,
                  by_code=counts(errs, "code"), by_column=counts(errs, "column"))


def folder() -> Path:
    """The private folder the reports are kept in: one per system user, created mode
    700; a folder of that name that is a link or another user's is refused."""
    path = Path(tempfile.gettempdir()) / f"jieneng-import-errors-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{path} is not a private folder of this user")
    return path


def _owner(owner: int | str) -> str:
    return hashlib.sha256(f"jieneng-import-errors:{owner}".encode()).hexdigest()[:16]


def _path(token: str, owner: int | str) -> Path:
    if not _TOKEN.match(token):
        raise NotFound.of("imports.report_not_found")
    return folder() / f"{_owner(owner)}-{token}.parquet"


def keep(table: pl.DataFrame, owner: int | str, *, max_rows: int = MAX_ROWS) -> str:
    """Keep the first ``max_rows`` issues of a rejected file and the counts of all of
    them for ``owner``; returns the report's token."""
    _expire()
    report = bounded(table, max_rows)
    token = secrets.token_urlsafe(18)
    target = _path(token, owner)
    target.with_suffix(".json").write_text(json.dumps(report.counts(), ensure_ascii=False),
                                           encoding="utf-8")
    partial = target.with_suffix(".part")
    report.table.write_parquet(partial, compression="zstd")
    partial.replace(target)
    return token


def _expire(now: float | None = None) -> None:
    """Remove the expired reports, then the oldest while too many or too large."""
    limit = (now or time.time()) - KEEP_SECONDS
    kept: list[tuple[float, int, Path]] = []
    for old in folder().glob("*.parquet"):
        try:
            info = old.stat()
            if info.st_mtime < limit:
                _remove(old)
            else:
                kept.append((info.st_mtime, info.st_size, old))
        except OSError:  # removed meanwhile by another worker
            continue
    kept.sort()
    size = sum(k[1] for k in kept)
    while kept and (len(kept) >= MAX_REPORTS or size > MAX_FOLDER_BYTES):
        _mtime, bytes_, old = kept.pop(0)
        _remove(old)
        size -= bytes_


def _remove(path: Path) -> None:
    for part in (path, path.with_suffix(".json")):
        part.unlink(missing_ok=True)


def load(token: str, owner: int | str) -> Report:
    """The report kept under ``token`` for ``owner``; :class:`NotFound` when there is
    no such report (expired, another account's, or never made)."""
    path = _path(token, owner)
    try:
        if path.stat().st_mtime < time.time() - KEEP_SECONDS:
            raise FileNotFoundError(path)
        table = pl.read_parquet(path)
        found = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound.of("imports.report_not_found") from None
    return Report(table, file=str(found["file"]), errors=int(found["errors"]),
                  warnings=int(found["warnings"]), by_code=dict(found["by_code"]),
                  by_column=dict(found["by_column"]))


def summary(table: pl.DataFrame | Report, *, limit: int = SHOWN) -> dict[str, Any]:
    """The first ``limit`` errors (errors before warnings, then by row), the totals,
    the counts of errors by kind (issue code) and by column, and how many issues the
    full report lists (``report_listed``) and leaves out (``report_more``)."""
    report = bounded(table, MAX_ROWS) if isinstance(table, pl.DataFrame) else table
    first = ordered(report.table).head(limit)
    return {
        "file": report.file,
        "total": report.errors,
        "warnings": report.warnings,
        "shown": first.height,
        "by_code": report.by_code,
        "by_column": report.by_column,
        "issues": [i.to_dict() for i in to_issues(first)],
        "report_listed": report.table.height,
        "report_more": report.more,
    }


def report_xlsx(table: pl.DataFrame | Report, lang: str, *, max_rows: int = MAX_ROWS
                ) -> bytes:
    """The issues as a workbook, at most ``max_rows`` (errors first, by row): one row
    each (file, sheet, row, column, value and the problem in ``lang``); headers in
    ``lang``; the lines under the title give the counts of every issue, by kind and
    by column, and how many are not listed. Written vectorised
    (:mod:`jieneng.reports.long_table`): 100,000 issues in about a second."""
    report = bounded(table, max_rows)
    language = "en" if lang.startswith("en") else "zh-CN"
    problem = "message_en" if language == "en" else "message_zh"
    rows = report.table.select(
        "file", "sheet", "row", "column", "value", pl.col(problem).alias("problem"),
    )
    columns = [LongColumn(key, text(language, f"imports.report.{key}"), number=key == "row",
                          width=width) for key, width in COLUMNS]
    return long_table_xlsx(
        rows, columns, sheet=text(language, "imports.report.sheet_name"),
        title=text(language, "imports.report.title", file=report.file),
        notes=_notes(report, language),
    )


def _notes(report: Report, lang: str) -> list[str]:
    sep = "; " if lang == "en" else "；"
    lines = [text(lang, "imports.report.counts", errors=report.errors,
                  warnings=report.warnings)]
    if report.by_code:
        lines.append(text(lang, "imports.report.by_kind", counts=sep.join(
            f"{text(lang, 'import.kind.' + code)} {n:,}" for code, n in report.by_code.items())))
    if report.by_column:
        whole = text(lang, "pages.import.whole_file")
        lines.append(text(lang, "imports.report.by_column", counts=sep.join(
            f"{col or whole} {n:,}" for col, n in report.by_column.items())))
    if report.more > 0:
        lines.append(text(lang, "imports.report.truncated", listed=report.table.height,
                          more=report.more))
    return lines


def report_name(table: pl.DataFrame | Report) -> str:
    """The download's file name: the uploaded file's stem and ``-errors.xlsx``."""
    if isinstance(table, Report):
        file = table.file
    else:
        file = str(table["file"][0]) if table.height else ""
    stem = Path(file or "import").stem or "import"
    return f"{stem}-errors.xlsx"
