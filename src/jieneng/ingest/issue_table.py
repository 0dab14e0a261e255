"""Every issue of a file as one polars frame, rendered without a loop over the rows.

A file with an error in each of 160,000 rows must answer in seconds: the checks of
:class:`jieneng.ingest._common.Checker` are vectorised, and so is the rendering of
their messages here — each catalogue template (``str.format``) is cut into its
literal parts and fields once, and every row's text is one ``concat_str`` over the
failing rows' columns. The frame (:data:`ISSUE_SCHEMA`) is what the counts by kind
and by column, the first errors shown and the full error report are made from;
:class:`~jieneng.ingest.issues.ImportIssue` objects are built for the few shown.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from jieneng.core.exceptions import ImportRejected
from jieneng.core.messages import template

from .issues import MORE_ISSUES, ImportIssue
from .issues import rejection as list_rejection
from .messages import MESSAGES, Severity

#: the columns of an issue frame, in order
ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(), "sheet": pl.String(), "row": pl.Int64(), "column": pl.String(),
    "value": pl.String(), "code": pl.String(), "severity": pl.String(),
    "message_zh": pl.String(), "message_en": pl.String(),
}
#: errors an answer shows (page, JSON twin, command line); the report holds them all
SHOWN = 200
#: the order of a report: errors first, then by sheet, row and column
ORDER = ("__sev", "sheet", "row", "column", "code")


def empty_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def issues_frame(issues: Iterable[ImportIssue]) -> pl.DataFrame:
    """The issues (not the count of those not listed) as an issue frame."""
    rows = [
        (i.file, i.sheet, i.row, i.column, i.value, i.code, i.severity, i.message_zh,
         i.message_en)
        for i in issues if i.code != MORE_ISSUES
    ]
    return pl.DataFrame(rows, schema=ISSUE_SCHEMA, orient="row")


def _template(text: str, fields: Mapping[str, pl.Expr], static: Mapping[str, Any]) -> pl.Expr:
    """``text.format(**…)`` for every row: static values formatted once (with their
    format spec), per-row fields as text (an empty field for a missing one)."""
    parts: list[pl.Expr] = []
    for literal, name, spec, _conversion in string.Formatter().parse(text):
        if literal:
            parts.append(pl.lit(literal, pl.String))
        if name is None:
            continue
        if name in fields:
            parts.append(fields[name].cast(pl.String).fill_null(""))
        elif name in static:
            value = static[name]
            parts.append(pl.lit("" if value is None else format(value, spec or ""), pl.String))
    if not parts:
        return pl.lit("", pl.String)
    return pl.concat_str(parts)


def rendered(
    code: str, bad: pl.DataFrame, *, file: str, sheet: str | None,
    static: Mapping[str, Any], severity: Severity | None = None,
) -> pl.DataFrame:
    """The issue frame of the failing rows ``bad`` of one check: ``__r`` (row),
    ``__v`` (value), ``__c`` (column) and ``__p_<name>`` (per-row template fields)."""
    found = MESSAGES[code]
    fields: dict[str, pl.Expr] = {
        "row": pl.col("__r"), "value": pl.col("__v"), "column": pl.col("__c"),
        **{c[4:]: pl.col(c) for c in bad.columns if c.startswith("__p_")},
    }
    fixed = {"file": file, **static}
    return bad.select(
        pl.lit(file, pl.String).alias("file"),
        pl.lit(sheet, pl.String).alias("sheet"),
        pl.col("__r").cast(pl.Int64).alias("row"),
        pl.col("__c").cast(pl.String).alias("column"),
        pl.col("__v").cast(pl.String).alias("value"),
        pl.lit(code, pl.String).alias("code"),
        pl.lit(severity or found.severity, pl.String).alias("severity"),
        _template(found.zh, fields, fixed).alias("message_zh"),
        _template(found.en, fields, fixed).alias("message_en"),
    )


def ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Errors before warnings, then by sheet, row and column."""
    return (
        frame.with_columns((pl.col("severity") != "error").alias("__sev"))
        .sort(list(ORDER), nulls_last=False, maintain_order=True)
        .drop("__sev")
    )


def to_issues(frame: pl.DataFrame) -> list[ImportIssue]:
    """The rows of an issue frame as issues (for the few shown)."""
    return [ImportIssue(**row) for row in frame.select(list(ISSUE_SCHEMA)).iter_rows(named=True)]


def counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    """How many rows of ``frame`` per value of ``column`` (most first; a missing
    column name counts under "")."""
    if frame.is_empty():
        return {}
    grouped = (
        frame.group_by(pl.col(column).fill_null("")).len()
        .sort(["len", column], descending=[True, False])
    )
    return {str(k): int(n) for k, n in grouped.iter_rows()}


def recoded(frame: pl.DataFrame, mask: pl.Expr, code: str, key: str) -> pl.DataFrame:
    """The rows of ``frame`` where ``mask`` holds as errors of ``code``, their texts
    the catalogue's ``key`` (fields: file, row, column, value); the others unchanged."""
    fields = {name: pl.col(name) for name in ("file", "row", "column", "value")}
    hit = mask.fill_null(False)
    return frame.with_columns(
        pl.when(hit).then(pl.lit(code, pl.String)).otherwise(pl.col("code")).alias("code"),
        pl.when(hit).then(pl.lit("error", pl.String)).otherwise(pl.col("severity"))
        .alias("severity"),
        pl.when(hit).then(_template(template("zh-CN", key), fields, {}))
        .otherwise(pl.col("message_zh")).alias("message_zh"),
        pl.when(hit).then(_template(template("en", key), fields, {}))
        .otherwise(pl.col("message_en")).alias("message_en"),
    )


def rejection(file: str, table: pl.DataFrame) -> ImportRejected:
    """The refusal of a file whose issues are ``table``: the first :data:`SHOWN`
    errors, their total and counts by kind (code) and by column in ``details``, and
    every issue in ``report`` (for the full error report). A file refused as a
    whole (unreadable, over a limit, no header) is refused with that problem."""
    errs = ordered(table.filter(pl.col("severity") == "error"))
    first = to_issues(errs.head(SHOWN))
    if errs.height == 1 and first[0].row is None and first[0].column is None:
        return list_rejection(file, first)
    err = ImportRejected.of(
        "imports.file_has_errors", file=file, count=errs.height, issues=first,
        total=errs.height, shown=len(first), by_code=counts(errs, "code"),
        by_column=counts(errs, "column"),
    )
    err.report = ordered(table)
    return err
