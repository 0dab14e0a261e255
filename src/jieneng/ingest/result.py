"""The result of parsing one file."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from .issues import ImportIssue


@dataclass
class Parsed:
    """A parsed file: the valid rows in ``frame`` and every issue found.

    ``frame`` holds only rows without an error; a caller imports it only when
    :attr:`ok` (no error at all), so nothing invalid is stored and the user fixes
    the file as a whole.
    """

    kind: str
    file: str
    sheet: str | None
    format: str
    frame: pl.DataFrame
    issues: list[ImportIssue] = field(default_factory=list)
    rows_read: int = 0

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors
