"""Consumption file (form NY201), monthly figures per institution and carrier.

Two layouts, told apart by the headers:

- **wide**: 统一社会信用代码, 年, 月, then one column per carrier written
  ``名称(单位)`` (``电(千瓦时)``, ``天然气(万立方米)``, ``汽油-车辆用油(升)`` …) and cost
  columns ``电费(元)``, ``<名称>费用(元)`` / ``<名称>费(元)``. A blank carrier cell
  gives no record (blank ≠ 0; an explicit 0 is a record).
- **long**: 统一社会信用代码, 年, 月, 能源品种, 数量, 单位, 费用(元).

Output (one row per institution × year × month × carrier): ``institution_id``
Int64, ``year`` Int32, ``month`` Int32, ``carrier`` (code of
:mod:`jieneng.core.carriers`), ``quantity`` Float64 [canonical unit of the
carrier], ``cost_yuan`` Float64 [元] nullable, ``entered_value`` (the cell as
typed), ``entered_unit`` (the unit as written), ``source_row`` Int64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from jieneng.core.carriers import (
    CARRIERS,
    Carrier,
    carrier,
    carrier_by_name,
    normalise_label,
)
from jieneng.core.exceptions import DomainError, UnitMismatch, UnknownUnit
from jieneng.core.units import factor_to_canonical

from ._common import (
    MONEY_UNITS,
    Checker,
    ColumnSpec,
    Mapped,
    code_column,
    map_distinct,
    map_headers,
    open_table,
    parsed,
)
from .numbers import period_part, with_number
from .profiles import unit_and_month
from .reader import DEFAULT_MAX_BYTES, ROW, Table, split_header
from .result import Parsed

BASE_SPECS = (
    ColumnSpec("credit_code", ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code"),
               required=True),
    ColumnSpec("year", ("年", "年份", "年度", "year"), required=True),
    ColumnSpec("month", ("月", "月份", "month"), required=True),
)
LONG_SPECS = (
    *BASE_SPECS,
    ColumnSpec("carrier", ("能源品种", "能源资源品种", "品种", "能源种类", "carrier"),
               required=True),
    ColumnSpec("quantity", ("数量", "消费量", "用量", "quantity"), required=True),
    ColumnSpec("unit", ("单位", "计量单位", "unit"), required=True),
    ColumnSpec("cost", ("费用", "金额", "cost", "cost_yuan"), units=MONEY_UNITS),
)
#: Columns a wide file may carry that are not figures.
IGNORABLE = frozenset(
    normalise_label(h)
    for h in ("单位名称", "名称", "机构名称", "备注", "说明", "序号", "行政区划代码", "区划代码",
              "单位类别", "填报人", "联系电话", "填报日期")
)

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "institution_id": pl.Int64(), "year": pl.Int32(), "month": pl.Int32(),
    "carrier": pl.String(), "quantity": pl.Float64(), "cost_yuan": pl.Float64(),
    "entered_value": pl.String(), "entered_unit": pl.String(), "source_row": pl.Int64(),
}
_COST_SUFFIXES = ("费用", "费", "金额")


@dataclass(frozen=True, slots=True)
class CarrierColumns:
    """The columns of one carrier in a wide file."""

    carrier: Carrier
    quantity: str | None = None
    factor: float = 1.0
    unit: str | None = None
    cost: str | None = None
    cost_factor: float = 1.0


def parse_consumption(
    path: Path,
    *,
    institutions: pl.DataFrame,
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Parsed:
    """Parse a consumption file (wide or long); ``institutions`` has
    ``credit_code, institution_id``."""
    table = open_table("consumption", path, LONG_SPECS, sheet=sheet, max_bytes=max_bytes)
    if isinstance(table, Parsed):
        return table
    chk = Checker(table, list(table.issues))
    folded = {split_header(h.split("#", 1)[0])[0] for h in table.headers}
    is_long = any(n in folded for n in LONG_SPECS[3].folded_names()) and any(
        n in folded for n in LONG_SPECS[4].folded_names()
    )
    specs = LONG_SPECS if is_long else BASE_SPECS
    mapped, unmatched = map_headers(table, specs, chk.issues, report_unknown=False)
    if any(s.required and s.key not in mapped for s in specs):
        return parsed("consumption", table, pl.DataFrame(schema=OUTPUT_SCHEMA), chk.issues,
                      chk)
    df = _base(chk, table.frame, mapped, institutions)
    if is_long:
        for header in unmatched:
            if normalise_label(split_header(header)[0]) not in IGNORABLE:
                chk.header_issue("import.ignored_column", column=header)
        records = _long(chk, df, mapped)
    else:
        columns = _wide_columns(chk, table, unmatched)
        if not columns and not any(i.column in unmatched for i in chk.issues):
            chk.header_issue("import.no_carrier_columns")
        records = _melt(df, columns)
    out = _values(chk, records)
    return parsed("consumption", table, out, chk.issues, chk)


def _base(
    chk: Checker, frame: pl.DataFrame, mapped: dict[str, Mapped], institutions: pl.DataFrame
) -> pl.DataFrame:
    """Institution, year and month of every row, checked once per row."""
    c_cc, c_year, c_month = (mapped[k].column for k in ("credit_code", "year", "month"))
    df = frame.with_columns(
        code_column(frame, c_cc).alias("credit_code"),
        period_part(frame, c_year, "年").alias("year__num"),
        period_part(frame, c_month, "月").alias("month__num"),
    )
    return unit_and_month(chk, df, institutions, columns=(c_cc, c_year, c_month),
                          first_month=1, month_code="import.bad_month")


def _header_error(chk: Checker, code: str, header: str, exc: DomainError) -> None:
    if code == "import.unknown_header":  # the template names the column already
        chk.header_issue(code, column=header, detail_zh=exc.message_zh,
                         detail_en=exc.message_en)
        return
    chk.header_issue(code, column=header, detail_zh=f"列“{header}”：{exc.message_zh}",
                     detail_en=f"column {header!r}: {exc.message_en}")


#: (header, factor to the canonical unit or to 元, unit as entered)
_Column = tuple[str, float, str | None]


def _wide_columns(chk: Checker, table: Table, headers: Sequence[str]) -> list[CarrierColumns]:
    """Interpret each carrier / cost header once; problems are reported per column."""
    qty: dict[str, _Column] = {}
    cost: dict[str, _Column] = {}
    for header in headers:
        interpreted = _wide_header(chk, header)
        if interpreted is None:
            continue
        is_cost, code, entry = interpreted
        target = cost if is_cost else qty
        if code in target:
            chk.header_issue("import.duplicate_column", column=header, other=target[code][0])
            continue
        target[code] = entry
    out = []
    for code in sorted(set(qty) | set(cost), key=lambda c: list(qty).index(c) if c in qty else 99):
        q = qty.get(code)
        k = cost.get(code)
        out.append(CarrierColumns(
            carrier(code),
            quantity=q[0] if q else None, factor=q[1] if q else 1.0, unit=q[2] if q else None,
            cost=k[0] if k else None, cost_factor=k[1] if k else 1.0,
        ))
    return out


def _wide_header(chk: Checker, header: str) -> tuple[bool, str, _Column] | None:
    """(is a cost, carrier code, column) of one header of a wide file; None when the
    header is ignorable or its problem was reported."""
    name, unit, unit_text = split_header(header.split("#", 1)[0])
    if name in IGNORABLE:
        return None
    suffix = next((s for s in _COST_SUFFIXES if name.endswith(s) and name != s), None)
    try:
        if suffix is not None:
            found = carrier_by_name(name[: -len(suffix)])
            if unit is not None and unit not in MONEY_UNITS:
                chk.header_issue(
                    "import.unit_mismatch", column=header,
                    detail_zh=f"列“{header}”：费用的单位应为元或万元",
                    detail_en=f"column {header!r}: a cost is in 元 or 万元",
                )
                return None
            return True, found.code, (header, MONEY_UNITS[unit] if unit else 1.0, None)
        found = carrier_by_name(name)
        if unit is None or unit_text is None:
            chk.header_issue("import.missing_unit", column=header)
            return None
        return False, found.code, (header, factor_to_canonical(found, unit_text), unit_text)
    except UnitMismatch as exc:
        _header_error(chk, "import.unit_mismatch", header, exc)
    except UnknownUnit as exc:
        _header_error(chk, "import.unknown_unit", header, exc)
    except DomainError as exc:
        _header_error(chk, "import.unknown_header", header, exc)
    return None


_KEEP = (ROW, "credit_code", "institution_id", "year", "month")


def _melt(df: pl.DataFrame, columns: Sequence[CarrierColumns]) -> pl.DataFrame:
    """Wide → long: one row per non-blank carrier cell (a loop over columns)."""
    parts = []
    for c in columns:
        none = pl.lit(None, pl.String)
        parts.append(
            df.select(
                *_KEEP,
                pl.lit(c.carrier.code).alias("carrier"),
                (pl.col(c.quantity) if c.quantity else none).alias("value_text"),
                pl.lit(c.quantity, pl.String).alias("value_column"),
                pl.lit(c.factor, pl.Float64).alias("factor"),
                pl.lit(c.unit, pl.String).alias("entered_unit"),
                (pl.col(c.cost) if c.cost else none).alias("cost_text"),
                pl.lit(c.cost, pl.String).alias("cost_column"),
                pl.lit(c.cost_factor, pl.Float64).alias("cost_factor"),
            ).filter(pl.col("value_text").is_not_null() | pl.col("cost_text").is_not_null())
        )
    if not parts:
        return pl.DataFrame(schema={
            ROW: pl.Int64, "credit_code": pl.String, "institution_id": pl.Int64,
            "year": pl.Int32, "month": pl.Int32, "carrier": pl.String, "value_text": pl.String,
            "value_column": pl.String, "factor": pl.Float64, "entered_unit": pl.String,
            "cost_text": pl.String, "cost_column": pl.String, "cost_factor": pl.Float64,
        })
    return pl.concat(parts, how="vertical")


def _carrier_name(code: pl.Expr) -> pl.Expr:
    """The Chinese name of a carrier code (as the file writes it, never the key)."""
    names = {c.code: c.name_zh for c in CARRIERS}
    return code.replace_strict(names, default=code, return_dtype=pl.String)


def _carrier_code(text: str) -> str:
    return carrier_by_name(text).code


def _long(chk: Checker, df: pl.DataFrame, mapped: dict[str, Mapped]) -> pl.DataFrame:
    """Carriers and units per row, resolved through look-ups built from distinct values."""
    c_car, c_qty, c_unit = (mapped[k].column for k in ("carrier", "quantity", "unit"))
    c_cost = mapped["cost"].column if "cost" in mapped else None
    cars = map_distinct(df[c_car], _carrier_code, name=c_car)
    df = df.join(cars.select(c_car, pl.col("result").cast(pl.String).alias("carrier"),
                             pl.col("err_zh").alias("car_zh"), pl.col("err_en").alias("car_en")),
                 on=c_car, how="left").sort(ROW)
    chk.check(df, pl.col(c_car).is_null() & (pl.col(c_qty).is_not_null()
                                             | (pl.col(c_cost).is_not_null() if c_cost
                                                else pl.lit(False))),
              "import.missing_value", column=c_car)
    chk.check(df, pl.col("car_zh").is_not_null(), "import.unknown_carrier", column=c_car,
              value=pl.col(c_car), params={"detail_zh": pl.col("car_zh"),
                                           "detail_en": pl.col("car_en")})
    lookup = _unit_lookup(df.select("carrier", c_unit).drop_nulls().unique(), c_unit)
    df = df.join(lookup, on=["carrier", c_unit], how="left").sort(ROW)
    for code in ("import.unit_mismatch", "import.unknown_unit"):
        chk.check(df, pl.col("u_code") == code, code, column=c_unit, value=pl.col(c_unit),
                  params={"detail_zh": pl.col("u_zh"), "detail_en": pl.col("u_en")})
    chk.check(df, pl.col(c_unit).is_null() & pl.col(c_qty).is_not_null(),
              "import.missing_value", column=c_unit)
    cost_factor = mapped["cost"].factor if "cost" in mapped else 1.0
    return df.select(
        *_KEEP,
        "carrier",
        pl.col(c_qty).alias("value_text"),
        pl.lit(c_qty, pl.String).alias("value_column"),
        "factor",
        pl.col(c_unit).alias("entered_unit"),
        (pl.col(c_cost) if c_cost else pl.lit(None, pl.String)).alias("cost_text"),
        pl.lit(c_cost, pl.String).alias("cost_column"),
        pl.lit(cost_factor, pl.Float64).alias("cost_factor"),
    ).filter(pl.col("carrier").is_not_null()
             & (pl.col("value_text").is_not_null() | pl.col("cost_text").is_not_null()))


def _unit_lookup(pairs: pl.DataFrame, c_unit: str) -> pl.DataFrame:
    """Factor to the canonical unit (or the error) of each distinct (carrier, unit)
    pair: a loop over distinct pairs only, joined back to the rows."""
    keys: list[str] = []
    units: list[str] = []
    factors: list[float | None] = []
    err_code: list[str | None] = []
    err_zh: list[str | None] = []
    err_en: list[str | None] = []
    for code, unit_text in pairs.iter_rows():
        keys.append(code)
        units.append(unit_text)
        try:
            factors.append(factor_to_canonical(carrier(code), unit_text))
            err_code.append(None)
            err_zh.append(None)
            err_en.append(None)
        except (UnitMismatch, UnknownUnit) as exc:
            factors.append(None)
            err_code.append("import.unit_mismatch" if isinstance(exc, UnitMismatch)
                            else "import.unknown_unit")
            err_zh.append(exc.message_zh)
            err_en.append(exc.message_en)
    return pl.DataFrame(
        {"carrier": keys, c_unit: units, "factor": factors, "u_code": err_code,
         "u_zh": err_zh, "u_en": err_en},
        schema={"carrier": pl.String, c_unit: pl.String, "factor": pl.Float64,
                "u_code": pl.String, "u_zh": pl.String, "u_en": pl.String},
    )


def _values(chk: Checker, rec: pl.DataFrame) -> pl.DataFrame:
    """Number checks on the long records, duplicates, and the output frame."""
    rec = with_number(rec, "value_text", "quantity", factor=pl.col("factor"))
    rec = with_number(rec, "cost_text", "cost_yuan", factor=pl.col("cost_factor"))
    v_col, k_col = pl.col("value_column"), pl.col("cost_column")
    chk.check(rec, pl.col("quantity__bad"), "import.not_a_number", column=v_col,
              value=pl.col("value_text"))
    chk.check(rec, pl.col("quantity") < 0, "import.negative", column=v_col,
              value=pl.col("value_text"))
    chk.check(rec, pl.col("cost_yuan__bad"), "import.not_a_number", column=k_col,
              value=pl.col("cost_text"))
    chk.check(rec, pl.col("cost_yuan") < 0, "import.negative", column=k_col,
              value=pl.col("cost_text"))
    chk.check(rec, pl.col("value_text").is_null() & pl.col("cost_text").is_not_null(),
              "import.cost_without_quantity", column=k_col, value=pl.col("cost_text"))
    chk.duplicates(
        rec, ["institution_id", "year", "month", "carrier"], column=v_col,
        value=pl.col("value_text"),
        describe=pl.format("{} {}年{}月 {}", pl.col("credit_code"), pl.col("year"),
                           pl.col("month"), _carrier_name(pl.col("carrier"))),
    )
    out = chk.valid(rec).sort(ROW, "carrier").select(
        "institution_id", "year", "month", "carrier", "quantity", "cost_yuan",
        pl.col("value_text").alias("entered_value"), "entered_unit",
        pl.col(ROW).alias("source_row"),
    )
    return out.select(pl.col(k).cast(t) for k, t in OUTPUT_SCHEMA.items())
