"""Yearly profile file (form NY101 basic figures).

Headers: 统一社会信用代码, 年, 用能人数, 编制人数, 建筑面积(平方米), 采暖面积(平方米),
汽油车(辆), 柴油车(辆), 新能源汽车(辆). Units in headers are optional; areas accept
平方米 / m² / ㎡ (and 万平方米).

Output columns: ``institution_id, year, occupants, staff_quota`` (Int64),
``floor_area_m2, heated_area_m2`` (Float64, [m²]), ``vehicles_gasoline,
vehicles_diesel, vehicles_nev`` (Int64). A blank cell is null.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ._common import (
    AREA_UNITS,
    COUNT_UNITS,
    Checker,
    ColumnSpec,
    add_number,
    code_text,
    open_mapped,
    parsed,
)
from .numbers import parse_period_part
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

YEAR_MIN, YEAR_MAX = 2000, 2100

SPECS = (
    ColumnSpec("credit_code", ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code"),
               required=True),
    ColumnSpec("year", ("年", "年份", "年度", "统计年度", "year"), required=True),
    ColumnSpec("occupants", ("用能人数", "occupants"), units=COUNT_UNITS),
    ColumnSpec("staff_quota", ("编制人数", "staff_quota"), units=COUNT_UNITS),
    ColumnSpec("floor_area_m2", ("建筑面积", "floor_area", "floor_area_m2"), units=AREA_UNITS),
    ColumnSpec("heated_area_m2", ("采暖面积", "供暖面积", "heated_area", "heated_area_m2"),
               units=AREA_UNITS),
    ColumnSpec("vehicles_gasoline", ("汽油车", "汽油车数量", "vehicles_gasoline"),
               units=COUNT_UNITS),
    ColumnSpec("vehicles_diesel", ("柴油车", "柴油车数量", "vehicles_diesel"), units=COUNT_UNITS),
    ColumnSpec("vehicles_nev", ("新能源汽车", "新能源车", "新能源汽车数量", "vehicles_nev"),
               units=COUNT_UNITS),
)
IGNORABLE = ("单位名称", "名称", "备注", "序号")

COUNT_KEYS = ("occupants", "staff_quota", "vehicles_gasoline", "vehicles_diesel", "vehicles_nev")
AREA_KEYS = ("floor_area_m2", "heated_area_m2")

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "institution_id": pl.Int64(), "year": pl.Int32(),
    "occupants": pl.Int64(), "staff_quota": pl.Int64(),
    "floor_area_m2": pl.Float64(), "heated_area_m2": pl.Float64(),
    "vehicles_gasoline": pl.Int64(), "vehicles_diesel": pl.Int64(), "vehicles_nev": pl.Int64(),
}


def lookup_institutions(df: pl.DataFrame, institutions: pl.DataFrame) -> pl.DataFrame:
    """Join ``institution_id`` on the cleaned ``credit_code`` column."""
    ids = institutions.select(
        code_text(pl.col("credit_code").cast(pl.String)).alias("credit_code"),
        pl.col("institution_id").cast(pl.Int64),
    ).unique("credit_code", keep="first")
    return df.join(ids, on="credit_code", how="left")


def check_year(chk: Checker, df: pl.DataFrame, column: str) -> None:
    year = pl.col("year__num")
    bad = pl.col(column).is_not_null() & (
        year.is_null() | (year != year.round(0)) | (year < YEAR_MIN) | (year > YEAR_MAX)
    )
    chk.check(df, bad, "import.bad_year", column=column, value=pl.col(column))


def unit_and_month(chk: Checker, df: pl.DataFrame, institutions: pl.DataFrame, *,
                   columns: tuple[str, str, str], first_month: int,
                   month_code: str) -> pl.DataFrame:
    """The rows (``credit_code``, ``year__num``, ``month__num`` parsed) with their
    ``institution_id``, ``year`` and ``month`` checked — an unknown unit, a year outside
    the platform's, a month outside ``first_month``–12 (``month_code`` names the
    problem) — ``year``/``month`` null where invalid. ``columns``: the file's credit
    code, year and month headers."""
    c_cc, c_year, c_month = columns
    df = lookup_institutions(df, institutions).sort(ROW)
    chk.required(df, c_cc)
    chk.check(df, pl.col("credit_code").is_not_null() & pl.col("institution_id").is_null(),
              "import.unknown_institution", column=c_cc, value=pl.col(c_cc))
    chk.required(df, c_year)
    check_year(chk, df, c_year)
    month = pl.col("month__num")
    chk.required(df, c_month)
    chk.check(df, pl.col(c_month).is_not_null()
              & (month.is_null() | (month != month.round(0)) | (month < first_month)
                 | (month > 12)),
              month_code, column=c_month, value=pl.col(c_month))
    return df.with_columns(
        pl.when((pl.col("year__num") >= YEAR_MIN) & (pl.col("year__num") <= YEAR_MAX))
        .then(pl.col("year__num")).cast(pl.Int32, strict=False).alias("year"),
        pl.when((month >= first_month) & (month <= 12)).then(month)
        .cast(pl.Int32, strict=False).alias("month"),
    )


def parse_profiles(
    path: Path,
    *,
    institutions: pl.DataFrame,
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Parsed:
    """Parse a yearly profile file; ``institutions`` has ``credit_code, institution_id``."""
    opened = open_mapped("profiles", path, SPECS, ignorable=IGNORABLE, empty=OUTPUT_SCHEMA,
                         sheet=sheet, max_bytes=max_bytes)
    if isinstance(opened, Parsed):
        return opened
    table, chk, mapped = opened.table, opened.chk, opened.mapped
    c_cc, c_year = mapped["credit_code"].column, mapped["year"].column
    df = table.frame.with_columns(
        code_text(pl.col(c_cc)).alias("credit_code"),
        parse_period_part(pl.col(c_year), "年").alias("year__num"),
    )
    for key in (*COUNT_KEYS, *AREA_KEYS):
        if key in mapped:
            df = add_number(df, mapped[key].column, mapped[key].factor)
    df = lookup_institutions(df, institutions).sort(ROW)

    chk.required(df, c_cc)
    chk.check(df, pl.col("credit_code").is_not_null() & pl.col("institution_id").is_null(),
              "import.unknown_institution", column=c_cc, value=pl.col(c_cc))
    chk.required(df, c_year)
    check_year(chk, df, c_year)
    for key in (*COUNT_KEYS, *AREA_KEYS):
        if key in mapped:
            chk.number(df, mapped[key].column, integral=key in COUNT_KEYS)
    df = df.with_columns(pl.col("year__num").cast(pl.Int32, strict=False).alias("year"))
    chk.duplicates(df, ["institution_id", "year"], column=c_cc, value=pl.col(c_cc),
                   describe=pl.format("{} {}年", pl.col("credit_code"), pl.col("year")))
    out = chk.valid(df).select(
        "institution_id",
        "year",
        *[
            (pl.col(f"{mapped[k].column}__num") if k in mapped else pl.lit(None)).alias(k)
            for k in (*COUNT_KEYS[:2], *AREA_KEYS, *COUNT_KEYS[2:])
        ],
    )
    out = out.select(pl.col(k).cast(t) for k, t in OUTPUT_SCHEMA.items())
    return parsed("profiles", table, out, chk.issues, chk)
