"""The result of a registry-style file checked row by row, and its table opening.

The registry parsers (meters, projects, fleet, work plans, carbon points and rules,
campaign schemes) read a small table, name its columns by field, check each row and
hand back what they made with every issue. :class:`TableRows` holds what they share
(file, sheet, issues, the header of each field, rows read) and builds their issues;
each parser subclasses it with its own result fields. :func:`open_rows` reads the
table and names its columns; :func:`read_rows` only reads it (a parser that matches
headers its own way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from jieneng.core.exceptions import DomainError
from jieneng.core.messages import text as say

from ._common import missing_columns, named_columns
from .issues import ImportIssue, make_issue
from .reader import Table, TableError, read_table

#: the most characters of a cell shown in an issue
SHOWN = 100


@dataclass
class TableRows:
    """A parsed file: every issue, and ``columns`` mapping each field to its header
    as written in the file (an issue names that header)."""

    file: str
    sheet: str | None
    issues: list[ImportIssue] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def cell(self, record: dict[str, Any], fld: str) -> str | None:
        """The text of ``fld`` in ``record`` (a row of the table), stripped; None when
        the file has no such column or the cell is blank."""
        header = self.columns.get(fld)
        value = None if header is None else record.get(header)
        text = None if value is None else str(value).strip()
        return text or None

    @overload
    def issue(self, row: int | None, fld: str | None, value: object,
              problem: DomainError) -> ImportIssue: ...

    @overload
    def issue(self, row: int | None, fld: str | None, value: object, problem: str,
              **params: object) -> ImportIssue: ...

    def issue(self, row: int | None, fld: str | None, value: object,
              problem: DomainError | str, **params: object) -> ImportIssue:
        """An error at ``row`` in the column of ``fld`` showing ``value`` (its first
        :data:`SHOWN` characters): a domain refusal with its own code and texts, or a
        catalogue code whose texts take ``value`` and ``params``."""
        shown = None if value is None else str(value)[:SHOWN]
        if isinstance(problem, DomainError):
            code, zh, en = problem.code, problem.message_zh, problem.message_en
        else:
            code = problem
            zh = say("zh-CN", code, value=shown, **params)
            en = say("en", code, value=shown, **params)
        return ImportIssue(file=self.file, sheet=self.sheet, row=row,
                           column=self.columns.get(fld or "", fld), value=shown, code=code,
                           severity="error", message_zh=zh, message_en=en)


R = TypeVar("R", bound=TableRows)


def read_rows(result: type[R], path: Path, names: Iterable[str], *,
              max_bytes: int) -> tuple[R, Table | None]:
    """Read the table of ``path`` (its header row holding some of ``names``): the
    result with the reader's issues, and the table — None when the file cannot be read
    (the result then holds that one issue)."""
    try:
        table = read_table(path, sorted(set(names)), max_bytes=max_bytes)
    except TableError as err:
        return result(path.name, None, issues=[err.issue]), None
    return result(table.file, table.sheet, issues=list(table.issues)), table


def open_rows(result: type[R], path: Path, columns: Mapping[str, Sequence[str]],
              required: Iterable[str | tuple[str, ...]], *,
              max_bytes: int) -> tuple[R, Table | None]:
    """:func:`read_rows` with ``columns`` (field → accepted headers) named in the
    result; a ``required`` field no header names is an ``import.missing_column`` issue
    (a tuple: one of its fields, named ``a / b``). The table is None when the file
    cannot be read or any error was found."""
    out, table = read_rows(result, path, (n for names in columns.values() for n in names),
                           max_bytes=max_bytes)
    if table is None:
        return out, None
    out.columns = named_columns(table.headers, columns)
    required = tuple(required)
    single = [f for f in required if isinstance(f, str)]
    out.issues += missing_columns(out.columns, single, columns, file=out.file,
                                  sheet=out.sheet)
    for group in required:
        if isinstance(group, tuple) and not any(f in out.columns for f in group):
            out.issues.append(make_issue(
                "import.missing_column", file=out.file, sheet=out.sheet,
                column=" / ".join(columns[f][0] for f in group)))
    return out, None if out.errors else table
