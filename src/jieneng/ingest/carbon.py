"""Carbon-points (碳普惠) ledger files: file → checked entries (issue 14 §6).

One row = one staff member's action on one day. xlsx or csv (UTF-8 or GBK); headers in
Chinese or English, in any order:

==================== ========================================== ========
field                headers                                    required
==================== ========================================== ========
``credit_code``      统一社会信用代码, 单位信用代码, credit_code      yes
``staff_code``       员工编号, 人员编号, staff_code (pseudonymous)   yes
``display_name``     显示名, 姓名, display_name                   yes
``entry_date``       日期, date (YYYY-MM-DD)                      yes
``action``           行为, 低碳行为, action (code or label of a rule) yes
``quantity``         数量, quantity (in the rule's unit)          yes
==================== ========================================== ========

Checked here, set-based over the whole file (polars): every required cell present, the
quantity a number ≥ 0, the date a date, the action one of the rules
(:mod:`jieneng.core.carbon.points`), no (institution, staff, date, action) twice. What
needs the database (the institution exists, lies in scope) is the service's. Each
problem names file, row and column in zh and en.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from jieneng.core.carbon.points import RuleSet, rule_by_name, rules
from jieneng.core.codes import make_credit_code
from jieneng.core.exceptions import ValidationFailed

from .issues import ImportIssue, make_issue
from .numbers import parse_number
from .reader import DEFAULT_MAX_BYTES, ROW
from .table_rows import TableRows, open_rows

COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "单位信用代码", "credit_code"),
    "staff_code": ("员工编号", "人员编号", "staff_code"),
    "display_name": ("显示名", "姓名", "display_name"),
    "entry_date": ("日期", "date", "entry_date"),
    "action": ("行为", "低碳行为", "action"),
    "quantity": ("数量", "quantity"),
}
REQUIRED: tuple[str, ...] = tuple(COLUMNS)
#: the most issues listed for one file (the rest counted)
MAX_ISSUES = 200


@dataclass
class PointRows(TableRows):
    """The parsed file: a frame of valid rows (columns ``row, credit_code, staff_code,
    display_name, entry_date, action, quantity``) and every issue."""

    frame: pl.DataFrame | None = None


def parse_points(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 rule_set: RuleSet | None = None) -> PointRows:
    """The entries of a carbon-points file and the issues found without the database
    (actions of ``rule_set``: the rules in force; default the shipped ones)."""
    rule_set = rules() if rule_set is None else rule_set
    out, table = open_rows(PointRows, path, COLUMNS, REQUIRED, max_bytes=max_bytes)
    if table is None:
        return out
    frame = _frame(table.frame, out.columns)
    frame = frame.filter(~pl.all_horizontal(pl.col(f).is_null() for f in REQUIRED))
    out.rows_read = frame.height
    _check(out, frame, rule_set)
    if out.errors:
        return out
    if frame.height == 0:
        out.issues.append(make_issue("import.empty", file=out.file, sheet=out.sheet))
        return out
    out.frame = frame.select(
        "row", "credit_code", "staff_code", "display_name", pl.col("__date").alias("entry_date"),
        pl.col("action").replace_strict(_actions(rule_set), default=None).alias("action"),
        pl.col("__quantity").alias("quantity"))
    return out


def _frame(raw: pl.DataFrame, columns: dict[str, str]) -> pl.DataFrame:
    def text(f: str) -> pl.Expr:
        value = pl.col(columns[f]).cast(pl.String).str.strip_chars()
        return pl.when(value == "").then(None).otherwise(value).alias(f)

    frame = raw.select(pl.col(ROW).cast(pl.Int64).alias("row"), *(text(f) for f in REQUIRED))
    day = pl.col("entry_date").str.replace_all("/", "-").str.split(" ").list.first()
    return frame.with_columns(
        pl.col("credit_code").str.to_uppercase(),
        parse_number(pl.col("quantity")).alias("__quantity"),
        day.str.to_date("%Y-%m-%d", strict=False).alias("__date"),
    )


def _actions(rule_set: RuleSet) -> dict[str, str]:
    return {k: r.action for k, r in rule_by_name(rule_set).items()}


def _check(out: PointRows, frame: pl.DataFrame, rule_set: RuleSet) -> None:
    """Every problem of the rows (set-based), as issues; at most :data:`MAX_ISSUES`."""
    actions = _actions(rule_set)
    known = list(actions) + [k.lower() for k in actions]
    checks: list[tuple[str, pl.Expr, str]] = [
        *((f, pl.col(f).is_null(), "missing") for f in REQUIRED),
        ("quantity", pl.col("quantity").is_not_null()
         & (pl.col("__quantity").is_null() | (pl.col("__quantity") < 0)), "quantity"),
        ("entry_date", pl.col("entry_date").is_not_null() & pl.col("__date").is_null(),
         "date"),
        ("action", pl.col("action").is_not_null() & ~pl.col("action").is_in(known)
         & ~pl.col("action").str.to_lowercase().is_in(known), "action"),
        ("display_name", pl.col("display_name").str.len_chars() > 60, "name"),
        ("staff_code", pl.col("staff_code").str.len_chars() > 40, "code"),
    ]
    for fld, bad, kind in checks:
        for rec in frame.filter(bad).head(MAX_ISSUES).iter_rows(named=True):
            if len(out.issues) >= MAX_ISSUES:
                return
            out.issues.append(_issue(out, kind, fld, rec, rule_set))
    if out.errors:
        return
    key = ["credit_code", "staff_code", "__date",
           pl.col("action").replace_strict(actions, default=None)]
    dup = frame.with_columns(pl.col("row").min().over(key).alias("__first")).filter(
        pl.col("row") != pl.col("__first"))
    for rec in dup.head(MAX_ISSUES).iter_rows(named=True):
        out.issues.append(make_issue("import.duplicate_key", file=out.file, sheet=out.sheet,
                                     row=int(rec["row"]), column=out.columns["staff_code"],
                                     first_row=int(rec["__first"]),
                                     key=f"{rec['staff_code']} {rec['entry_date']} "
                                         f"{rec['action']}"))


def _issue(out: PointRows, kind: str, fld: str, rec: dict[str, object],
           rule_set: RuleSet) -> ImportIssue:
    row = int(str(rec["row"]))
    value = rec.get(fld)
    if kind == "missing":
        return make_issue("import.missing_value", file=out.file, sheet=out.sheet, row=row,
                          column=out.columns[fld])
    if kind == "quantity":
        err = ValidationFailed.of("carbon_points_quantity", field=fld, value=str(value)[:20])
    elif kind == "date":
        err = ValidationFailed.of("carbon_points_date", field=fld, value=str(value)[:20])
    elif kind == "action":
        err = ValidationFailed.of("carbon_unknown_action", field=fld, action=str(value)[:40],
                                  known=", ".join(r.action for r in rule_set))
    else:
        err = ValidationFailed.of("carbon_points_too_long", field=fld,
                                  limit=60 if kind == "name" else 40)
    return out.issue(row, fld, value, err)


TEMPLATE_HEADERS = ("统一社会信用代码", "员工编号", "显示名", "日期", "行为", "数量")


def template_csv() -> bytes:
    """The carbon-points file's template: UTF-8 CSV with BOM, header and two examples."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    school = make_credit_code("12", "450321", 2)
    writer.writerow((school, "S001", "张老师", "2025-05-06", "光盘行动", "2"))
    writer.writerow((school, "S002", "李老师", "2025-05-06",
                     "commute_public_transport", "2"))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
