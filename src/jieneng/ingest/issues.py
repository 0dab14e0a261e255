"""Import issues: one problem found in a file, located by sheet, row and column."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from jieneng.core.exceptions import ImportRejected

from .messages import Severity, render

#: the code of the one issue counting those not listed (see ``Checker``)
MORE_ISSUES = "import.more_issues"


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem in an imported file.

    ``row`` is the row number as the spreadsheet shows it (1-based; the line
    number for CSV); ``column`` is the header text as written in the file;
    ``value`` is the cell as typed. ``code`` is stable (see
    :mod:`jieneng.ingest.messages`).
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    code: str
    severity: Severity
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self, lang: str = "zh") -> str:
        """Where the issue is, e.g. ``a.xlsx 数据 第5行 “电(千瓦时)”列``."""
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet if lang == "zh" else f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"第{self.row}行" if lang == "zh" else f"row {self.row}")
        if self.column is not None:
            parts.append(f"“{self.column}”列" if lang == "zh" else f"column {self.column!r}")
        return " ".join(parts)

    def __str__(self) -> str:
        zh = f"{self.location('zh')}：{self.message_zh}"
        return f"{zh} / {self.location('en')}: {self.message_en}"


def make_issue(
    code: str,
    *,
    file: str,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
    severity: Severity | None = None,
    **params: object,
) -> ImportIssue:
    """Build an issue from the catalogue; ``file``, ``value`` and ``column`` are also
    template fields."""
    default, zh, en = render(code, file=file, value=value, column=column, row=row, **params)
    return ImportIssue(
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        value=value,
        code=code,
        severity=severity or default,
        message_zh=zh,
        message_en=en,
    )


def rejection(file: str, errors: Sequence[ImportIssue]) -> ImportRejected:
    """The refusal of a file with ``errors``: the problem itself when the file as a
    whole is refused (unreadable, over a limit, no header), else how many errors."""
    if len(errors) == 1 and errors[0].row is None and errors[0].column is None:
        issue = errors[0]
        problem = {"problem_zh": issue.message_zh, "problem_en": issue.message_en}
        if file in issue.message_zh and file in issue.message_en:  # names the file already
            return ImportRejected.of("imports.file_refused", file=file, issues=list(errors),
                                     values=problem)
        return ImportRejected.of("imports.named_file_refused", file=file,
                                 issues=list(errors), values=problem)
    count = sum(int(i.value or 0) if i.code == MORE_ISSUES else 1 for i in errors)
    return ImportRejected.of("imports.file_has_errors", file=file, count=count,
                             issues=list(errors))


def errors(issues: Iterable[ImportIssue]) -> list[ImportIssue]:
    return [i for i in issues if i.severity == "error"]


def warnings(issues: Iterable[ImportIssue]) -> list[ImportIssue]:
    return [i for i in issues if i.severity == "warning"]


@dataclass(frozen=True, slots=True)
class IssueSummary:
    """A bounded view of many issues: counts by code plus the first ``limit`` issues."""

    total: int
    errors: int
    warnings: int
    by_code: dict[str, int]
    shown: list[ImportIssue] = field(default_factory=list)

    @property
    def truncated(self) -> int:
        return self.total - len(self.shown)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "errors": self.errors,
            "warnings": self.warnings,
            "by_code": dict(self.by_code),
            "shown": [i.to_dict() for i in self.shown],
            "truncated": self.truncated,
        }


def summarise_issues(issues: Sequence[ImportIssue], *, limit: int = 1000) -> IssueSummary:
    """Counts of every issue by code and the first ``limit`` (errors before warnings,
    then by row). Every issue is still reported by the parsers; this is for display."""
    ordered = sorted(
        issues, key=lambda i: (i.severity != "error", i.sheet or "", i.row or 0, i.column or "")
    )
    by_code = Counter(i.code for i in issues)
    n_err = sum(1 for i in issues if i.severity == "error")
    return IssueSummary(
        total=len(issues),
        errors=n_err,
        warnings=len(issues) - n_err,
        by_code=dict(by_code.most_common()),
        shown=ordered[:limit],
    )
