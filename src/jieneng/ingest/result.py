"""The result of parsing one file."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from .issue_table import issues_frame
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
    #: every issue as a frame (:mod:`jieneng.ingest.issue_table`) when the parser
    #: kept them all; ``issues`` may list only the first ones
    issue_frame: pl.DataFrame | None = None

    def all_issues(self) -> pl.DataFrame:
        """Every issue as a frame: the one kept, else made from ``issues``."""
        if self.issue_frame is not None:
            return self.issue_frame
        return issues_frame(self.issues)

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors
