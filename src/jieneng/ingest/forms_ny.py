"""Files of forms NY202 (data-centre rooms, 数据中心机房) and NY203 (heating, 采暖).

One row per record: NY202 per institution × room × period, NY203 per institution ×
period. Headers in Chinese or English, any order, the unit in brackets optional
(when written it must be the field's, or 万<unit> for areas, electricity and money):

- every file: 统一社会信用代码 / credit_code, 年 / year, 月 / month (1–12; 0, 年报 or
  全年 for the annual report);
- NY202: 机房编号 / room_code (required), 机房名称 / room_name, 机房状态 / room_status
  (新建 / 既有; default 既有 — the platform's convention, the form has no such field);
- the value columns: each current field of :mod:`jieneng.core.forms_ny.fields` by its
  name (``机房总用电量(千瓦时)``), its key (``elec_total``) or its form code (``240``).

A blank cell is "not reported". Checks, vectorised over the rows: numbers,
required fields, bounds (non-negative, 采暖天数 0–366, 0–31 in a monthly report),
whole numbers for counts, and the rules of :mod:`jieneng.core.forms_ny.checks`
(IT ≤ total electricity, the power and electricity splits, reserved ≤ cabinets, the
heating areas by type). Every problem names file, row, column and problem in zh and en.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from jieneng.core.carriers import normalise_label
from jieneng.core.forms_ny import ROOM_STATUS_NAMES, Field, current, rules
from jieneng.core.forms_ny.checks import TOLERANCE

from ._common import Checker, ColumnSpec, Mapped, code_column, open_mapped, parsed
from .numbers import is_integral, period_part, with_number
from .profiles import unit_and_month
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

KINDS = {"datacentre": "NY202", "heating": "NY203"}

_BASE = (
    ColumnSpec("credit_code", ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code"),
               required=True),
    ColumnSpec("year", ("年", "年份", "年度", "year"), required=True),
    ColumnSpec("month", ("月", "月份", "month"), required=True),
)
_ROOM = (
    ColumnSpec("room_code", ("机房编号", "机房代码", "room_code", "room"), required=True),
    ColumnSpec("room_name", ("机房名称", "room_name")),
    ColumnSpec("room_status", ("机房状态", "新建或既有", "room_status", "status")),
)
_IGNORABLE = ("单位名称", "名称", "备注", "说明", "序号", "填报人", "联系电话", "填报日期")

#: the units a header may write for a field of this unit (folded) → factor
_UNIT_ALIASES: dict[str, dict[str, float]] = {
    "平方米": {"平方米": 1.0, "m2": 1.0, "米2": 1.0, "万平方米": 1e4},
    "千瓦时": {"千瓦时": 1.0, "kwh": 1.0, "度": 1.0, "万千瓦时": 1e4},
    "千瓦": {"千瓦": 1.0, "kw": 1.0},
    "立方米": {"立方米": 1.0, "m3": 1.0, "万立方米": 1e4},
    "元": {"元": 1.0, "万元": 1e4},
    "兆瓦": {"兆瓦": 1.0, "mw": 1.0},
    "吨/小时": {"吨/小时": 1.0, "t/h": 1.0},
    "吉焦": {"吉焦": 1.0, "gj": 1.0},
    "吨标准煤": {"吨标准煤": 1.0, "tce": 1.0},
}


def _spec(f: Field) -> ColumnSpec:
    units = _UNIT_ALIASES.get(f.unit, {normalise_label(f.unit): 1.0})
    return ColumnSpec(f.key, (f.name_zh, f.key, f.code, f.name_en), units=units)


def specs(form: str) -> tuple[ColumnSpec, ...]:
    """The header specs of a ``form`` file."""
    room = _ROOM if form == "NY202" else ()
    return (*_BASE, *room, *(_spec(f) for f in current(form)))


def output_schema(form: str) -> dict[str, Any]:
    room = ({"room_code": pl.String(), "room_name": pl.String(), "room_status": pl.String()}
            if form == "NY202" else {})
    values = {f.key: (pl.Int64() if f.kind == "count" else pl.Float64())
              for f in current(form)}
    return {"institution_id": pl.Int64(), "credit_code": pl.String(), "year": pl.Int32(),
            "month": pl.Int32(), **room, **values, "source_row": pl.Int64()}


def parse_form(kind: str, path: Path, *, institutions: pl.DataFrame,
               sheet: str | int | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Parse a ``datacentre`` (NY202) or ``heating`` (NY203) file; ``institutions`` has
    ``credit_code, institution_id``."""
    form = KINDS[kind]
    opened = open_mapped(kind, path, specs(form), ignorable=_IGNORABLE,
                         empty=output_schema(form), sheet=sheet, max_bytes=max_bytes)
    if isinstance(opened, Parsed):
        return opened
    table, chk, mapped = opened.table, opened.chk, opened.mapped
    fields = [f for f in current(form) if f.key in mapped]
    if not fields:
        chk.header_issue("import.no_carrier_columns")
        return parsed(kind, table, pl.DataFrame(schema=output_schema(form)), chk.issues, chk)
    df = _base(chk, table.frame, mapped, institutions)
    if form == "NY202":
        df = _room(chk, df, mapped)
    df = _values(chk, df, mapped, form)
    keys = ["institution_id", "year", "month", *(["room_code"] if form == "NY202" else [])]
    chk.duplicates(df, keys, column=mapped["credit_code"].column,
                   value=pl.col(mapped["credit_code"].column),
                   describe=pl.concat_str([pl.col(k).cast(pl.String) for k in keys[1:]],
                                          separator=" ").fill_null(""))
    schema = output_schema(form)
    out = chk.valid(df).sort(ROW).with_columns(pl.col(ROW).alias("source_row"))
    out = out.with_columns(pl.lit(None, t).alias(k) for k, t in schema.items()
                           if k not in out.columns)
    return parsed(kind, table, out.select(pl.col(k).cast(t) for k, t in schema.items()),
                  chk.issues, chk)


def _base(chk: Checker, frame: pl.DataFrame, mapped: dict[str, Mapped],
          institutions: pl.DataFrame) -> pl.DataFrame:
    """Institution, year and period month of every row."""
    c_cc, c_year, c_month = (mapped[k].column for k in ("credit_code", "year", "month"))
    annual = pl.col(c_month).str.strip_chars().is_in(["年报", "全年", "年度", "annual"])
    df = frame.with_columns(
        code_column(frame, c_cc).alias("credit_code"),
        period_part(frame, c_year, "年").alias("year__num"),
        pl.when(annual).then(pl.lit(0.0)).otherwise(
            period_part(frame, c_month, "月")).alias("month__num"),
    )
    return unit_and_month(chk, df, institutions, columns=(c_cc, c_year, c_month),
                          first_month=0, month_code="import.bad_period_month")


def _room(chk: Checker, df: pl.DataFrame, mapped: dict[str, Mapped]) -> pl.DataFrame:
    """Room code, name and status (new / existing) of every row."""
    c_code = mapped["room_code"].column
    chk.required(df, c_code)
    name = pl.col(mapped["room_name"].column) if "room_name" in mapped else pl.lit(None,
                                                                                    pl.String)
    if "room_status" in mapped:
        c_status = mapped["room_status"].column
        raw = pl.col(c_status).str.strip_chars()
        status = raw.str.to_uppercase().replace_strict(
            {k.upper(): v for k, v in ROOM_STATUS_NAMES.items()}, default=None,
            return_dtype=pl.String)
        df = df.with_columns(status.alias("room_status"))
        chk.check(df, raw.is_not_null() & pl.col("room_status").is_null(),
                  "import.bad_room_status", column=c_status, value=pl.col(c_status))
    else:
        df = df.with_columns(pl.lit(None, pl.String).alias("room_status"))
    return df.with_columns(
        pl.col(c_code).str.strip_chars().alias("room_code"),
        name.str.strip_chars().alias("room_name"),
        pl.col("room_status").fill_null("existing"))


def _values(chk: Checker, df: pl.DataFrame, mapped: dict[str, Mapped],
            form: str) -> pl.DataFrame:
    """The value columns: numbers, required, bounds, counts and the form's rules."""
    month = pl.col("month")
    for f in current(form):
        if f.key not in mapped:
            if f.required:
                chk.header_issue("import.missing_column", column=f.header)
            continue
        column = mapped[f.key].column
        df = with_number(df, column, f.key, factor=mapped[f.key].factor)
        raw, num = pl.col(column), pl.col(f.key)
        chk.check(df, pl.col(f"{f.key}__bad"), "import.not_a_number", column=column, value=raw)
        if f.required:
            chk.required(df, column)
        high = pl.lit(f.high if f.high is not None else float("inf"))
        if f.key == "heating_days":
            high = pl.when(month == 0).then(high).otherwise(pl.lit(31.0))
        chk.check(df, (num < f.low) | (num > high), "import.out_of_bounds", column=column,
                  value=raw, params={"high": high.cast(pl.String)},
                  static={"low": f"{f.low:g}"})
        if f.kind == "count":
            chk.check(df, (num >= 0) & ~is_integral(num), "import.not_an_integer",
                      column=column, value=raw)
    for rule in rules(form):
        if rule.whole not in mapped or not any(p in mapped for p in rule.parts):
            continue
        df = _rule_check(chk, df, mapped, rule.whole, rule.parts, rule.op, rule.zh, rule.en)
    return df


def _rule_check(chk: Checker, df: pl.DataFrame, mapped: dict[str, Mapped], whole: str,
                parts: tuple[str, ...], op: str, zh: str, en: str) -> pl.DataFrame:
    """``Σ parts <op> whole`` as :func:`jieneng.core.forms_ny.rule_fails`, vectorised."""
    present = [p for p in parts if p in mapped]
    given = [pl.col(p) for p in present]
    total = pl.sum_horizontal(given)
    any_given = pl.any_horizontal(g.is_not_null() for g in given)
    all_given = pl.lit(len(present) == len(parts)) & pl.all_horizontal(
        g.is_not_null() for g in given)
    slack = pl.lit(TOLERANCE) * pl.col(whole).abs() + 1e-9
    over = total > pl.col(whole) + slack
    fails = pl.col(whole).is_not_null() & any_given & (
        pl.when(pl.lit(op == "eq") & all_given).then((total - pl.col(whole)).abs() > slack)
        .otherwise(over))
    c = mapped[whole].column
    chk.check(df, fails, "import.form_check", column=c, value=pl.col(c),
              static={"detail_zh": zh, "detail_en": en})
    return df
