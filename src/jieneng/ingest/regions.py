"""Regions file (GB/T 2260): 行政区划代码, 名称, 上级代码.

Output columns: ``code`` (6 digits), ``name``, ``parent_code`` (null for a
province), ``level`` (1 province, 2 city, 3 county; :func:`jieneng.core.codes.region_level`).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from jieneng.core.codes import region_level

from ._common import Checker, ColumnSpec, code_text, map_distinct, map_headers, open_table, parsed
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

SPECS = (
    ColumnSpec("code", ("行政区划代码", "区划代码", "代码", "code", "region_code"), required=True),
    ColumnSpec("name", ("名称", "区划名称", "行政区划名称", "name"), required=True),
    ColumnSpec("parent_code", ("上级代码", "上级区划代码", "上级行政区划代码", "parent",
                               "parent_code")),
)

OUTPUT_SCHEMA = {"code": pl.String, "name": pl.String, "parent_code": pl.String, "level": pl.Int8}


def _level(code: str) -> int:
    return int(region_level(code))


def parse_regions(
    path: Path,
    *,
    known_regions: Collection[str] = frozenset(),
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Parsed:
    """Parse a regions file; parents must be in the file or in ``known_regions``."""
    table = open_table("regions", path, SPECS, sheet=sheet, max_bytes=max_bytes)
    if isinstance(table, Parsed):
        return table
    chk = Checker(table, list(table.issues))
    mapped, _ = map_headers(table, SPECS, chk.issues)
    if any(k not in mapped for k in ("code", "name")):
        return parsed("regions", table, pl.DataFrame(schema=OUTPUT_SCHEMA), chk.issues, chk)
    c_code, c_name = mapped["code"].column, mapped["name"].column
    c_parent = mapped["parent_code"].column if "parent_code" in mapped else "上级代码"
    df = table.frame.with_columns(
        code_text(pl.col(c_code)).alias("code"),
        pl.col(c_name).alias("name"),
        (code_text(pl.col(c_parent)) if "parent_code" in mapped
         else pl.lit(None, pl.String)).alias("parent_code"),
    )
    # Codes typed as numbers may come back as 110000.0 from some writers.
    df = df.with_columns(pl.col(k).str.strip_suffix(".0") for k in ("code", "parent_code"))
    codes = map_distinct(pl.concat([df["code"], df["parent_code"]]), _level, name="code")
    df = df.join(
        codes.select("code", pl.col("result").cast(pl.Int8).alias("level"),
                     pl.col("err_zh").alias("code_zh"), pl.col("err_en").alias("code_en")),
        on="code", how="left",
    ).join(
        codes.select(pl.col("code").alias("parent_code"),
                     pl.col("result").cast(pl.Int8).alias("parent_level"),
                     pl.col("err_zh").alias("parent_zh"), pl.col("err_en").alias("parent_en")),
        on="parent_code", how="left",
    ).sort(ROW)

    chk.required(df, c_code)
    chk.check(df, pl.col("code_zh").is_not_null(), "import.invalid_region_code", column=c_code,
              value=pl.col(c_code), params={"detail_zh": pl.col("code_zh"),
                                            "detail_en": pl.col("code_en")})
    chk.required(df, c_name)
    chk.duplicates(df, ["code"], column=c_code, value=pl.col(c_code), describe=pl.col("code"))
    chk.check(df, pl.col("parent_zh").is_not_null(), "import.invalid_region_code",
              column=c_parent, value=pl.col(c_parent),
              params={"detail_zh": pl.col("parent_zh"), "detail_en": pl.col("parent_en")})

    known = pl.Series("k", sorted(set(known_regions) | set(df["code"].drop_nulls())),
                      dtype=pl.String)
    level, parent, plevel = pl.col("level"), pl.col("parent_code"), pl.col("parent_level")
    code = pl.col("code")
    has_parent = plevel.is_not_null() & level.is_not_null()
    parent_known = parent.is_in(known.implode())
    chk.check(df, has_parent & ~parent_known, "import.unknown_parent",
              column=c_parent, value=pl.col(c_parent))
    chk.check(df, level.is_not_null() & (level > 1) & parent.is_null(), "import.bad_parent",
              column=c_parent, value=pl.col(c_parent),
              params={"region": code},
              static={"detail_zh": "市、县级区划须填写上级代码",
                      "detail_en": "a city or county needs a parent code"})
    chk.check(df, (level == 1) & parent.is_not_null(), "import.bad_parent",
              column=c_parent, value=parent, params={"region": code},
              static={"detail_zh": "省级区划不应有上级", "detail_en": "a province has no parent"})
    same_prov = parent.str.slice(0, 2) == code.str.slice(0, 2)
    same_city = parent.str.slice(0, 4) == code.str.slice(0, 4)
    fits = (
        pl.when(level == 2).then((plevel == 1) & same_prov)
        .when(level == 3).then(((plevel == 2) & same_city) | ((plevel == 1) & same_prov))
        .otherwise(True)
    )
    chk.check(df, has_parent & parent_known & (level > 1) & ~fits, "import.bad_parent",
              column=c_parent,
              value=parent, params={"region": code},
              static={"detail_zh": "上级须为所属地市（XXXX00）或省级（XX0000）区划",
                      "detail_en": "the parent must be the region's own city (XXXX00) "
                      "or province (XX0000)"})
    frame = chk.valid(df).select(
        "code", "name", "parent_code", "level"
    ).cast(OUTPUT_SCHEMA)  # type: ignore[arg-type]
    return parsed("regions", table, frame, chk.issues, chk)
