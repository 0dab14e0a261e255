"""What one uploaded file may expand to (:class:`Limits`), the refusal when it is
over (:class:`Refused`), and the check of a CSV's rows, columns and cells. Why
these bounds and how a workbook is measured: :mod:`jieneng.ingest.limits`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..issues import ImportIssue, make_issue


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


class Refused(Exception):
    """The file is over a limit or is not a readable workbook; ``issue`` says which."""

    def __init__(self, issue: ImportIssue) -> None:
        super().__init__(issue.message_en)
        self.issue = issue


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
