"""A sheet of targets (双控目标下达表): one row per region, year and indicator.

Headers: 行政区划代码, 年份, 指标, 目标值, 基准年 (optional). The indicator is a code or
a Chinese name of :data:`METRICS`. Caps (总量) are quantities in the indicator's
unit; reductions (强度下降率) are percentages — ``1.1`` or ``1.1%`` means −1.1 % — and
come out as fractions (0.011). Checked vectorised: required cells, a known
indicator, a number (≥ 0 for a cap, −100 < p < 100 for a reduction), years, no
repeated (region, year, indicator).

Output columns: ``region_code, year, metric, value, base_year``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from jieneng.core.indicator_registry import BY_CODE, CAP_METRICS, REDUCTION_METRICS

from ._common import (
    ColumnSpec,
    add_number,
    code_text,
    open_mapped,
    parsed,
)
from .numbers import parse_period_part
from .profiles import check_year
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

#: code → (Chinese name, kind): kind ``cap`` (a quantity) or ``reduction`` (a %), from the
#: indicator registry.
METRICS: dict[str, tuple[str, str]] = {
    code: (BY_CODE[code].name_zh, str(BY_CODE[code].target))
    for code in (*CAP_METRICS, *REDUCTION_METRICS)}
_BY_NAME = {name: code for code, (name, _) in METRICS.items()}
_REDUCTIONS = [code for code, (_, kind) in METRICS.items() if kind == "reduction"]

SPECS = (
    ColumnSpec("region_code", ("行政区划代码", "地区代码", "region_code"), required=True),
    ColumnSpec("year", ("年份", "年", "年度", "year"), required=True),
    ColumnSpec("metric", ("指标", "目标指标", "metric"), required=True),
    ColumnSpec("value", ("目标值", "值", "value"), required=True),
    ColumnSpec("base_year", ("基准年", "base_year")),
)
IGNORABLE = ("地区", "名称", "序号", "备注", "单位")
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "region_code": pl.String(), "year": pl.Int32(), "metric": pl.String(),
    "value": pl.Float64(), "base_year": pl.Int32(),
}


def parse_targets(path: Path, *, sheet: str | int | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Parse a targets sheet (see the module docstring)."""
    opened = open_mapped("targets", path, SPECS, ignorable=IGNORABLE, empty=OUTPUT_SCHEMA,
                         sheet=sheet, max_bytes=max_bytes)
    if isinstance(opened, Parsed):
        return opened
    table, chk, mapped = opened.table, opened.chk, opened.mapped
    col = {k: m.column for k, m in mapped.items()}
    text = pl.col(col["metric"]).cast(pl.String).str.strip_chars()
    df = table.frame.with_columns(
        pl.col(col["value"]).cast(pl.String).str.replace("%", "", literal=True)
        .alias(col["value"]))
    df = add_number(df, col["value"]).with_columns(
        code_text(pl.col(col["region_code"])).alias("region_code"),
        parse_period_part(pl.col(col["year"]), "年").alias("year__num"),
        pl.when(text.is_in(list(METRICS))).then(text)
        .otherwise(text.replace_strict(_BY_NAME, default=None, return_dtype=pl.String))
        .alias("metric"),
        (parse_period_part(pl.col(col["base_year"]), "年") if "base_year" in col
         else pl.lit(None, pl.Float64)).alias("base__num"),
    ).sort(ROW)
    for key in ("region_code", "year", "metric", "value"):
        chk.required(df, col[key])
    check_year(chk, df, col["year"])
    chk.check(df, pl.col(col["metric"]).is_not_null() & pl.col("metric").is_null(),
              "import.unknown_target_metric", column=col["metric"],
              value=pl.col(col["metric"]),
              static={"known": "、".join(name for name, _ in METRICS.values())})
    value = pl.col(f"{col['value']}__num")
    reduction = pl.col("metric").is_in(_REDUCTIONS)
    chk.number(df, col["value"], non_negative=False)
    chk.check(df, (~reduction & (value < 0)) | (reduction & (value.abs() >= 100)),
              "import.bad_target_value", column=col["value"], value=pl.col(col["value"]))
    chk.duplicates(df, ["region_code", "year__num", "metric"], column=col["metric"],
                   value=pl.col(col["metric"]),
                   describe=pl.format("{} {} {}", pl.col("region_code"), pl.col("year__num"),
                                      pl.col("metric")))
    out = chk.valid(df).select(
        "region_code",
        pl.col("year__num").cast(pl.Int32).alias("year"),
        "metric",
        pl.when(reduction).then(value / 100.0).otherwise(value).alias("value"),
        pl.col("base__num").cast(pl.Int32, strict=False).alias("base_year"),
    )
    return parsed("targets", table, out, chk.issues, chk)
