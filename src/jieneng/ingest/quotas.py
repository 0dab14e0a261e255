"""A quota standard's table (定额标准): one row per indicator, institution type and
climate zone, with 约束值 / 基准值 / 引导值.

Headers: 指标, 机构类型, 气候区 (optional; blank = the standard has none), 约束值,
基准值, 引导值, 单位. The indicator is one of :data:`INDICATORS` (code or Chinese
name). Checked row by row, vectorised: required cells, numbers ≥ 0, 约束值 ≥ 基准值
≥ 引导值, a known indicator, no repeated (indicator, type, zone).

Output columns: ``indicator, institution_type, climate_zone`` (String; zone '' when
blank), ``constraint_value, benchmark_value, guide_value`` (Float64), ``unit``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from jieneng.core.indicator_registry import BY_CODE, QUOTA

from ._common import ColumnSpec, add_number, open_mapped, parsed
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

#: Quota indicators: code → (Chinese name, unit), from the indicator registry. The ones
#: the platform computes are the intensities of the dashboards; the others are stored
#: and shown.
INDICATORS: dict[str, tuple[str, str]] = {
    code: (BY_CODE[code].name_zh, BY_CODE[code].unit_zh) for code in QUOTA}
_BY_NAME = {name: code for code, (name, _) in INDICATORS.items()}

SPECS = (
    ColumnSpec("indicator", ("指标", "定额指标", "indicator"), required=True),
    ColumnSpec("institution_type", ("机构类型", "单位类型", "类型", "institution_type"),
               required=True),
    ColumnSpec("climate_zone", ("气候区", "气候分区", "climate_zone")),
    ColumnSpec("constraint_value", ("约束值", "constraint"), required=True),
    ColumnSpec("benchmark_value", ("基准值", "benchmark"), required=True),
    ColumnSpec("guide_value", ("引导值", "guide"), required=True),
    ColumnSpec("unit", ("单位", "计量单位", "unit"), required=True),
)
LEVELS = ("constraint_value", "benchmark_value", "guide_value")
IGNORABLE = ("序号", "备注")

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "indicator": pl.String(), "institution_type": pl.String(), "climate_zone": pl.String(),
    "constraint_value": pl.Float64(), "benchmark_value": pl.Float64(),
    "guide_value": pl.Float64(), "unit": pl.String(),
}


def _indicator_code(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return (
        pl.when(text.is_in(list(INDICATORS))).then(text)
        .otherwise(text.replace_strict(_BY_NAME, default=None, return_dtype=pl.String))
    )


def parse_quotas(
    path: Path, *, sheet: str | int | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Parsed:
    """Parse a quota table (see the module docstring); all-or-nothing is the caller's."""
    opened = open_mapped("quotas", path, SPECS, ignorable=IGNORABLE, empty=OUTPUT_SCHEMA,
                         sheet=sheet, max_bytes=max_bytes)
    if isinstance(opened, Parsed):
        return opened
    table, chk, mapped = opened.table, opened.chk, opened.mapped
    col = {k: m.column for k, m in mapped.items()}
    df = table.frame
    for key in LEVELS:
        df = add_number(df, col[key])
    zone = (pl.col(col["climate_zone"]).cast(pl.String).str.strip_chars().fill_null("")
            if "climate_zone" in col else pl.lit(""))
    df = df.with_columns(
        _indicator_code(pl.col(col["indicator"])).alias("indicator"),
        pl.col(col["institution_type"]).cast(pl.String).str.strip_chars()
        .alias("institution_type"),
        zone.alias("climate_zone"),
        pl.col(col["unit"]).cast(pl.String).str.strip_chars().alias("unit"),
        *(pl.col(f"{col[k]}__num").alias(k) for k in LEVELS),
    ).sort(ROW)
    for key in ("indicator", "institution_type", *LEVELS, "unit"):
        chk.required(df, col[key])
    chk.check(df, pl.col(col["indicator"]).is_not_null() & pl.col("indicator").is_null(),
              "import.unknown_indicator", column=col["indicator"],
              value=pl.col(col["indicator"]),
              static={"known": "、".join(name for name, _ in INDICATORS.values())})
    for key in LEVELS:
        chk.number(df, col[key])
    chk.check(df, (pl.col("constraint_value") < pl.col("benchmark_value"))
              | (pl.col("benchmark_value") < pl.col("guide_value")),
              "import.quota_levels", column=col["constraint_value"],
              value=pl.format("{} / {} / {}", *(pl.col(col[k]) for k in LEVELS)))
    chk.duplicates(df, ["indicator", "institution_type", "climate_zone"],
                   column=col["indicator"], value=pl.col(col["indicator"]),
                   describe=pl.format("{} {} {}", pl.col("indicator"),
                                      pl.col("institution_type"), pl.col("climate_zone")))
    out = chk.valid(df).select(pl.col(k).cast(t) for k, t in OUTPUT_SCHEMA.items())
    return parsed("quotas", table, out, chk.issues, chk)
