"""Shared machinery of the kind parsers: header mapping, vectorised checks, lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.carriers import normalise_label
from jieneng.core.exceptions import DomainError

from .issue_table import issues_frame, rendered
from .issues import MORE_ISSUES, ImportIssue, make_issue
from .limits.bounds import DEFAULT_LIMITS
from .numbers import is_integral, with_number
from .reader import ROW, Table, TableError, read_table, split_header
from .result import Parsed

AREA_UNITS: Mapping[str, float] = {
    "平方米": 1.0, "m2": 1.0, "米2": 1.0, "万平方米": 1e4, "万m2": 1e4,
}
COUNT_UNITS: Mapping[str, float] = {"人": 1.0, "辆": 1.0, "个": 1.0, "台": 1.0}
MONEY_UNITS: Mapping[str, float] = {"元": 1.0, "万元": 1e4}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One logical input column: accepted header names and, if any, units in the header."""

    key: str
    names: tuple[str, ...]
    required: bool = False
    units: Mapping[str, float] | None = None

    def folded_names(self) -> set[str]:
        return {normalise_label(n) for n in self.names}


@dataclass(frozen=True, slots=True)
class Mapped:
    """A header matched to a spec: the column name in the frame and the unit factor."""

    column: str
    factor: float = 1.0
    unit: str | None = None


def named_columns(headers: Iterable[str], columns: Mapping[str, Sequence[str]]
                  ) -> dict[str, str]:
    """field → the first header of the file naming it by one of ``columns[field]``
    (Chinese or English; a unit in brackets after the name ignored)."""
    out: dict[str, str] = {}
    for header in headers:
        folded = normalise_label(header.split("（")[0].split("(")[0])
        for fld, names in columns.items():
            if fld not in out and folded in {normalise_label(n) for n in names}:
                out[fld] = header
    return out


def missing_columns(found: Mapping[str, str], required: Iterable[str],
                    columns: Mapping[str, Sequence[str]], *, file: str,
                    sheet: str | None) -> list[ImportIssue]:
    """An ``import.missing_column`` issue for each required field no header names."""
    return [make_issue("import.missing_column", file=file, sheet=sheet,
                       column=columns[fld][0]) for fld in required if fld not in found]


def expected_names(specs: Iterable[ColumnSpec]) -> set[str]:
    return {n for s in specs for n in s.folded_names()}


def map_headers(
    table: Table,
    specs: Sequence[ColumnSpec],
    issues: list[ImportIssue],
    *,
    report_unknown: bool = True,
) -> tuple[dict[str, Mapped], list[str]]:
    """Match the table's headers to ``specs``; report missing required columns,
    duplicate columns and units that do not fit (once each, not per row).

    Returns the mapping key → :class:`Mapped` and the headers left unmatched
    (reported as ignored when ``report_unknown``).
    """
    by_name = {n: s for s in specs for n in s.folded_names()}
    mapped: dict[str, Mapped] = {}
    unmatched: list[str] = []
    for header in table.headers:
        base = header.split("#", 1)[0] if "#" in header else header
        name, unit, unit_text = split_header(base)
        spec = by_name.get(name) or by_name.get(normalise_label(base))
        if spec is None:
            unmatched.append(header)
            continue
        if spec.key in mapped:
            issues.append(
                make_issue(
                    "import.duplicate_column", file=table.file, sheet=table.sheet, column=header,
                    other=mapped[spec.key].column,
                )
            )
            continue
        factor = 1.0
        if unit is not None and spec.units is not None and by_name.get(name) is spec:
            if unit not in spec.units:
                issues.append(_unit_mismatch(table, header, unit_text, spec.units))
                continue
            factor = spec.units[unit]
        mapped[spec.key] = Mapped(header, factor, unit_text)
    issues.extend(
        make_issue("import.missing_column", file=table.file, sheet=table.sheet,
                   column=spec.names[0])
        for spec in specs
        if spec.required and spec.key not in mapped
    )
    if report_unknown:
        issues.extend(
            make_issue("import.ignored_column", file=table.file, sheet=table.sheet, column=h)
            for h in unmatched
        )
    return mapped, unmatched


def _unit_mismatch(
    table: Table, header: str, unit_text: str | None, accepted: Mapping[str, float]
) -> ImportIssue:
    """The issue of a column whose unit the spec does not accept."""
    names = "、".join(accepted)
    return make_issue(
        "import.unit_mismatch", file=table.file, sheet=table.sheet, column=header,
        detail_zh=f"列“{header}”的单位“{unit_text}”不适用（可用：{names}）",
        detail_en=f"unit {unit_text!r} of column {header!r} does not fit (accepted: {names})",
    )


def text_col(mapped: Mapping[str, Mapped], key: str) -> pl.Expr:
    """The text column for ``key``, or an all-null text column when absent."""
    if key in mapped:
        return pl.col(mapped[key].column)
    return pl.lit(None, dtype=pl.String)


def code_text(expr: pl.Expr) -> pl.Expr:
    """A code as typed, folded: NFKC (full-width → ASCII), no spaces, upper case."""
    return expr.str.normalize("NFKC").str.replace_all(r"\s", "").str.to_uppercase()


def code_column(frame: pl.DataFrame, column: str) -> pl.Expr:
    """:func:`code_text` of ``frame[column]``, the same values; a column whose every cell
    is already folded (ASCII digits and capitals only) is taken as it is."""
    if frame.get_column(column).str.contains(r"^[0-9A-Z]+$").fill_null(True).all():
        return pl.col(column)
    return code_text(pl.col(column))


@dataclass
class Checker:
    """Collects issues from vectorised checks over one frame.

    Each check is a boolean expression; the failing rows become issues (a loop
    over the issues found, never over the data). The rows of every error are
    remembered so :meth:`valid` keeps only spreadsheet rows without errors (also
    across frames derived from the same rows, e.g. wide → long).

    At most ``listed`` issues are made as objects per file (a file with an error in
    each of a million rows would otherwise hold a million of them in memory); the
    rest are counted in one ``import.more_issues`` issue. Every issue of every row
    is also kept as a frame (:meth:`table`, rendered vectorised by
    :mod:`jieneng.ingest.issue_table`): the counts by kind and by column and the
    full error report are made from it.
    """

    table: Table
    issues: list[ImportIssue] = field(default_factory=list)
    bad_rows: list[pl.Series] = field(default_factory=list)
    listed: int = DEFAULT_LIMITS.issues
    omitted: int = 0
    omitted_errors: int = 0
    _summary_at: int | None = field(default=None, repr=False)
    #: every row issue of the checks, one frame per check
    frames: list[pl.DataFrame] = field(default_factory=list, repr=False)
    #: ids of the issue objects made by the checks (they are in ``frames`` too)
    _made: set[int] = field(default_factory=set, repr=False)

    def header_issue(self, code: str, column: str | None = None, **params: Any) -> None:
        self.issues.append(
            make_issue(code, file=self.table.file, sheet=self.table.sheet, column=column, **params)
        )

    def check(
        self,
        frame: pl.DataFrame,
        mask: pl.Expr,
        code: str,
        *,
        column: str | pl.Expr | None,
        value: pl.Expr | None = None,
        params: Mapping[str, pl.Expr] | None = None,
        static: Mapping[str, Any] | None = None,
        warning: bool = False,
    ) -> None:
        """Report every row where ``mask`` is true as ``code``.

        ``column`` is the header named (text, or an expression for a per-row
        header); ``value`` is the cell text shown; ``params`` are per-row
        template fields (expressions), ``static`` fixed ones.
        """
        exprs: list[pl.Expr] = [
            pl.col(ROW).alias("__r"),
            (value if value is not None else pl.lit(None, pl.String)).cast(pl.String).alias("__v"),
            (column if isinstance(column, pl.Expr) else pl.lit(column, pl.String))
            .cast(pl.String).alias("__c"),
        ]
        for name, expr in (params or {}).items():
            exprs.append(expr.alias(f"__p_{name}"))
        bad = frame.filter(mask.fill_null(False)).select(exprs)
        if bad.is_empty():
            return
        if not warning:
            self.bad_rows.append(bad.get_column("__r"))
        fixed = dict(static or {})
        self.frames.append(rendered(code, bad, file=self.table.file, sheet=self.table.sheet,
                                    static=fixed, severity="warning" if warning else None))
        room = max(0, self.listed - len(self.issues))
        if room < bad.height:
            self._omit(bad.height - room, warning)
            bad = bad.head(room)
        for rec in bad.iter_rows(named=True):
            extra = {k[4:]: v for k, v in rec.items() if k.startswith("__p_")}
            made = make_issue(
                code, file=self.table.file, sheet=self.table.sheet, row=rec["__r"],
                column=rec["__c"], value=rec["__v"], **fixed, **extra,
            )
            self._made.add(id(made))
            self.issues.append(made)

    def all_issues(self) -> pl.DataFrame:
        """Every issue found so far as one frame: the file's and headers' issues and
        every row of every check (none left out)."""
        own = issues_frame(i for i in self.issues if id(i) not in self._made)
        return pl.concat([own, *self.frames], how="vertical")

    def _omit(self, count: int, warning: bool) -> None:
        """Count ``count`` issues not made; one summary issue says how many."""
        self.omitted += count
        if not warning:
            self.omitted_errors += count
        summary = make_issue(
            MORE_ISSUES, file=self.table.file, sheet=self.table.sheet, value=str(self.omitted),
            limit=self.listed, severity="error" if self.omitted_errors else "warning",
        )
        if self._summary_at is None:
            self._summary_at = len(self.issues)
            self.issues.append(summary)
        else:
            self.issues[self._summary_at] = summary

    def number(
        self, frame: pl.DataFrame, column: str, *, integral: bool = False,
        non_negative: bool = True,
    ) -> None:
        """The standard number checks for one text column (parsed in ``<column>__num``)."""
        raw = pl.col(column)
        num = pl.col(f"{column}__num")
        self.check(frame, pl.col(f"{column}__num__bad"), "import.not_a_number", column=column,
                   value=raw)
        if non_negative:
            self.check(frame, num < 0, "import.negative", column=column, value=raw)
        if integral:
            self.check(frame, (num >= 0) & ~is_integral(num), "import.not_an_integer",
                       column=column, value=raw)

    def required(self, frame: pl.DataFrame, column: str) -> None:
        self.check(frame, pl.col(column).is_null(), "import.missing_value", column=column)

    def duplicates(
        self, frame: pl.DataFrame, keys: Sequence[str], *, column: str | pl.Expr | None,
        value: pl.Expr | None, describe: pl.Expr,
    ) -> None:
        """Report every repeat of a key after its first row, naming the first row."""
        valid = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
        repeated = (
            frame.filter(valid).group_by(list(keys))
            .agg(pl.col(ROW).min().alias("__first"), pl.len().alias("__n"))
            .filter(pl.col("__n") > 1).drop("__n")
        )
        if repeated.is_empty():
            return
        hits = frame.join(repeated, on=list(keys), how="inner")
        self.check(
            hits, pl.col(ROW) != pl.col("__first"), "import.duplicate_key", column=column,
            value=value, params={"first_row": pl.col("__first"), "key": describe},
        )

    def valid(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` without the rows that had an error."""
        if not self.bad_rows:
            return frame
        bad = pl.concat(self.bad_rows).unique()
        return frame.filter(~pl.col(ROW).is_in(bad.implode()))


def add_number(frame: pl.DataFrame, column: str, factor: float = 1.0) -> pl.DataFrame:
    """Add ``<column>__num`` (Float64, × ``factor``) and ``<column>__num__bad``."""
    return with_number(frame, column, f"{column}__num", factor=factor)


def map_distinct(
    series: pl.Series, fn: Callable[[str], object], *, name: str = "key",
) -> pl.DataFrame:
    """Apply ``fn`` to each *distinct* non-null value (a small look-up, not a row loop).

    Returns ``name`` (the value), ``result`` (``str(fn(value))`` or null) and
    ``err_zh``/``err_en`` (the :class:`DomainError` messages when ``fn`` raised).
    """
    keys: list[str] = []
    results: list[object] = []
    err_zh: list[str | None] = []
    err_en: list[str | None] = []
    for value in series.drop_nulls().unique().to_list():
        keys.append(value)
        try:
            results.append(fn(value))
            err_zh.append(None)
            err_en.append(None)
        except DomainError as exc:
            results.append(None)
            err_zh.append(exc.message_zh)
            err_en.append(exc.message_en)
    return pl.DataFrame(
        {name: keys, "result": results, "err_zh": err_zh, "err_en": err_en},
        schema_overrides={name: pl.String, "err_zh": pl.String, "err_en": pl.String},
        strict=False,
    )


def open_table(
    kind: str, path: Path, specs: Sequence[ColumnSpec], *, sheet: str | int | None,
    max_bytes: int, extra_names: Iterable[str] = (),
) -> Table | Parsed:
    """``read_table`` for a kind; a file that cannot be read becomes a failed :class:`Parsed`."""
    try:
        return read_table(
            path, expected_names(specs) | set(extra_names), sheet=sheet, max_bytes=max_bytes,
        )
    except TableError as exc:
        fmt = path.suffix.lower().lstrip(".")
        return Parsed(kind, path.name, None, fmt, pl.DataFrame(), [exc.issue], 0)


def parsed(
    kind: str, table: Table, frame: pl.DataFrame, issues: list[ImportIssue],
    chk: Checker | None = None,
) -> Parsed:
    """The result; with the checker ``chk`` it carries every issue as a frame too."""
    ordered = sorted(issues, key=lambda i: (i.row or 0, i.column or "", i.code))
    return Parsed(kind, table.file, table.sheet, table.format, frame, ordered, table.rows_read,
                  chk.all_issues() if chk is not None else None)


@dataclass
class Opened:
    """A table read for one kind, with its checker and mapped headers."""

    table: Table
    chk: Checker
    mapped: dict[str, Mapped]


def open_mapped(
    kind: str, path: Path, specs: Sequence[ColumnSpec], *, ignorable: Iterable[str],
    empty: Mapping[str, pl.DataType], sheet: str | int | None, max_bytes: int,
) -> Opened | Parsed:
    """Read ``path`` for ``kind`` and map its headers: an unknown header that is not
    ``ignorable`` is a warning; a file that cannot be read, or lacks a required
    column, is a finished (failed) :class:`Parsed` with an ``empty`` frame."""
    table = open_table(kind, path, specs, sheet=sheet, max_bytes=max_bytes)
    if isinstance(table, Parsed):
        return table
    chk = Checker(table, list(table.issues))
    mapped, unmatched = map_headers(table, specs, chk.issues, report_unknown=False)
    skip = set(ignorable)
    for header in unmatched:
        if header not in skip:
            chk.header_issue("import.ignored_column", column=header)
    if any(s.required and s.key not in mapped for s in specs):
        return parsed(kind, table, pl.DataFrame(schema=dict(empty)), chk.issues, chk)
    return Opened(table, chk, dict(mapped))
