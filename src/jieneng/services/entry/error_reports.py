"""The full error report of a rejected import (issue 11 §3).

A file with 160,000 bad rows is answered with its first errors and the counts by
kind and by column (:func:`jieneng.ingest.issue_table.rejection`); every issue is
kept here for a while so that the uploader can read the summary again
(:func:`summary`) and download them all as a workbook (:func:`report_xlsx`: file,
sheet, row, column, value, problem; headers in the reader's language; every cell
formula-safe).

The issues are kept as a Parquet file in a private folder of the temporary
directory (shared by the server's worker processes; one per system user, mode 700),
named by a random token and the owner, for :data:`KEEP_SECONDS`; each new report
removes the expired ones.
Only the account that uploaded the file can read its report.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.exceptions import NotFound
from jieneng.core.messages import text
from jieneng.ingest.issue_table import SHOWN, counts, ordered, to_issues
from jieneng.reports.long_table import LongColumn, long_table_xlsx

#: how long a report is kept [s]
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

#: the columns of the report: key in the issue frame (and of the header's catalogue
#: key ``imports.report.<key>``), width [characters]
COLUMNS = (("file", 24.0), ("sheet", 10.0), ("row", 8.0), ("column", 18.0),
           ("value", 22.0), ("problem", 70.0))


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


def keep(table: pl.DataFrame, owner: int | str) -> str:
    """Keep every issue of a rejected file for ``owner``; returns the report's token."""
    _expire()
    token = secrets.token_urlsafe(18)
    target = _path(token, owner)
    partial = target.with_suffix(".part")
    table.write_parquet(partial, compression="zstd")
    partial.replace(target)
    return token


def _expire(now: float | None = None) -> None:
    limit = (now or time.time()) - KEEP_SECONDS
    for old in folder().glob("*.parquet"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except OSError:  # removed meanwhile by another worker
            continue


def load(token: str, owner: int | str) -> pl.DataFrame:
    """The issues kept under ``token`` for ``owner``; :class:`NotFound` when there is
    no such report (expired, another account's, or never made)."""
    path = _path(token, owner)
    try:
        return pl.read_parquet(path)
    except (FileNotFoundError, OSError):
        raise NotFound.of("imports.report_not_found") from None


def summary(table: pl.DataFrame, *, limit: int = SHOWN) -> dict[str, Any]:
    """The first ``limit`` errors (errors before warnings, then by row), the totals,
    and the counts of errors by kind (issue code) and by column."""
    errs = table.filter(pl.col("severity") == "error")
    first = ordered(table).head(limit)
    return {
        "file": str(table["file"][0]) if table.height else "",
        "total": errs.height,
        "warnings": table.height - errs.height,
        "shown": first.height,
        "by_code": counts(errs, "code"),
        "by_column": counts(errs, "column"),
        "issues": [i.to_dict() for i in to_issues(first)],
    }


def report_xlsx(table: pl.DataFrame, lang: str) -> bytes:
    """Every issue as a workbook: one row each (file, sheet, row, column, value and
    the problem in ``lang``), errors first; headers in ``lang``. Written vectorised
    (:mod:`jieneng.reports.long_table`): 200,000 issues in about a second."""
    language = "en" if lang.startswith("en") else "zh-CN"
    problem = "message_en" if language == "en" else "message_zh"
    rows = ordered(table).select(
        "file", "sheet", "row", "column", "value", pl.col(problem).alias("problem"),
    )
    file = str(table["file"][0]) if table.height else ""
    errs = table.filter(pl.col("severity") == "error").height
    columns = [LongColumn(key, text(language, f"imports.report.{key}"), number=key == "row",
                          width=width) for key, width in COLUMNS]
    return long_table_xlsx(
        rows, columns, sheet=text(language, "imports.report.sheet_name"),
        title=text(language, "imports.report.title", file=file),
        notes=(text(language, "imports.report.counts", errors=errs,
                    warnings=table.height - errs),),
    )


def report_name(table: pl.DataFrame) -> str:
    """The download's file name: the uploaded file's stem and ``-errors.xlsx``."""
    stem = Path(str(table["file"][0]) if table.height else "import").stem or "import"
    return f"{stem}-errors.xlsx"
